{#-
  The batches whose rows staging keeps for one source/entity: status 'loaded' (not rejected by the loader or the
  quality gate) and, per (source, entity, employer_org_number, delivery_key), only the latest such batch, because
  a corrected re-delivery supersedes the earlier one while raw keeps the history. Use as a subquery:
      join {{ current_batches('payroll', 'absence') }} as b on b.batch_id = r.batch_id
  Returns batch_id, delivery_key and loaded_at.
-#}
{% macro current_batches(batch_source, entity=none) -%}
    (
        select ranked.batch_id, ranked.delivery_key, ranked.finished_at as loaded_at
        from (
            select
                b.batch_id,
                b.delivery_key,
                b.finished_at,
                row_number() over (
                    partition by b.source, b.entity, coalesce(b.employer_org_number, ''), b.delivery_key
                    order by b.batch_id desc
                ) as delivery_rank
            from {{ source('audit', 'batches') }} as b
            where b.status = 'loaded'
              and b.source = '{{ batch_source }}'
              {%- if entity is not none %}
              and b.entity = '{{ entity }}'
              {%- endif %}
        ) as ranked
        where ranked.delivery_rank = 1
    )
{%- endmacro %}
