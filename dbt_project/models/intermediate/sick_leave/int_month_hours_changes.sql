{{ config(post_hook="analyze {{ this }}") }}
-- The first month of each dirty person's month hours that may differ from last night's
-- (int_employment_month_hours, and the month aggregates built on it): '-infinity' = all of their months.
-- It starts from int_payroll_person_changes.changed_from, the first day whose sick days may differ, and goes back
-- to the start of a spell that runs into that day and may have crossed the long-term threshold tonight: then
-- its earlier months' long-term hours change as well. Only days from changed_from on change, so such a spell's
-- days before it are still consecutive from its start: when they alone reach the threshold (valid on the
-- spell's start), the spell was long-term already and its earlier months stay as they were. Without that test
-- every person on a long sick leave would send their employer's aggregates back to the start of the leave.
select
    chg.employer_org_number,
    chg.person_key,
    cast(
        case
            when chg.changed_from is null then date '-infinity'
            else date_trunc('month', least(chg.changed_from, min(s.start_date)))
        end as date
    ) as month_from
from {{ ref('int_payroll_person_changes') }} as chg
left join {{ ref('int_sick_spells') }} as s
    on s.employer_org_number = chg.employer_org_number
   and s.person_key = chg.person_key
   and s.last_sick_date >= chg.changed_from - 1
   and chg.changed_from - s.start_date < {{ sick_leave_parameter('long_term_min_days', 's.start_date') }}
where chg.is_dirty
group by chg.employer_org_number, chg.person_key, chg.changed_from
