-- The calendar of scheduled (ordinary) working hours: one row per employment with a schedule and working day
-- (Monday-Friday), weekly_hours / 5 each. This is the denominator of every sick-leave %, and what turns
-- "dates and extent" into sick hours when an export gives no hours.
-- It starts in the month of the employer's earliest delivered absence (no absence data = nothing to measure,
-- so earlier years would read as 0 %) and ends on the as-of date.
with measured_from as (
    select employer_org_number, cast(date_trunc('month', min(from_date)) as date) as first_day
    from {{ ref('stg_payroll__absence') }}
    group by employer_org_number
)

select
    e.employer_org_number,
    e.employment_id,
    e.person_key,
    cast(d.day as date) as work_date,
    cast(e.weekly_hours / 5 as numeric(10, 4)) as scheduled_hours
from {{ ref('int_employments') }} as e
inner join measured_from as m on m.employer_org_number = e.employer_org_number
cross join lateral generate_series(
    greatest(coalesce(e.employment_start_date, m.first_day), m.first_day),
    least(coalesce(e.employment_end_date, {{ as_of_date() }}), {{ as_of_date() }}),
    interval '1 day'
) as d (day)
where e.has_schedule
  and extract(isodow from d.day) between 1 and 5
