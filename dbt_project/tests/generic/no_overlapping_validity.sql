{#-
  At most one version of a rule applies on any date: rows with the same key (a list of columns) must not have
  overlapping [valid_from, valid_to] ranges. Otherwise a lookup "valid on date d" would be ambiguous.
-#}
{% test no_overlapping_validity(model, key_columns, valid_from='valid_from', valid_to='valid_to') %}
{%- set keys = key_columns if key_columns is not string else [key_columns] %}
select a.*
from {{ model }} as a
join {{ model }} as b
  on {% for k in keys %}a.{{ k }} = b.{{ k }} and {% endfor %}a.{{ valid_from }} < b.{{ valid_from }}
where coalesce(a.{{ valid_to }}, date '9999-12-31') >= b.{{ valid_from }}
{% endtest %}
