{#- The listed columns together identify a row (nulls compare equal, as a grain should). -#}
{% test unique_combination(model, columns) %}
select {% for c in columns %}{{ c }}{% if not loop.last %}, {% endif %}{% endfor %}, count(*) as n
from {{ model }}
group by {% for c in columns %}{{ c }}{% if not loop.last %}, {% endif %}{% endfor %}
having count(*) > 1
{% endtest %}
