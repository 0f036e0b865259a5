{#-
  Sick calendar days of spell alias `sp` that fall between two dates (inclusive), counting an ongoing spell up
  to the as-of date and nothing after it. Zero when the spell is outside the range or absent (left join).
-#}
{% macro interventions_sick_days_between(sp, from_expr, to_expr) -%}
    {#- the explicit null check matters: greatest() and least() skip nulls, so without it an absent spell
        (start_date null) would count the whole range as sick -#}
    case when {{ sp }}.start_date is null then 0 else greatest(0,
        least(coalesce({{ sp }}.end_date, {{ as_of_date() }}), {{ to_expr }}, {{ as_of_date() }})
        - greatest({{ sp }}.start_date, {{ from_expr }}) + 1) end
{%- endmacro %}
