{{ config(**person_incremental(['spell_id'], 'delete_replaced_spells()', changed_rows=true)) }}
-- depends_on: {{ ref('int_payroll_person_changes') }}
-- depends_on: {{ ref('int_sick_spell_changes') }}
-- The re-illness rule (återinsjuknande): a spell that starts within N calendar days of the previous spell's end
-- (N = reillness_max_gap_days, valid on the new spell's start) continues it. Kept apart from int_sick_spells
-- so occasions can be counted both raw and with the rule applied. One row per spell, with its episode.
-- Incremental per spell (macros/changed_spells.sql): a spell's link and episode depend on it and the spells
-- before it, so only the spells int_sick_spells recomputed get new rows; the dirty persons' earlier spells are
-- still read, for the previous spell and the episode's start.
with ordered as (
    select
        s.spell_id,
        s.employer_org_number,
        s.person_key,
        s.start_date,
        s.last_sick_date,
        s.length_days,
        lag(s.last_sick_date) over (
            partition by s.employer_org_number, s.person_key order by s.start_date
        ) as previous_last_sick_date
    from {{ ref('int_sick_spells') }} as s
    {%- if is_incremental() %}
    where {{ is_changed_person('s') }}
    {%- endif %}
),

flagged as (
    select
        o.*,
        o.start_date - o.previous_last_sick_date as days_since_previous_end,
        coalesce(
            o.start_date - o.previous_last_sick_date
                <= {{ sick_leave_parameter('reillness_max_gap_days', 'o.start_date') }},
            false
        ) as continues_previous_spell
    from ordered as o
),

numbered as (
    select
        f.*,
        sum(case when f.continues_previous_spell then 0 else 1 end) over (
            partition by f.employer_org_number, f.person_key order by f.start_date
        ) as episode_no
    from flagged as f
),

episodes as (
    select
        spell_id,
        employer_org_number,
        person_key,
        first_value(spell_id) over (episode order by start_date) as episode_id,
        cast(min(start_date) over episode as date) as episode_start_date,
        cast(row_number() over (episode order by start_date) as integer) as spell_in_episode,
        continues_previous_spell,
        cast(days_since_previous_end as integer) as days_since_previous_end
    from numbered
    window episode as (partition by employer_org_number, person_key, episode_no)
)

select * from episodes as e
{%- if is_incremental() %}
where {{ is_recomputed_spell('e') }}
{%- endif %}
