{#-
  Rules live in seeds with valid_from / valid_to (inclusive; an empty valid_to means "until further notice").
  `valid_on('r', 's.start_date')` is the condition that row alias r applies on that date.
-#}
{% macro valid_on(alias, date_expr) -%}
    ({{ date_expr }} >= {{ alias }}.valid_from
     and {{ date_expr }} <= coalesce({{ alias }}.valid_to, date '9999-12-31'))
{%- endmacro %}


{#- One numeric parameter from the sick_leave_parameters seed, valid on `date_expr` (a scalar subquery). -#}
{% macro sick_leave_parameter(name, date_expr) -%}
    (select cast(p.value as numeric)
     from {{ ref('sick_leave_parameters') }} as p
     where p.parameter = '{{ name }}' and {{ valid_on('p', date_expr) }}
     order by p.valid_from desc
     limit 1)
{%- endmacro %}
