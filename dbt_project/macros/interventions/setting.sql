{#-
  One parameter from the intervention_settings seed, valid on the as-of date (the most recent valid_from), as a
  literal: looked up when the model is compiled to run, so the compiled SQL carries the value itself, and a
  fingerprinted_table reading a setting rebuilds exactly when that setting's value changes (a new row taking
  effect on a date included), not on every new as-of date. At parse time (no database) a placeholder of the
  same type. The values are numeric(12,2) in the seed; rendered as printed, e.g. 90.00 (a negative one in
  parentheses).
  In a unit test the seed is a fixture, not a table, and before the seed is first loaded (`dbt docs generate` on
  a new warehouse) there is no table to read: there it stays the scalar subquery it was.
-#}
{% macro interventions_setting(name) -%}
    {%- set settings = ref('intervention_settings') -%}
    {%- if not execute -%}
        cast(null as numeric)
    {%- elif (model is defined and model.resource_type == 'unit_test') or load_relation(settings) is none -%}
        (select s.value
         from {{ settings }} as s
         where s.setting = '{{ name }}' and {{ valid_on('s', as_of_date()) }}
         order by s.valid_from desc
         limit 1)
    {%- else -%}
        {%- set found = run_query(
            "select s.value::text as value from " ~ settings ~ " as s where s.setting = '" ~ name ~ "' and "
            ~ valid_on('s', as_of_date()) ~ " order by s.valid_from desc limit 1") -%}
        {%- if found.rows | length == 0 -%}
            {%- do exceptions.raise_compiler_error(
                "intervention_settings: no value of '" ~ name ~ "' valid on the as-of date") -%}
        {%- endif -%}
        {%- set value = found.rows[0]['value'] | string -%}
        {%- if not modules.re.match('^-?[0-9]+(\\.[0-9]+)?$', value) -%}
            {%- do exceptions.raise_compiler_error(
                "intervention_settings: '" ~ name ~ "' = '" ~ value ~ "' is not a number") -%}
        {%- endif -%}
        {{ '(' ~ value ~ ')' if value.startswith('-') else value }}
    {%- endif -%}
{%- endmacro %}
