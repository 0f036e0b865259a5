{#-
  fingerprinted_table: a table rebuilt only when the fingerprint of its inputs changed.

  The fingerprint is an md5 over, in a fixed order:
    * the model's compiled SQL (its code, the macros it calls and the relations it reads, resolved) and its
      config (post-hooks, indexes, ...);
    * for each parent, in unique_id order:
        - a seed: the content of its table (the rows as loaded, so a seed edited but not reloaded yet changes
          nothing, and a reloaded one does);
        - a model: that parent's stored fingerprint. The parent must itself be a fingerprinted_table (a compiler
          error otherwise); a parent without a stored fingerprint makes the fingerprint unknown: rebuild;
        - a raw source table: count(*) and max(batch_id) of the table, and an md5 over the audit.batches rows
          (batch_id, status, delivery_key, employer_org_number, entity) of the table's `meta.batch_source`:
          all of the source's batches, since a superseding re-delivery or a rejected batch changes staging
          (macros/current_batches.sql). audit.batches itself is skipped: it is covered that way. A raw source
          without `batch_source` is a compiler error;
    * the as-of date, when the model's SQL contains the as_of_date() expression (unpinned it is an
      expression of now(), which the SQL alone does not capture).
  Fingerprints live in audit.model_fingerprints (migration 052). When the relation exists as a table, this is
  not a full refresh and the stored fingerprint equals the new one, nothing runs (no DDL, no hooks): the result
  is recorded as KEPT. Otherwise the stored fingerprint is deleted in the transaction that builds the table
  (dbt's own table materialization) and the new one written after it committed, so a crash in between means a
  rebuild next time. Not covered: a raw table changed outside batches without changing its row count or its
  max(batch_id) (an update in place), data read other than through ref()/source(), and SQL reading the clock
  other than through as_of_date().
-#}
{% macro fingerprint_store() -%}
    audit.model_fingerprints
{%- endmacro %}


{% macro fingerprint_key(schema, identifier) -%}
    {{ schema ~ '.' ~ identifier }}
{%- endmacro %}


{#- The SQL expressions (each text, null = unknown) whose md5 is the model's fingerprint, in a fixed order. -#}
{% macro fingerprint_parts(model_node) %}
    {%- set batches_uid = 'source.' ~ project_name ~ '.audit.batches' -%}
    {%- set batches = graph.sources[batches_uid].relation_name -%}
    {%- set parts = [
        "'sql:" ~ local_md5(sql) ~ "'",
        "'config:" ~ local_md5(tojson(model_node.config, sort_keys=True)) ~ "'",
    ] -%}
    {%- for parent in model_node.depends_on.nodes | sort -%}
        {%- if parent.startswith('seed.') -%}
            {%- set relation = graph.nodes[parent].relation_name -%}
            {%- do parts.append(
                "(select 'seed:' || md5(" ~ rows_text(relation) ~ "))") -%}
        {%- elif parent.startswith('model.') -%}
            {%- set node = graph.nodes[parent] -%}
            {%- if node.config.materialized != 'fingerprinted_table' -%}
                {%- do exceptions.raise_compiler_error(
                    "fingerprinted_table " ~ model_node.name ~ " reads " ~ node.name ~ ", which is materialized as '"
                    ~ node.config.materialized ~ "': the parents of a fingerprinted_table must be fingerprinted "
                    ~ "tables, seeds or batch-loaded sources (else a change in " ~ node.name ~ " would go unseen)") -%}
            {%- endif -%}
            {%- do parts.append(
                "(select 'model:' || f.fingerprint from " ~ fingerprint_store() ~ " as f where f.relation_name = '"
                ~ fingerprint_key(node.schema, node.alias) ~ "')") -%}
        {%- elif parent.startswith('source.') -%}
            {%- if parent != batches_uid -%}
                {%- set src = graph.sources[parent] -%}
                {%- set batch_source = (src.config.meta or {}).get('batch_source') or (src.meta or {}).get('batch_source') -%}
                {%- if not batch_source -%}
                    {%- do exceptions.raise_compiler_error(
                        "fingerprinted_table " ~ model_node.name ~ " reads source " ~ src.source_name ~ "." ~ src.name
                        ~ ", which has no meta.batch_source: name the audit.batches source whose batches load it") -%}
                {%- endif -%}
                {%- do parts.append(
                    "(select 'rows:' || count(*) || '|' || coalesce(max(r.batch_id)::text, '') from "
                    ~ src.relation_name ~ " as r)") -%}
                {%- do parts.append(
                    "(select 'batches:' || coalesce(md5(string_agg("
                    ~ "row(b.batch_id, b.status, b.delivery_key, b.employer_org_number, b.entity)::text, "
                    ~ "E'\\n' order by b.batch_id)), '') from " ~ batches ~ " as b where b.source = '"
                    ~ batch_source ~ "')") -%}
            {%- endif -%}
        {%- else -%}
            {%- do exceptions.raise_compiler_error(
                "fingerprinted_table " ~ model_node.name ~ " reads " ~ parent
                ~ ": only seeds, fingerprinted models and batch-loaded sources can be fingerprinted") -%}
        {%- endif -%}
    {%- endfor -%}
    {%- set as_of = as_of_date() | trim -%}
    {%- if as_of in sql -%}
        {%- do parts.append("(select 'as_of:' || (" ~ as_of ~ ")::text)") -%}
    {%- endif -%}
    {{ return(parts) }}
{% endmacro %}


{% materialization fingerprinted_table, adapter='postgres' %}
    {%- set key = fingerprint_key(this.schema, this.identifier) -%}
    {%- set parts = fingerprint_parts(model) -%}
    {%- set probe -%}
        select 'x' || fingerprint as fingerprint, fingerprint is not null and fingerprint = stored as unchanged
        from (
            select
                case when {% for p in parts %}p{{ loop.index }} is null{% if not loop.last %} or {% endif %}{% endfor %}
                    then null
                    else md5({% for p in parts %}p{{ loop.index }}{% if not loop.last %} || E'\n' || {% endif %}{% endfor %})
                end as fingerprint,
                stored
            from (
                select
                    {%- for p in parts %}
                    {{ p }} as p{{ loop.index }},
                    {%- endfor %}
                    (select f.fingerprint from {{ fingerprint_store() }} as f where f.relation_name = '{{ key }}')
                        as stored
            ) as inputs
        ) as fingerprinted
    {%- endset -%}
    {#- 'x' || ...: the md5 comes back as text, never as a number agate thought it saw -#}
    {%- set row = run_query(probe).rows[0] -%}
    {%- set fingerprint = row['fingerprint'][1:] if row['fingerprint'] is not none else none -%}
    {%- set existing = load_cached_relation(this) -%}

    {%- if existing is not none and existing.is_table and not should_full_refresh() and row['unchanged'] -%}
        {{ log("kept " ~ this ~ ": inputs unchanged", info=True) }}
        {%- call noop_statement('main', message='KEPT', code='KEPT') -%}
            -- kept: inputs unchanged (fingerprint {{ fingerprint }})
        {%- endcall -%}
        {{ return({'relations': [this]}) }}
    {%- endif -%}

    {#- Deleted in the transaction that replaces the table: whatever happens next, a stored fingerprint never
        describes a table it did not build. -#}
    {%- call statement('forget_fingerprint') -%}
        delete from {{ fingerprint_store() }} where relation_name = '{{ key }}'
    {%- endcall -%}
    {%- set result = dbt.materialization_table_default() -%}
    {%- if fingerprint is not none -%}
        {%- call statement('store_fingerprint') -%}
            insert into {{ fingerprint_store() }} (relation_name, fingerprint, invocation_id, built_at)
            values ('{{ key }}', '{{ fingerprint }}', '{{ invocation_id }}', now())
            on conflict (relation_name) do update
                set fingerprint = excluded.fingerprint, invocation_id = excluded.invocation_id,
                    built_at = excluded.built_at
        {%- endcall -%}
        {%- do adapter.commit() -%}
    {%- endif -%}
    {{ return(result) }}
{% endmaterialization %}
