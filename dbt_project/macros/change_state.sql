{#-
  The pieces the changes models (int_payroll_person_changes, int_outcome_person_changes) share: the previous
  night's state, and the text of what every person's rows depend on (rules, code), whose md5 recomputes
  everyone when it changes.
-#}

{#- The body of a changes model's `previous` CTE: the state table `identifier` in this schema, read by name (it is
    written after the models that consume the changes, so a night that fails half-way leaves it as it was), or
    no rows when it does not exist or lacks one of `columns` (written by an older version: everyone is
    recomputed). `columns`: [name, type] pairs. -#}
{% macro previous_state(identifier, columns) -%}
    {%- set state = adapter.get_relation(database=this.database, schema=this.schema, identifier=identifier) -%}
    {%- set missing = [] -%}
    {%- if state is not none and execute -%}
        {%- set have = adapter.get_columns_in_relation(state) | map(attribute='name') | list -%}
        {%- for column in columns if column[0] not in have %}{% do missing.append(column[0]) %}{% endfor -%}
    {%- endif -%}
    {%- if state is not none and not missing -%}
    select * from {{ state }}
    {%- else -%}
    select
        {%- for column in columns %}
        cast(null as {{ column[1] }}) as {{ column[0] }}{{ ',' if not loop.last }}
        {%- endfor %}
    where false
    {%- endif -%}
{%- endmacro %}


{#- A small table's rows as one text in a stable order (a scalar subquery): a seed in a rules fingerprint. -#}
{% macro rows_text(relation) -%}
    (select coalesce(string_agg(cast(t as text), ',' order by cast(t as text)), '') from {{ relation }} as t)
{%- endmacro %}


{#- The code (checksums) of the models named in `names` or under the fqn prefix `fqn_prefix`, as a text literal:
    a deploy that changes one of them recomputes everyone, like a changed rule. -#}
{% macro models_code(names=[], fqn_prefix=none) -%}
    {%- set code = [] -%}
    {%- if execute -%}
        {%- for node in graph.nodes.values() | sort(attribute='unique_id') -%}
            {%- if node.resource_type == 'model' and (node.name in names
                    or (fqn_prefix is not none and node.fqn[:fqn_prefix | length] == fqn_prefix)) -%}
                {%- do code.append(node.name ~ ':' ~ node.checksum.checksum) -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
    '{{ code | join(",") }}'
{%- endmacro %}
