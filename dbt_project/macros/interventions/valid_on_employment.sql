{#- Whether employment row `p` (stg_payroll__personnel) is in force on a date (open start or end = unbounded). -#}
{% macro valid_on_employment(p, date_expr) -%}
    (coalesce({{ p }}.employment_start_date, date '0001-01-01') <= {{ date_expr }}
     and coalesce({{ p }}.employment_end_date, date '9999-12-31') >= {{ date_expr }})
{%- endmacro %}
