{#- One parameter from the intervention_settings seed, valid on the as-of date (a scalar subquery). -#}
{% macro interventions_setting(name) -%}
    (select s.value
     from {{ ref('intervention_settings') }} as s
     where s.setting = '{{ name }}' and {{ valid_on('s', as_of_date()) }}
     order by s.valid_from desc
     limit 1)
{%- endmacro %}
