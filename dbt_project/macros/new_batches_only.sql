{#-
  The rows a generic test reads (dbt's get_where_subquery, overridden here: dispatch looks in the root project
  first). As dbt's, plus: a row-level test (not_null, accepted_values, relationships: whether a row passes does
  not depend on the others) of a payroll staging model, on a night that runs the last published build's project
  (project_as_published()), reads only the rows of batches that build's staging did not show (audit.builds.
  batches_seen: the current payroll batches when it started, frisk.dbt_runner._start_build). Raw rows never change,
  a payroll staging row is a function of its raw row, its batch being current and the project, and the published
  build's tests passed on the rows it showed (on those of batches its own predecessor had not shown, and so on
  back to a full refresh, which tests everything). A batch that becomes current again (the re-delivery that
  superseded it was rejected) was not shown, so it is tested. At 50,000 employees the relationship test of the
  absence categories read 1.2 million rows each night, at the start of the night's critical path. Not for
  statistics staging (a figure of an older batch shows when a newer one drops it), nor uniqueness tests (they
  compare rows with each other). The batches are listed (not "not seen"), so the raw table is read through its
  (batch_id, line_no) key: 0.76 s -> 0.43 s with a filter on the scanned rows, less through the key.
  Likewise a row-level test of a person-incremental mart on spells (fct_sick_spells, fct_absence_signals) on such a
  night reads only the rows of the spells int_sick_spells recomputed tonight (int_sick_spell_changes; the marts
  replace no other rows: macros/changed_spells.sql), unless the published marts are behind the state
  (marts_behind_state(): everyone's rows in the look-back were then recomputed). The mart continued from the
  published table, whose rows passed, and a row's spell, episode, band and employer are its own person's or a
  seed's (the seeds are the published project's). At 50,000 employees the spell-id tests of the two marts scanned
  and hashed 550,000 rows each night in parallel workers, 0.6 s of node time each.
-#}

{% macro default__get_where_subquery(relation) -%}
    {%- set where = config.get('where', '') -%}
    {%- set test = (model.get('test_metadata') or {}).get('name') if model is mapping else none -%}
    {%- set row_level = test in ('not_null', 'accepted_values', 'relationships') and project_as_published() -%}
    {%- if row_level and relation.identifier.startswith('stg_payroll__') -%}
        {%- set unseen -%}
        batch_id = any (array(
            select nb.batch_id from audit.batches as nb
            where not nb.batch_id = any (coalesce((
                select b.batches_seen from audit.builds as b where b.status = 'published'
                order by b.finished_at desc nulls last, b.started_at desc limit 1), '{}'))))
        {%- endset -%}
        {%- set where = unseen ~ (' and (' ~ where ~ ')' if where else '') -%}
    {%- elif row_level and relation.identifier in ('fct_sick_spells', 'fct_absence_signals')
          and not marts_behind_state() -%}
        {#- by name, not ref(): the test need not depend on the changes model (the mart ran after it). As a listed
            array fct_sick_spells is read through its key (a semi-join scanned and hashed all its rows); the
            signals have no spell index, and a scan must not compare each row with every element of an array
            (10 s at 50,000 employees), so they are a hashed semi-join -#}
        {%- set changes = graph.nodes['model.frisk.int_sick_spell_changes'].relation_name -%}
        {%- set dirty -%}
        {%- if relation.identifier == 'fct_sick_spells' -%}
        t.spell_id = any (array(select rs.spell_id from {{ changes }} as rs))
        {%- else -%}
        t.spell_id in (select rs.spell_id from {{ changes }} as rs)
        {%- endif -%}
        {%- endset -%}
        {%- set where = dirty ~ (' and (' ~ where ~ ')' if where else '') -%}
    {%- endif -%}
    {%- if where -%}
        {%- do return('(select * from ' ~ relation ~ ' as t where ' ~ where ~ ') dbt_subquery') -%}
    {%- else -%}
        {%- do return(relation) -%}
    {%- endif -%}
{%- endmacro %}
