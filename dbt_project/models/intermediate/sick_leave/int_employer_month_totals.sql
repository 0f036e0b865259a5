{{ config(**employer_month_incremental('month_start')) }}
-- depends_on: {{ ref('int_payroll_person_changes') }}
-- depends_on: {{ ref('int_month_hours_changes') }}
-- Sick leave per employer and month (rpt_public_benchmark's own figures): employees (distinct persons with a
-- schedule), scheduled and sick hours. Incremental per employer and month like int_sick_leave_month_groups, and
-- for the same reason not summed from it: a person in two org units that month counts once here.
select
    h.employer_org_number,
    h.month_start,
    count(distinct h.person_key) as employees,
    sum(h.sick_hours) as sick_hours,
    sum(h.scheduled_hours) as scheduled_hours
from {{ month_hours_since_changed('h') }}
group by h.employer_org_number, h.month_start
