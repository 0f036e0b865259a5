{#-
  Sick calendar days of spell alias `sp` that fall between two dates (inclusive), counting an ongoing spell up
  to the as-of date and nothing after it. Zero when the spell is outside the range or absent (left join).
-#}
{% macro interventions_sick_days_between(sp, from_expr, to_expr) -%}
    coalesce(greatest(0,
        least(coalesce({{ sp }}.end_date, {{ as_of_date() }}), {{ to_expr }}, {{ as_of_date() }})
        - greatest({{ sp }}.start_date, {{ from_expr }}) + 1), 0)
{%- endmacro %}
