{{
    config(
        materialized='incremental',
        incremental_strategy='changed_rows',
        unique_key=['spell_id'],
        on_schema_change='fail',
        pre_hook="{% if is_incremental() %}{{ delete_replaced_mart_spells() }}{% endif %}",
    )
}}
-- depends_on: {{ ref('int_payroll_person_changes') }}
-- depends_on: {{ ref('int_sick_spell_changes') }}
-- One row per sick spell (consecutive sick days of one person at one employer), with its length band, the
-- re-illness episode it belongs to and the rehabilitation-chain milestones it reached. The milestone columns
-- are the public contract; which days exist and when they apply comes from the long_spell_milestones seed.
-- Incremental per spell, like its intermediates (macros/changed_spells.sql): each night the rows of the spells
-- int_sick_spells recomputed are built again (and those of spells that no longer exist removed); every other
-- spell, its re-illness link and its milestones did not change (the length bands and this model's code are in
-- the rules fingerprint, so changing them makes everyone dirty). The table continues from the published one
-- (frisk.dbt_runner.prepare_build_schema); var marts_behind_state rebuilds every person's spells. spell_id is the
-- primary key (the contract), so the grain is checked on every insert rather than by a test scanning the table.
with spells as (
    select * from {{ ref('int_sick_spells') }} as s
    {{- where_mart_spell_changed('s') }}
),

milestones as (
    select
        spell_id,
        max(reached_on) filter (where milestone_day = 8) as day_8_reached_on,
        max(reached_on) filter (where milestone_day = 14) as day_14_reached_on,
        max(reached_on) filter (where milestone_day = 30) as day_30_reached_on,
        max(reached_on) filter (where milestone_day = 60) as day_60_reached_on,
        max(reached_on) filter (where milestone_day = 90) as day_90_reached_on,
        max(reached_on) filter (where milestone_day = 180) as day_180_reached_on,
        max(reached_on) filter (where milestone_day = 365) as day_365_reached_on,
        max(milestone_day) as last_milestone_day
    from {{ ref('int_sick_spell_milestones') }}
    {%- if is_incremental() and not marts_behind_state() %}
    where spell_id in (select spell_id from spells)
    {%- endif %}
    group by spell_id
)

select
    cast(s.spell_id as text) as spell_id,
    cast(s.employer_org_number as text) as employer_org_number,
    cast(s.person_key as text) as person_key,
    cast(s.org_unit_code as text) as org_unit_code,
    cast(s.employment_id as text) as employment_id,
    cast(s.start_date as date) as start_date,
    cast(s.end_date as date) as end_date,
    cast(s.is_ongoing as boolean) as is_ongoing,
    cast(s.length_days as integer) as length_days,
    cast(b.length_band as text) as length_band,
    cast(s.avg_extent_pct as numeric(7, 2)) as avg_extent_pct,
    cast(s.sick_hours as numeric(14, 2)) as sick_hours,
    cast(r.episode_id as text) as episode_id,
    cast(r.continues_previous_spell as boolean) as continues_previous_spell,
    cast(m.day_8_reached_on as date) as day_8_reached_on,
    cast(m.day_14_reached_on as date) as day_14_reached_on,
    cast(m.day_30_reached_on as date) as day_30_reached_on,
    cast(m.day_60_reached_on as date) as day_60_reached_on,
    cast(m.day_90_reached_on as date) as day_90_reached_on,
    cast(m.day_180_reached_on as date) as day_180_reached_on,
    cast(m.day_365_reached_on as date) as day_365_reached_on,
    cast(m.last_milestone_day as integer) as last_milestone_day
from spells as s
inner join {{ ref('int_sick_spells_reillness') }} as r on r.spell_id = s.spell_id
left join {{ ref('length_bands') }} as b
    on s.length_days >= b.min_days and (b.max_days is null or s.length_days <= b.max_days)
left join milestones as m on m.spell_id = s.spell_id
