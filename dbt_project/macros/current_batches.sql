{#-
  The batches whose rows staging keeps for one source/entity: status 'loaded' (not rejected by the loader or the
  quality gate) and, per (source, entity, employer_org_number, delivery_key), only the latest such batch, because
  a corrected re-delivery supersedes the earlier one while raw keeps the history. Use as a subquery:
      join {{ current_batches('payroll', 'absence') }} as b on b.batch_id = r.batch_id
  Returns batch_id, delivery_key and loaded_at.
  Written as an anti-join ("no later loaded batch of the same delivery") rather than row_number() = 1: PostgreSQL
  estimates the anti-join well, while a filter on a window function is estimated at one row, which sent the
  planner into nested loops that grew quadratically with the number of invoice files.
-#}
{% macro current_batches(batch_source, entity=none) -%}
    (
        select b.batch_id, b.delivery_key, b.finished_at as loaded_at
        from {{ source('audit', 'batches') }} as b
        where b.status = 'loaded'
          and b.source = '{{ batch_source }}'
          {%- if entity is not none %}
          and b.entity = '{{ entity }}'
          {%- endif %}
          and not exists (
              select 1
              from {{ source('audit', 'batches') }} as later
              where later.status = 'loaded'
                and later.source = b.source
                and later.entity is not distinct from b.entity
                and coalesce(later.employer_org_number, '') = coalesce(b.employer_org_number, '')
                and later.delivery_key = b.delivery_key
                and later.batch_id > b.batch_id
          )
    )
{%- endmacro %}
