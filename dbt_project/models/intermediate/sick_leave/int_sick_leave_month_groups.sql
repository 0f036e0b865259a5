{{ config(**employer_month_incremental('month_start')) }}
-- depends_on: {{ ref('int_payroll_person_changes') }}
-- depends_on: {{ ref('int_month_hours_changes') }}
-- Sick leave per employer x org unit x month x sex x age band (the grain of fct_sick_leave_monthly): employees
-- (distinct persons with a schedule), scheduled, sick and long-term sick hours, spells started.
-- Incremental per employer and month: each night an employer's months from the first in which any of its
-- persons' month hours may have changed are aggregated again (macros/changed_persons.sql); a correction that
-- reaches back (a changed employment, a superseded delivery) reaches back here too. The distinct count is why
-- this is not summed from the night's changes: a person counts once per group, whatever their employments.
with base as (
    select h.*, a.age_band
    from {{ month_hours_since_changed('h') }}
    left join {{ ref('age_bands') }} as a
        on h.age_in_year >= a.min_age and (a.max_age is null or h.age_in_year <= a.max_age)
)

select
    employer_org_number,
    org_unit_code,
    month_start,
    sex,
    age_band,
    count(distinct person_key) as employees,
    sum(scheduled_hours) as scheduled_hours,
    sum(sick_hours) as sick_hours,
    sum(long_term_sick_hours) as long_term_sick_hours,
    sum(spells_started) as spells_started
from base
group by employer_org_number, org_unit_code, month_start, sex, age_band
