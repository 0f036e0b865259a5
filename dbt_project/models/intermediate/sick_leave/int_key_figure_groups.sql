{{ config(**employer_month_incremental('report_year', year=true)) }}
-- depends_on: {{ ref('int_payroll_person_changes') }}
-- depends_on: {{ ref('int_month_hours_changes') }}
-- depends_on: {{ ref('int_person_year_hours') }}
-- Counts and sums behind the annual key figures (rpt_sick_leave_key_figures), per employer, calendar year and
-- group (group_level 'employer' with group_code 'ALL', 'org_unit', 'sector'): employees (distinct persons) and
-- scheduled, sick and long-term sick hours, in total and per sex and age band (age = year - birth year).
-- The closed months come summed per person and year (int_person_year_hours) and the open month's rows are added
-- to them, so the distinct counts below sort a person-year's row, not every month of every employment.
-- Incremental per employer and year: each night an employer's years from the year of the first month in which
-- any of its persons' month hours may have changed are counted again (macros/changed_persons.sql); usually
-- only the current year.
with person_years as (
    {{ person_year_sums(person_years_and_open_month('h'), 'h.report_year') }}
),

-- the age band of a person-year row, not of each month row: the range join compares every row with every band
base as (
    select p.*, a.sort_order as age_order
    from person_years as p
    left join {{ ref('age_bands') }} as a
        on p.age_in_year >= a.min_age and (a.max_age is null or p.age_in_year <= a.max_age)
),

grouped as (
    select 'employer' as group_level, 'ALL' as group_code, cast(null as text) as group_name, b.*
    from base as b
    union all
    select 'org_unit', coalesce(b.org_unit_code, 'unknown'), b.org_unit_name, b.*
    from base as b
    union all
    select 'sector', coalesce(b.sector, 'unknown'), b.sector, b.*
    from base as b
)

select
    employer_org_number,
    report_year,
    group_level,
    group_code,
    max(group_name) as group_name,
    count(distinct person_key) as employees,
    sum(scheduled_hours) as scheduled_hours,
    sum(sick_hours) as sick_hours,
    sum(long_term_sick_hours) as long_term_sick_hours,
    count(distinct person_key) filter (where sex = 'K') as women,
    sum(sick_hours) filter (where sex = 'K') as women_sick,
    sum(scheduled_hours) filter (where sex = 'K') as women_scheduled,
    count(distinct person_key) filter (where sex = 'M') as men,
    sum(sick_hours) filter (where sex = 'M') as men_sick,
    sum(scheduled_hours) filter (where sex = 'M') as men_scheduled,
    count(distinct person_key) filter (where age_order = 1) as age1,
    sum(sick_hours) filter (where age_order = 1) as age1_sick,
    sum(scheduled_hours) filter (where age_order = 1) as age1_scheduled,
    count(distinct person_key) filter (where age_order = 2) as age2,
    sum(sick_hours) filter (where age_order = 2) as age2_sick,
    sum(scheduled_hours) filter (where age_order = 2) as age2_scheduled,
    count(distinct person_key) filter (where age_order = 3) as age3,
    sum(sick_hours) filter (where age_order = 3) as age3_sick,
    sum(scheduled_hours) filter (where age_order = 3) as age3_scheduled
from grouped
group by employer_org_number, report_year, group_level, group_code
