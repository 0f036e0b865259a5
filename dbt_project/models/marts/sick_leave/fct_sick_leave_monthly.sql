-- Sick leave per employer x org unit x month x sex x age band: employees (with a schedule), scheduled hours,
-- sick hours, of which in spells of 60+ days, and spells started. Months after the as-of date never appear.
-- The sums come from int_sick_leave_month_groups, which is incremental per employer and month.
select
    cast(employer_org_number as text) as employer_org_number,
    cast(org_unit_code as text) as org_unit_code,
    cast(month_start as date) as month_start,
    cast(sex as text) as sex,
    cast(age_band as text) as age_band,
    cast(employees as integer) as employees,
    cast(round(scheduled_hours, 2) as numeric(14, 2)) as scheduled_hours,
    cast(round(sick_hours, 2) as numeric(14, 2)) as sick_hours,
    cast(round(long_term_sick_hours, 2) as numeric(14, 2)) as long_term_sick_hours,
    cast(spells_started as integer) as spells_started,
    cast(round(100 * sick_hours / nullif(scheduled_hours, 0), 2) as numeric(7, 2)) as sick_leave_pct
from {{ ref('int_sick_leave_month_groups') }}
