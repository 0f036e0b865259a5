{#- Post-hook of the outcome subjects and window metrics: a partial index on the episodes' rows (subject_type =
    'episode'), which fct_intervention_outcomes reads every night. They are 2 % of the window rows and 2 % of the
    subjects, on 15 % of the pages: a scan of the whole tables for them (4.8 and 1.6 million rows at 50,000 x 5
    years) took two parallel workers and 0.75 s of CPU of each night. dbt's index config has no WHERE, so it is
    made here, once per table (a full refresh makes a new one); the name is PostgreSQL's, as an incremental night
    keeps the table and a full refresh still holds the old one under the same name until it is dropped. -#}
{% macro episode_rows_index(column='subject_id') -%}
    do $episodes$ begin
        if not exists (
            select 1 from pg_index as i
            where i.indrelid = '{{ this }}'::regclass
              and pg_get_indexdef(i.indexrelid) like '%WHERE (subject_type = ''episode''::text)%')
        then
            create index on {{ this }} ({{ column }}) where subject_type = 'episode';
        end if;
    end $episodes$
{%- endmacro %}
