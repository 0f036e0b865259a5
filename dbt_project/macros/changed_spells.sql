{#-
  Spell-level narrowing of the models downstream of int_sick_spells. int_sick_spells recomputes a dirty person's
  spells from the one that reaches the day before their changed_from on (delete_changed_from('last_sick_date',
  days_before=1)) and keeps the earlier ones: their days did not change, nor did the day after each. The kept
  spells are therefore a prefix of the person's spells, and everything about a spell that is a function of that
  spell and the ones before it (its re-illness link and episode, its milestones, its mart row, the context of a
  service dated before the recomputed ones) is unchanged for a kept spell. So those models recompute and replace
  only the rows of the spells int_sick_spells recomputed, not every spell of every dirty person: at 50,000 x 5
  years a night's 3,227 dirty persons have 51,897 spells, of which about 3,300 are recomputed (most persons are
  dirty only because a long spell is still open, and only that spell grows).
  changed_from null (a changed calendar, superseded or rejected rows, new rules or code, no previous night) keeps
  no spell; 'infinity' (no sick day changed) keeps them all.
-#}

{#- The first day of a dirty person (`chg`, a row of int_payroll_person_changes) whose spells may have changed:
    the day before changed_from; null recomputes all of them. -#}
{% macro recomputed_spells_from(chg) -%}
    {{ chg }}.changed_from - 1
{%- endmacro %}


{#- Condition on `alias` (a row with spell_id): its spell is one int_sick_spells recomputed tonight (for the rows
    a model computes), as listed by int_sick_spell_changes (a model using it names that model in a depends_on
    comment: the ref is only rendered on an incremental night). -#}
{% macro is_recomputed_spell(alias) -%}
    {{ alias }}.spell_id in (select rs.spell_id from {{ ref('int_sick_spell_changes') }} as rs)
{%- endmacro %}


{#- Condition on `alias` (a stored row with employer_org_number, person_key and spell_id): the row belongs to a dirty
    person and its spell is not one int_sick_spells kept, so tonight's rows replace it (a recomputed spell, or a
    spell that no longer exists: merged into another, or gone with a superseded delivery). -#}
{% macro is_replaced_spell(alias) -%}
    {{ is_changed_person(alias) }}
    and {{ alias }}.spell_id not in (
        select ks.spell_id
        from {{ ref('int_payroll_person_changes') }} as chg
        inner join {{ ref('int_sick_spells') }} as ks
            on ks.employer_org_number = chg.employer_org_number and ks.person_key = chg.person_key
        where chg.is_dirty
          and chg.changed_from is not null and ks.last_sick_date < {{ recomputed_spells_from('chg') }}
    )
{%- endmacro %}


{#- Pre-hook of a spell-level model: the rows tonight replaces (is_replaced_spell), deleted or captured
    (remove_replaced_rows). The exists() is evaluated once: a night without dirty persons reads nothing. -#}
{% macro delete_replaced_spells() -%}
    {{ remove_replaced_rows('exists (select 1 from ' ~ ref('int_payroll_person_changes') ~ ' as any_chg where '
                            ~ 'any_chg.is_dirty) and ' ~ is_replaced_spell('t')) }}
{%- endmacro %}


{#- ... of a spell-level mart (it continues from the published table): everyone's rows when the published marts
    are behind the state (marts_behind_state). -#}
{% macro delete_replaced_mart_spells() -%}
    {%- if marts_behind_state() -%}
    truncate {{ this }}
    {%- else -%}
    {{ delete_replaced_spells() }}
    {%- endif -%}
{%- endmacro %}


{#- WHERE clause of a spell-level mart's input on an incremental night: the recomputed spells' rows, or everyone's
    when the published marts are behind the state (like where_mart_person_changed). -#}
{% macro where_mart_spell_changed(alias, keyword='where') -%}
    {%- if is_incremental() and not marts_behind_state() %}
    {{ keyword }} {{ is_recomputed_spell(alias) }}
    {%- endif %}
{%- endmacro %}


{#- A mart of dated rows that read a person's spells and signals up to their date (fct_interventions: a service and
    its absence context). A row dated before a dirty person's recomputed_spells_from reads only kept spells (a
    recomputed spell that started before that day started on the same day and still runs through it) and signals
    dated before it (a signal is dated when its spell data first shows it), so it did not change. -#}

{#- Its input on an incremental night: the dirty persons' rows dated on or after that day (all of a person's when
    changed_from is null); with `or_emptied`, everyone's when the pre-hook emptied the table (as
    where_mart_person_changed). Two parts: a left join of the dirty persons to `alias` (hashed: as a correlated
    exists() under the OR, each of 117,000 service lines scanned the 50,000 persons, 11 minutes), then the
    condition. -#}
{% macro dated_rows_changes_join(alias) -%}
    {%- if is_incremental() and not marts_behind_state() %}
    left join {{ ref('int_payroll_person_changes') }} as dated_chg
        on dated_chg.is_dirty
        and dated_chg.employer_org_number = {{ alias }}.employer_org_number
        and dated_chg.person_key = {{ alias }}.person_key
    {%- endif %}
{%- endmacro %}


{% macro where_mart_dated_row_changed(alias, date_column, keyword='where', or_emptied=false) -%}
    {%- if is_incremental() and not marts_behind_state() %}
    {{ keyword }} ((dated_chg.person_key is not null
        and (dated_chg.changed_from is null
             or {{ alias }}.{{ date_column }} >= {{ recomputed_spells_from('dated_chg') }}))
    {%- if or_emptied %}
        or not exists (select from {{ this }})
    {%- endif %})
    {%- endif %}
{%- endmacro %}


{#- Its pre-hook: the same rows of the table (everyone's with `everyone`, or when the published marts are behind the
    state). An exists() in the WHERE clause, which the planner turns into a hashed semi-join: delete_changed_from's
    lookup per dirty person scanned the table once for each of them (this mart has no person index). -#}
{% macro delete_changed_mart_dated_rows(date_column, everyone=false) -%}
    {%- if everyone or marts_behind_state() -%}
    truncate {{ this }}
    {%- else -%}
    {%- set where -%}
    exists (
        select 1 from {{ ref('int_payroll_person_changes') }} as chg
        where chg.is_dirty
          and chg.employer_org_number = t.employer_org_number and chg.person_key = t.person_key
          and (chg.changed_from is null or t.{{ date_column }} >= {{ recomputed_spells_from('chg') }}))
    {%- endset -%}
    {{ remove_replaced_rows(where) }}
    {%- endif -%}
{%- endmacro %}


{#- rpt_absence_signal_counts is incremental per month. A night changes fct_absence_signals only from the look-back
    start on (its merge and post-hook touch no earlier signal date), and fct_sick_leave_monthly, which gives the
    units' headcounts, only from each employer's first changed month on (employer_months_from()). The months from the
    earlier of the two on are counted again, for everyone; the earlier months' counts cannot have changed. All of
    them when the published marts are behind the state (the published counts may then lag in older months too).
    Read when the model runs, as a literal: '-infinity' counts every month. -#}
{% macro signal_counts_from() -%}
    {%- if not execute or marts_behind_state() -%}
        {{- return("date '-infinity'") -}}
    {%- endif -%}
    {%- set value = run_query(
        "select cast(least(cast(date_trunc('month', " ~ sick_leave_lookback_start() ~ ") as date), "
        ~ "(select min(w.month_from) from " ~ employer_months_from() ~ " as w)) as text)").columns[0].values()[0] -%}
    {{- return("date '" ~ value ~ "'") -}}
{%- endmacro %}
