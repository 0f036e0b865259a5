-- Sick leave per employer x org unit x month x sex x age band: employees (with a schedule), scheduled hours,
-- sick hours, of which in spells of 60+ days, and spells started. Months after the as-of date never appear.
-- A table aggregated anew each night from int_employment_month_hours, which is itself incremental per person:
-- a correction can change any month of a person's history (their weekly hours, a spell that crossed 60 days),
-- and aggregating one row per employment and month costs seconds, while a month look-back would miss those.
with base as (
    select h.*, a.age_band
    from {{ ref('int_employment_month_hours') }} as h
    left join {{ ref('age_bands') }} as a
        on h.age_in_year >= a.min_age and (a.max_age is null or h.age_in_year <= a.max_age)
)

select
    cast(employer_org_number as text) as employer_org_number,
    cast(org_unit_code as text) as org_unit_code,
    cast(month_start as date) as month_start,
    cast(sex as text) as sex,
    cast(age_band as text) as age_band,
    cast(count(distinct person_key) as integer) as employees,
    cast(round(sum(scheduled_hours), 2) as numeric(14, 2)) as scheduled_hours,
    cast(round(sum(sick_hours), 2) as numeric(14, 2)) as sick_hours,
    cast(round(sum(long_term_sick_hours), 2) as numeric(14, 2)) as long_term_sick_hours,
    cast(sum(spells_started) as integer) as spells_started,
    cast(round(100 * sum(sick_hours) / nullif(sum(scheduled_hours), 0), 2) as numeric(7, 2)) as sick_leave_pct
from base
group by employer_org_number, org_unit_code, month_start, sex, age_band
