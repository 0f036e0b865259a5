{{ config(materialized='table', indexes=[{'columns': ['spell_id'], 'unique': True}],
          post_hook="analyze {{ this }}") }}
-- The spells int_sick_spells recomputed tonight, one row per spell (macros/changed_spells.sql): a dirty person's
-- spells that reach the day before their changed_from (all of them when it is null). The spell-level models read
-- it on an incremental night (is_recomputed_spell) instead of joining the persons' changes to the spells in every
-- query: as a subquery the planner, misled by a CTE's estimate, looked the changes up again for each of 37,000
-- spell pairs in fct_absence_signals (minutes at 50,000 employees x 5 years). A table with statistics, and with an
-- index on spell_id, so that even a plan that looks each spell up costs a probe. On an incremental night that
-- recomputes everyone it lists every spell; a full refresh, whose models are not incremental and do not read it,
-- leaves it empty (listing the 576,000 spells at 50,000 x 5 years took 0.5 s of the full build).
select rs.spell_id, rs.employer_org_number, rs.person_key
from {{ ref('int_payroll_person_changes') }} as chg
inner join {{ ref('int_sick_spells') }} as rs
    on rs.employer_org_number = chg.employer_org_number and rs.person_key = chg.person_key
where {{ 'false' if should_full_refresh() else 'chg.is_dirty' }}
  and (chg.changed_from is null or rs.last_sick_date >= {{ recomputed_spells_from('chg') }})
