{#- A rule row's validity must not end before it starts. -#}
{% test valid_date_range(model, column_name, valid_to='valid_to') %}
select *
from {{ model }}
where {{ column_name }} is null
   or ({{ valid_to }} is not null and {{ valid_to }} < {{ column_name }})
{% endtest %}
