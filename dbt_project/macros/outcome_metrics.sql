{#-
  int_outcome_window_metrics is incremental per subject and stands alone: each row keeps a fingerprint of the
  spells it was counted from, and a row whose fingerprint no longer matches is counted again.
-#}

{#- The fingerprint of one person's spells, as an aggregate over their fct_sick_spells rows (`spells` = none: a
    person without spells). An ongoing spell is counted up to the as-of date, so the date is part of it; the
    model's own code is too, so that a changed count is redone for everyone. -#}
{% macro outcome_spells_fingerprint(spells='fct_sick_spells') -%}
    {%- set code = graph.nodes[model.unique_id].checksum.checksum if execute and model.unique_id in graph.nodes
                   else '' -%}
    md5(
        {%- if spells %}
        string_agg(
            cast(start_date as text) || '-'
                || coalesce(cast(end_date as text), 'ongoing ' || cast({{ as_of_date() }} as text)),
            ',' order by start_date)
        {%- else %}
        'no spells'
        {%- endif %}
        || '|{{ code }}'
    )
{%- endmacro %}


{#- The pre-hook: delete the windows no longer in the seed and the rows whose subject is gone or changed. Two
    statements, each one scan or anti-join of the table. -#}
{% macro delete_changed_outcome_metrics() -%}
    delete from {{ this }} as t
    where t.window_days not in (select w.window_days from {{ ref('outcome_windows') }} as w);

    with person_spells as (
        select employer_org_number, person_key, {{ outcome_spells_fingerprint() }} as spells_fp
        from {{ ref('fct_sick_spells') }}
        group by employer_org_number, person_key
    ),

    current_subjects as (
        select
            s.subject_type, s.subject_id, s.employer_org_number, s.person_key, s.index_date,
            coalesce(ps.spells_fp, {{ outcome_spells_fingerprint(none) }}) as spells_fp
        from {{ ref('int_outcome_subjects') }} as s
        left join person_spells as ps
            on ps.employer_org_number = s.employer_org_number and ps.person_key = s.person_key
    )

    delete from {{ this }} as t
    where not exists (
        select 1 from current_subjects as c
        where c.subject_type = t.subject_type
          and c.subject_id = t.subject_id
          and c.employer_org_number = t.employer_org_number
          and c.person_key = t.person_key
          and c.index_date = t.index_date
          and c.spells_fp = t.spells_fp
    )
{%- endmacro %}
