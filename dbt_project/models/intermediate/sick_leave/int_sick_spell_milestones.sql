{{ config(**person_incremental(['spell_id', 'milestone_day'], 'delete_replaced_spells()', changed_rows=true)) }}
-- depends_on: {{ ref('int_payroll_person_changes') }}
-- depends_on: {{ ref('int_sick_spell_changes') }}
-- Rehabilitation-chain milestones reached by each spell: day N of a spell is reached on start_date + N - 1
-- when the spell lasted (or, ongoing, has lasted up to the as-of date) at least N days. Milestones from the
-- long_spell_milestones seed valid on the spell's start date. Incremental per spell: the spells int_sick_spells
-- recomputed tonight (macros/changed_spells.sql).
select
    s.spell_id,
    s.employer_org_number,
    s.person_key,
    s.org_unit_code,
    s.start_date as spell_start_date,
    m.milestone_day,
    m.raises_signal,
    s.start_date + (m.milestone_day - 1) as reached_on
from {{ ref('int_sick_spells') }} as s
inner join {{ ref('long_spell_milestones') }} as m
    on {{ valid_on('m', 's.start_date') }}
   and s.length_days >= m.milestone_day
{%- if is_incremental() %}
where {{ is_recomputed_spell('s') }}
{%- endif %}
