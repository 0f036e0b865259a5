{#-
  Person-level incremental models (the day-level sick-leave intermediates). Each night they recompute only the
  persons int_payroll_person_changes marks dirty, and keep everyone else's rows. A model using this pattern:

      {{ config(**person_incremental(['spell_id'], 'delete_changed_persons()')) }}
      -- depends_on: {{ ref('int_payroll_person_changes') }}
      ... where {% if is_incremental() %}{{ is_changed_person('x') }}{% else %}true{% endif %}

  The delete runs in the same transaction as the insert, so a failed night leaves yesterday's rows; and since
  the state of the last completed night only advances at the end of the build, the next night recomputes the
  failed night's persons as well. Deleting and inserting the same persons again is idempotent.
-#}
{#- The config of such a model: appended rows, the grain as a unique index (it checks every insert, where a
    uniqueness test would scan the whole table each night), `delete_call` (a macro call, as text) as the pre-hook
    of an incremental run, `other_indexes` (lists of columns) for those deletes, and statistics for the next
    model (analyze_when_new). With `changed_rows`, the pre-hook captures the rows tonight replaces instead of
    deleting them, and only the rows that differ are written (macros/materializations/changed_rows.sql); with
    `compare_rows=false` as well, all of them are (the replace_rows strategy: for hooks that read the rows
    replaced and written, where a comparison would keep nothing out). -#}
{% macro person_incremental(unique_columns, delete_call, other_indexes=[], pre_hooks=[], post_hooks=[],
                            changed_rows=false, compare_rows=true) -%}
    {%- set indexes = [{'columns': unique_columns, 'unique': True}] -%}
    {%- for columns in other_indexes %}{% do indexes.append({'columns': columns}) %}{% endfor -%}
    {%- set config = {
        'materialized': 'incremental',
        'incremental_strategy': ('changed_rows' if compare_rows else 'replace_rows') if changed_rows else 'append',
        'on_schema_change': 'fail',
        'indexes': indexes,
        'pre_hook': pre_hooks + ['{% if is_incremental() %}{{ ' ~ delete_call ~ ' }}{% endif %}'],
        'post_hook': post_hooks + ['{{ analyze_when_new() }}'],
    } -%}
    {%- if changed_rows %}{% do config.update({'unique_key': unique_columns}) %}{% endif -%}
    {%- do return(config) -%}
{%- endmacro %}


{#- Post-hook of an incremental model: analyze the table when it has no statistics yet (a first build or a full
    refresh), not after a night that changed a few thousand of its rows. Sampling a large table costs up to 0.5 s a
    model (a 47-million-row calendar table at 50,000 x 5 years, since dropped), and a night's rows barely move the
    statistics; for the indexed date columns the planner reads the actual range from the index anyway.
    Autovacuum analyzes them once enough rows have changed. -#}
{% macro analyze_when_new() -%}
    do $analyze$ begin
        if not exists (select 1 from pg_stats where schemaname = '{{ this.schema }}' and tablename = '{{ this.identifier }}')
        then analyze {{ this }};
        end if;
    end $analyze$
{%- endmacro %}


{#- An aggregate: a fingerprint of the set of rows matching `condition`, each hashed to 64 bits by `hash_expr`,
    null when none match. A count and a sum of the hashes, so equal sets give equal values whatever their order:
    unlike an md5 of the sorted list it needs no sort, and a million rows hash-aggregate per person. -#}
{% macro set_fingerprint(hash_expr, condition='true') -%}
    case when count(*) filter (where {{ condition }}) > 0
        then count(*) filter (where {{ condition }}) || ':' || sum({{ hash_expr }}) filter (where {{ condition }})
    end
{%- endmacro %}


{#- A set_fingerprint `fp` with rows added: their count and the sum of their hashes (null or 0 when none). -#}
{% macro add_to_set_fingerprint(fp, added_count, added_hash_sum) -%}
    case
        when coalesce({{ added_count }}, 0) = 0 then {{ fp }}
        when {{ fp }} is null then {{ added_count }} || ':' || {{ added_hash_sum }}
        else (cast(split_part({{ fp }}, ':', 1) as bigint) + {{ added_count }})
            || ':' || (cast(split_part({{ fp }}, ':', 2) as numeric) + {{ added_hash_sum }})
    end
{%- endmacro %}


{#- The 64-bit hash of a raw row of `alias`, identified by batch_id and line_no. -#}
{% macro raw_row_hash(alias) -%}
    hashint8extended({{ alias }}.line_no, {{ alias }}.batch_id)
{%- endmacro %}


{#- ... of the raw rows of `alias`. -#}
{% macro raw_rows_fingerprint(alias, condition='true') -%}
    {{ set_fingerprint(raw_row_hash(alias), condition) }}
{%- endmacro %}


{#- Absence row `a` (category `c`) is a sick-leave period with reported hours that ended after the previous
    night's as-of date (`previous_as_of`, an expression) and by tonight's: its hours are now spread over all its
    days. -#}
{% macro ended_reported_period(a, c, previous_as_of) -%}
    {{ c }}.is_sick_leave and {{ a }}.reported_hours is not null
    and {{ a }}.to_date > {{ previous_as_of }} and {{ a }}.to_date <= {{ as_of_date() }}
{%- endmacro %}


{#- Written as an uncorrelated IN: a semi-join in a WHERE clause, a hashed subplan under OR (a delete). -#}
{#- `flag`: is_dirty (any input of the person changed) or is_schedule_dirty (only their working-day calendar). -#}
{% macro is_changed_person(alias, flag='is_dirty') -%}
    ({{ alias }}.employer_org_number, {{ alias }}.person_key) in (
        select chg.employer_org_number, chg.person_key
        from {{ ref('int_payroll_person_changes') }} as chg
        where chg.{{ flag }}
    )
{%- endmacro %}


{#- Whether the published marts are behind the last completed build's state (var marts_behind_state, set by
    frisk.dbt_runner.build_aside): an incremental mart then recomputes every person, not only the dirty ones. -#}
{% macro marts_behind_state() -%}
    {#- not read while dbt parses (as_of_date explains why) -#}
    {{- return(execute and (var('marts_behind_state', '') | string | trim | lower) in ('true', '1', 'yes')) -}}
{%- endmacro %}


{#- Whether the fingerprinted models (the invoice chain, macros/materializations/fingerprinted_table.sql) differ
    from the ones the published marts were built with (audit.builds.shared_inputs_fp, recorded at publish by
    frisk.dbt_runner.publish from the same view, audit.shared_inputs: migration 055), or nothing was published: a
    mart that reads them then recomputes everyone. -#}
{% macro fingerprinted_inputs_changed() -%}
    {%- if not execute -%}{{ return(true) }}{%- endif -%}
    {%- set row = run_query(
        "select coalesce(p.fp = c.fp, false)
         from (select max(fp) as fp from (select shared_inputs_fp as fp from audit.builds where status = 'published'
                                          order by finished_at desc nulls last, started_at desc limit 1) as b) as p,
              audit.shared_inputs as c").rows[0] -%}
    {{ return(not row[0]) }}
{%- endmacro %}


{#- Whether the fingerprinted models (the invoice chain) hold the very tables the last published build tested:
    tonight runs that build's project (var project_as_published, set by frisk.dbt_runner.build_aside on a night
    that is not a full refresh) and the chain's fingerprints are the ones recorded when it was published. A
    table's rows are a function of its fingerprint's inputs, and a build is published only when every test
    passed: a test that reads nothing but those tables (and the seeds their fingerprints cover) would pass again,
    so it may skip its scan. A hand-run dbt, a full refresh or a changed chain runs it in full. -#}
{% macro invoice_chain_as_published() -%}
    {{ return(project_as_published() and not fingerprinted_inputs_changed()) }}
{%- endmacro %}


{#- Whether tonight runs the last published build's dbt project: an incremental night of
    frisk.dbt_runner.build_aside (var project_as_published; a changed project's first night is a full refresh). -#}
{% macro project_as_published() -%}
    {{ return(execute and not flags.FULL_REFRESH
              and (var('project_as_published', '') | string | trim | lower) in ('true', '1', 'yes')) }}
{%- endmacro %}


{#- The as-of date of the last completed build (null before the first one). -#}
{% macro previous_as_of_date() -%}
    (select max(previous_as_of_date) from {{ ref('int_payroll_person_changes') }})
{%- endmacro %}


{#- The first month whose rows grow when the as-of date moves on: the month of the day after the previous one. -#}
{% macro first_open_month() -%}
    cast(date_trunc('month', {{ previous_as_of_date() }} + 1) as date)
{%- endmacro %}


{#- Pre-hook: the rows of the persons marked by `flag` (deleted, or captured: remove_replaced_rows). The exists() is
    evaluated once: on a night without such persons the table is not scanned at all. -#}
{% macro delete_changed_persons(flag='is_dirty') -%}
    {{ remove_replaced_rows('exists (select 1 from ' ~ ref('int_payroll_person_changes') ~ ' as any_chg where any_chg.'
                            ~ flag ~ ') and ' ~ is_changed_person('t', flag)) }}
{%- endmacro %}


{#- WHERE clause of a person-incremental mart's input: on an incremental night only the dirty persons' rows, unless
    the published marts are behind the state (then everyone's, like a full build). With `or_emptied`, also
    everyone's when the table is empty once its pre-hook ran (a pre-hook that decides to rebuild everyone truncates
    it, so the query need not ask the same question again; a table left empty by deleting the dirty persons' rows
    had no one else's rows to keep either). -#}
{% macro where_mart_person_changed(alias, keyword='where', or_emptied=false) -%}
    {%- if is_incremental() and not marts_behind_state() %}
    {{ keyword }} ({{ is_changed_person(alias) }}
    {%- if or_emptied %}
        or not exists (select from {{ this }})
    {%- endif %})
    {%- endif %}
{%- endmacro %}


{#- Pre-hook of a person-incremental mart (it continues from the published table): the dirty persons' rows, or all
    of them when the published marts are behind the state (marts_behind_state) or `everyone`. -#}
{% macro delete_changed_mart_persons(everyone=false) -%}
    {%- if everyone or marts_behind_state() -%}
    truncate {{ this }}
    {%- else -%}
    {{ delete_changed_persons() }}
    {%- endif -%}
{%- endmacro %}


{#- Pre-hook of a model recomputed from each dirty person's changed_from on (null = all their rows; 'infinity' =
    none): their rows whose `date_column` is on or after changed_from minus `days_before`.
      int_sick_leave_days: absence_date, 0 (the days from changed_from on);
      int_sick_spells: last_sick_date, 1 (the spells that reach the day before it: a spell that ends earlier keeps
      its days, and the day after it stays a non-sick day, so new sick days cannot join it). -#}
{% macro delete_changed_from(date_column, days_before=0) -%}
    {%- set where -%}
    chg.is_dirty
      and t.employer_org_number = chg.employer_org_number
      and t.person_key = chg.person_key
      and (chg.changed_from is null or t.{{ date_column }} >= chg.changed_from - {{ days_before }})
    {%- endset -%}
    {{ remove_replaced_rows(where, using=ref('int_payroll_person_changes') ~ ' as chg') }}
{%- endmacro %}


{#- The previous as-of date as a literal, read when the hook runs: the planner then knows from the statistics that
    almost no row is later, and deletes them through an index instead of scanning the table. -#}
{% macro previous_as_of_literal() -%}
    {%- if execute -%}
        {%- set value = run_query(
            'select max(previous_as_of_date) from ' ~ ref('int_payroll_person_changes')).columns[0].values()[0] -%}
        {{- "date '" ~ value ~ "'" if value is not none else 'cast(null as date)' -}}
    {%- else -%}
        cast(null as date)
    {%- endif -%}
{%- endmacro %}


{#- The month the as-of date runs in (the month of the day after it): tonight's open month, whose hours still grow. -#}
{% macro open_month_start() -%}
    cast(date_trunc('month', {{ as_of_date() }} + 1) as date)
{%- endmacro %}


{#- first_open_month() as a literal, read when the model runs (for an index range on a date). -#}
{% macro first_open_month_literal() -%}
    cast(date_trunc('month', {{ previous_as_of_literal() }} + 1) as date)
{%- endmacro %}


{#- Month-level models (int_employment_month_hours and the aggregates on it) recompute, per person, the months from
    int_month_hours_changes.month_from on, and everyone's months from first_open_month() on (their scheduled
    hours grew by the new days). The first month recomputed for a person: -#}
{% macro person_months_from(changes_alias) -%}
    least(coalesce({{ changes_alias }}.month_from, date 'infinity'), {{ first_open_month() }})
{%- endmacro %}


{#- ... and per employer, for the aggregates over persons: the earliest of its persons' (a derived table). -#}
{% macro employer_months_from() -%}
    (
        select employers.employer_org_number, {{ person_months_from('m') }} as month_from
        from (select distinct employer_org_number from {{ ref('int_payroll_person_changes') }}) as employers
        left join (
            select employer_org_number, min(month_from) as month_from
            from {{ ref('int_month_hours_changes') }}
            group by employer_org_number
        ) as m on m.employer_org_number = employers.employer_org_number
    )
{%- endmacro %}


{#- FROM-clause source of an aggregate over the month hours (int_employment_month_hours and the open month,
    int_employment_open_month_hours), as `alias`: on an incremental night only each employer's months from its first
    changed one on (with `year`, from the start of that month's year), read through the (employer_org_number,
    month_start) index. The lateral with `offset 0` keeps the planner from scanning all the month rows (2.2 million
    at 50,000 x 5 years, for the current month or two), as it did with a plain join on the range, whose bound it
    cannot estimate. -#}
{% macro month_hours_since_changed(alias, year=false) -%}
    {%- if is_incremental() -%}
    {{ employer_months_from() }} as w
    cross join lateral (
        (
            select *
            from {{ ref('int_employment_month_hours') }} as mh
            where mh.employer_org_number = w.employer_org_number
              and mh.month_start >= {% if year %}cast(date_trunc('year', w.month_from) as date){% else %}w.month_from{% endif %}
            offset 0
        )
        union all
        -- the open month is never before an employer's first changed month (that is at most last night's open one)
        select *
        from {{ ref('int_employment_open_month_hours') }} as om
        where om.employer_org_number = w.employer_org_number
    ) as {{ alias }}
    {%- else -%}
    (
        select * from {{ ref('int_employment_month_hours') }}
        union all
        select * from {{ ref('int_employment_open_month_hours') }}
    ) as {{ alias }}
    {%- endif -%}
{%- endmacro %}


{#- Pre-hook of int_employment_month_hours: each dirty person's rows from their first changed month on, through the
    table's (employer_org_number, person_key, ...) index. The table holds only closed months, so nothing of
    everyone else's changes (a month that closes tonight is added, not replaced). -#}
{% macro delete_changed_person_months(date_column) -%}
    delete from {{ this }} as t
    using {{ ref('int_month_hours_changes') }} as mc
    where t.employer_org_number = mc.employer_org_number and t.person_key = mc.person_key
      and t.{{ date_column }} >= mc.month_from
{%- endmacro %}


{#- The config of an aggregate over persons that is incremental per employer and month (or year): appended rows,
    each employer's months from its first changed one deleted first (delete_changed_employer_months). -#}
{% macro employer_month_incremental(column, year=false) -%}
    {%- do return({
        'materialized': 'incremental',
        'incremental_strategy': 'append',
        'on_schema_change': 'fail',
        'pre_hook': "{% if is_incremental() %}{{ delete_changed_employer_months('" ~ column ~ "', year="
                    ~ (year | string | lower) ~ ") }}{% endif %}",
        'post_hook': '{{ analyze_when_new() }}',
    }) -%}
{%- endmacro %}


{#- Pre-hook of an aggregate over persons: every employer's rows from its first changed month on. `column` is
    compared to the month (a date), or with `year=True` to its year (an integer column). -#}
{% macro delete_changed_employer_months(column, year=false) -%}
    delete from {{ this }} as t
    using {{ employer_months_from() }} as w
    where t.employer_org_number = w.employer_org_number
      and t.{{ column }} >= {% if year %}extract(year from w.month_from){% else %}w.month_from{% endif %}
{%- endmacro %}


{#-
  The outcome models (int_outcome_subjects, int_outcome_window_metrics) are incremental per person in the same
  way, on their own changes model and state (int_outcome_person_changes / int_outcome_person_state), so that the
  sick-leave models never wait for the invoice chain. -#}
{#- `flags`: a condition on int_outcome_person_changes' columns. -#}
{% macro is_changed_outcome_person(alias, flags='is_dirty') -%}
    ({{ alias }}.employer_org_number, {{ alias }}.person_key) in (
        select och.employer_org_number, och.person_key
        from {{ ref('int_outcome_person_changes') }} as och
        where {{ flags }}
    )
{%- endmacro %}


{#- A lateral join (alias it) to each person's rows of `relation` (as x, a table with an (employer_org_number,
    person_key, ...) index), for the persons of the FROM item `persons`, and `condition` on x. Each person reads
    their own rows through the index (a lateral subquery kept apart by offset 0): as an IN or a join, the planner
    scanned the whole table and hashed it against the night's few thousand persons (the 5.7 million sick days,
    the 1.6 million outcome subjects, the 576,000 spells at 50,000 x 5 years). -#}
{% macro person_rows(relation, persons, condition='') -%}
    cross join lateral (
        select * from {{ relation }} as x
        where x.employer_org_number = {{ persons }}.employer_org_number and x.person_key = {{ persons }}.person_key
          {%- if condition %}
          and {{ condition }}
          {%- endif %}
        offset 0
    )
{%- endmacro %}


{#- The rows of `relation` of the persons whose int_outcome_person_changes row meets `flags` (person_rows), with
    their is_dirty flag as person_is_dirty and their spells_changed_from as person_spells_changed_from. -#}
{% macro changed_outcome_person_rows(relation, flags='is_dirty') -%}
    select r.*, och.is_dirty as person_is_dirty, och.spells_changed_from as person_spells_changed_from
    from {{ ref('int_outcome_person_changes') }} as och
    {{ person_rows(relation, 'och') }} as r
    where {{ flags }}
{%- endmacro %}


{#- Read when the model runs: whether everyone is recomputed tonight, and the previous as-of date (as a literal
    the planner can estimate). -#}
{% macro outcome_changes_summary() -%}
    {%- if execute -%}
        {%- set row = run_query(
            'select bool_or(everyone_dirty), min(previous_as_of_date) from '
            ~ ref('int_outcome_person_changes')).rows[0] -%}
        {%- do return({'everyone': row[0] is none or row[0],
                       'final_until': "date '" ~ row[1] ~ "'" if row[1] is not none else 'cast(null as date)'}) -%}
    {%- endif -%}
    {%- do return({'everyone': true, 'final_until': 'cast(null as date)'}) -%}
{%- endmacro %}


{#- Whether window row `t` is replaced tonight (`och`: its person's int_outcome_person_changes row): the dirty
    persons' rows and, of the persons sick since the previous as-of date, the windows not over then. The one
    definition of the rows the window metrics' pre-hook captures. The persons come first, on their own: the planner
    then reads their few rows through the person index instead of hashing the whole table (4.8 million rows at
    50,000 x 5: 1.0 s -> 0.4 s). -#}
{% macro outcome_window_replaced(t, och, final_until) -%}
    ({{ och }}.is_dirty or {{ och }}.sick_since_previous)
      and {{ outcome_window_recomputed(och ~ '.is_dirty', och ~ '.spells_changed_from',
                                       t ~ '.index_date + ' ~ t ~ '.window_days - 1', final_until) }}
{%- endmacro %}


{#- Whether a window of a person in int_outcome_window_metrics' changes is recomputed: a dirty person's windows that
    reach the day their spells changed from (all of them when that is null: int_outcome_person_changes.
    spells_changed_from), and every window not over on the previous as-of date (`final_until`), whose count of
    days up to the as-of date may have grown. -#}
{% macro outcome_window_recomputed(is_dirty, spells_changed_from, window_end, final_until) -%}
    (({{ is_dirty }} and ({{ spells_changed_from }} is null or {{ window_end }} >= {{ spells_changed_from }}))
     or {{ window_end }} > {{ final_until }})
{%- endmacro %}


{#- Pre-hook of an outcome model: everything when everyone is dirty, else the dirty persons' rows and, with
    `open_windows`, of the persons sick since the previous as-of date, the rows whose window was not over then.
    Deleted, or captured for the changed_rows strategy (remove_replaced_rows).
    With `comparison_groups`, int_outcome_comparison_groups is emptied with the table (and counted again by its
    model); on other nights it follows the rows the strategy writes (outcome_comparison_follow_changes). -#}
{% macro delete_changed_outcome_rows(open_windows=false, comparison_groups=false) -%}
    {%- set summary = outcome_changes_summary() -%}
    {%- if summary.everyone -%}
    truncate {{ this }}
    {%- if comparison_groups %};
    {{ outcome_comparison_groups_reset() }}
    {%- endif -%}
    {%- else -%}
    {%- set where -%}
    t.employer_org_number = och.employer_org_number and t.person_key = och.person_key
      {%- if open_windows %}
      and {{ outcome_window_replaced('t', 'och', summary.final_until) }}
      {%- else %}
      and och.is_dirty
      {%- endif %}
    {%- endset -%}
    {{ remove_replaced_rows(where, using=ref('int_outcome_person_changes') ~ ' as och') }}
    {%- endif -%}
{%- endmacro %}


{#- int_person_year_hours holds closed months, per person and year. A night changes the closed months of each
    person in int_month_hours_changes from their month_from on, and adds everyone's months from
    first_open_month() on when a month closed since the previous night (first_open_month() is then before
    tonight's open month). At year grain: each such person's years from month_from's year, and everyone's years
    from the closed month's year on: that year's first day as a literal, read when the model runs (date 'infinity'
    when no month closed). -#}
{% macro closed_year_from() -%}
    {%- if not execute -%}{{ return("date 'infinity'") }}{%- endif -%}
    {%- set value = run_query(
        "select cast(date_trunc('year', o.first_open) as date)::text from (select " ~ first_open_month()
        ~ " as first_open) as o where o.first_open < " ~ open_month_start()).columns[0].values() -%}
    {{ return("date '" ~ (value[0] if value else 'infinity') ~ "'") }}
{%- endmacro %}


{#- FROM-clause source of int_person_year_hours, as `alias`: on an incremental night the month rows of the years
    it recomputes, everyone's through the (employer_org_number, month_start) index when a month closed, and each
    changed person's other years through the person index. -#}
{% macro person_years_since_changed(alias) -%}
    {%- if is_incremental() -%}
    {%- set closed_from = closed_year_from() -%}
    (
        select mh.*
        from {{ ref('int_employment_month_hours') }} as mh
        where mh.month_start >= {{ closed_from }}
        union all
        select r.*
        from {{ ref('int_month_hours_changes') }} as mc
        {{ person_rows(ref('int_employment_month_hours'), 'mc',
                       "x.month_start >= cast(date_trunc('year', mc.month_from) as date) and x.month_start < "
                       ~ closed_from) }} as r
    ) as {{ alias }}
    {%- else -%}
    {{ ref('int_employment_month_hours') }} as {{ alias }}
    {%- endif -%}
{%- endmacro %}


{#- Its pre-hook: the rows of the years it recomputes. -#}
{% macro delete_changed_person_years() -%}
    {%- set closed_from = closed_year_from() -%}
    delete from {{ this }} as t
    where t.report_year >= extract(year from {{ closed_from }});
    delete from {{ this }} as t
    using {{ ref('int_month_hours_changes') }} as mc
    where t.employer_org_number = mc.employer_org_number and t.person_key = mc.person_key
      and t.report_year >= extract(year from mc.month_from)
{%- endmacro %}


{#- FROM-clause source of int_key_figure_groups, as `alias`: the person-years of the closed months
    (int_person_year_hours) and the open month's rows (int_employment_open_month_hours) in the same columns; on an
    incremental night only each employer's years from its first changed month's year (employer_months_from()),
    through the (employer_org_number, report_year) index. -#}
{% macro person_years_and_open_month(alias) -%}
    {%- set open_month -%}
        select om.employer_org_number, cast(extract(year from om.month_start) as integer) as report_year,
               om.person_key, om.org_unit_code, om.org_unit_name, om.sector, om.sex, om.age_in_year,
               om.scheduled_hours, om.sick_hours, om.long_term_sick_hours
        from {{ ref('int_employment_open_month_hours') }} as om
    {%- endset -%}
    {%- set columns = 'employer_org_number, report_year, person_key, org_unit_code, org_unit_name, sector, sex, '
                      ~ 'age_in_year, scheduled_hours, sick_hours, long_term_sick_hours' -%}
    {%- if is_incremental() -%}
    {{ employer_months_from() }} as w
    cross join lateral (
        (
            select {{ columns }}
            from {{ ref('int_person_year_hours') }} as py
            where py.employer_org_number = w.employer_org_number
              and py.report_year >= extract(year from w.month_from)
            offset 0
        )
        union all
        {{ open_month }}
        where om.employer_org_number = w.employer_org_number
    ) as {{ alias }}
    {%- else -%}
    (
        select {{ columns }} from {{ ref('int_person_year_hours') }}
        union all
        {{ open_month }}
    ) as {{ alias }}
    {%- endif -%}
{%- endmacro %}


{#- The person-year sums of int_person_year_hours and int_key_figure_groups: the month rows of `source` (a FROM-clause
    item aliased h) summed per employer, year (`report_year`, an expression on h), person and what the key figures
    group and count on. -#}
{% macro person_year_sums(source, report_year) -%}
    select
        h.employer_org_number,
        {{ report_year }} as report_year,
        h.person_key,
        h.org_unit_code,
        h.org_unit_name,
        h.sector,
        h.sex,
        h.age_in_year,
        sum(h.scheduled_hours) as scheduled_hours,
        sum(h.sick_hours) as sick_hours,
        sum(h.long_term_sick_hours) as long_term_sick_hours
    from {{ source }}
    group by 1, 2, 3, 4, 5, 6, 7, 8
{%- endmacro %}
