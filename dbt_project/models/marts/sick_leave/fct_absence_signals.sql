{{
    config(
        materialized='incremental',
        unique_key='signal_id',
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns',
        post_hook="{% if is_incremental() %}delete from {{ this }} as t where t.signal_date >= {{ sick_leave_lookback_start() }} and t.evaluated_on <> {{ as_of_date() }}{% if not marts_behind_state() %} and {{ is_replaced_spell('t') }}{% endif %}{% endif %}"
    )
}}
-- depends_on: {{ ref('int_payroll_person_changes') }}
-- depends_on: {{ ref('int_sick_spell_changes') }}
-- Early signals HR acts on each morning: one row per person, date and rule that fired, up to the as-of date
-- (the night the build runs for; FRISK_AS_OF_DATE pins it for re-runs).
--   repeated_short_term: a finished spell of at most max_spell_days makes the person's count of such spells
--     that started within window_days reach `occasions` (seed repeated_absence_rules, valid on the signal date);
--     it fires on that spell's last day, the first day it is known to be short.
--   long_spell: a spell reaches a milestone day with raises_signal (seed long_spell_milestones).
-- Incremental: each night the signals of the spells int_sick_spells recomputed (macros/changed_spells.sql),
-- dated from the look-back start on, are recomputed and merged on signal_id; the post-hook removes the signals in
-- that window of those spells and of spells that no longer exist that no longer fire (a corrected delivery), so
-- the table equals a full refresh. A signal is a function of its spell and the spells before it (their dirty
-- persons' kept spells are read as the earlier ones in the window). Everyone else's spells did not change and
-- none of them runs past the previous as-of date (an open period makes a person dirty), so their signals cannot
-- change; a changed signal rule or a change of this model's code makes everyone dirty (the rules fingerprint). This table continues from the published one (frisk.dbt_runner.prepare_build_schema), the
-- dirty set from the last completed build: when a completed build was not published, var marts_behind_state
-- makes the night recompute everyone's signals in the look-back. first_reported_on keeps the night a signal was first reported (new tonight: first_reported_on =
-- as-of date); a full refresh cannot know that history and uses the signal date.
with spells as (
    select * from {{ ref('int_sick_spells') }} as s
    {{- where_mart_person_changed('s') }}
),

short_spells as (
    select s.*, r.rule_id, r.occasions, r.window_days
    from spells as s
    inner join {{ ref('repeated_absence_rules') }} as r
        on {{ valid_on('r', 's.end_date') }}
       and s.length_days <= r.max_spell_days
    where not s.is_ongoing
),

repeated as (
    select
        'repeated_short_term' as signal_type,
        cur.rule_id,
        cur.employer_org_number,
        cur.person_key,
        cur.org_unit_code,
        cur.spell_id,
        cur.start_date as spell_start_date,
        cur.end_date as signal_date,
        cast(null as integer) as milestone_day,
        cast(count(*) as integer) as occasions_in_window,
        cur.end_date - (cur.window_days - 1) as window_start_date,
        max(cur.occasions) as occasions
    from short_spells as cur
    inner join short_spells as earlier
        on earlier.employer_org_number = cur.employer_org_number
       and earlier.person_key = cur.person_key
       and earlier.rule_id = cur.rule_id
       and earlier.end_date <= cur.end_date
       and earlier.start_date > cur.end_date - cur.window_days
    {{- where_mart_spell_changed('cur') }}
    group by cur.rule_id, cur.employer_org_number, cur.person_key, cur.org_unit_code, cur.spell_id,
             cur.start_date, cur.end_date, cur.window_days
    having count(*) >= max(cur.occasions)
),

long_spells as (
    select
        'long_spell' as signal_type,
        'long_spell_day_' || m.milestone_day as rule_id,
        m.employer_org_number,
        m.person_key,
        m.org_unit_code,
        m.spell_id,
        m.spell_start_date,
        m.reached_on as signal_date,
        m.milestone_day,
        cast(null as integer) as occasions_in_window,
        cast(null as date) as window_start_date
    from {{ ref('int_sick_spell_milestones') }} as m
    where m.raises_signal
    {{- where_mart_spell_changed('m', keyword='and') }}
),

signals as (
    select signal_type, rule_id, employer_org_number, person_key, org_unit_code, spell_id, spell_start_date,
           signal_date, milestone_day, occasions_in_window, window_start_date
    from repeated
    union all
    select signal_type, rule_id, employer_org_number, person_key, org_unit_code, spell_id, spell_start_date,
           signal_date, milestone_day, occasions_in_window, window_start_date
    from long_spells
),

keyed as (
    select
        md5(signal_type || '|' || rule_id || '|' || employer_org_number || '|' || person_key || '|'
            || spell_id || '|' || cast(signal_date as text)) as signal_id,
        *
    from signals
    where signal_date <= {{ as_of_date() }}
    {% if is_incremental() %}
      and signal_date >= {{ sick_leave_lookback_start() }}
    {% endif %}
)

select
    cast(k.signal_id as text) as signal_id,
    cast(k.signal_date as date) as signal_date,
    cast(k.employer_org_number as text) as employer_org_number,
    cast(k.person_key as text) as person_key,
    cast(k.org_unit_code as text) as org_unit_code,
    cast(k.signal_type as text) as signal_type,
    cast(k.rule_id as text) as rule_id,
    cast(k.milestone_day as integer) as milestone_day,
    cast(k.occasions_in_window as integer) as occasions_in_window,
    cast(k.window_start_date as date) as window_start_date,
    cast(k.spell_id as text) as spell_id,
    cast(k.spell_start_date as date) as spell_start_date,
    {% if is_incremental() %}
    cast(coalesce(prev.first_reported_on, {{ as_of_date() }}) as date) as first_reported_on,
    {% else %}
    cast(k.signal_date as date) as first_reported_on,
    {% endif %}
    cast({{ as_of_date() }} as date) as evaluated_on
from keyed as k
{% if is_incremental() %}
left join {{ this }} as prev on prev.signal_id = k.signal_id
{% endif %}
