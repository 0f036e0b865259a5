{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='fail',
        indexes=[{'columns': ['employer_org_number', 'employment_id', 'work_date'], 'unique': True}],
        pre_hook="{% if is_incremental() %}{{ delete_changed_persons(also='t.work_date > ' ~ previous_as_of_date()) }}{% endif %}",
        post_hook="analyze {{ this }}"
    )
}}
-- depends_on: {{ ref('int_payroll_person_changes') }}
-- The calendar of scheduled (ordinary) working hours: one row per employment with a schedule and working day
-- (Monday-Friday), weekly_hours / 5 each. This is the denominator of every sick-leave %, and what turns
-- "dates and extent" into sick hours when an export gives no hours.
-- It starts in the month of the employer's earliest delivered absence (no absence data = nothing to measure,
-- so earlier years would read as 0 %) and ends on the as-of date.
-- Incremental (see macros/changed_persons.sql): the employments of tonight's dirty persons are recomputed
-- whole; everyone else's calendar only gets the days after the previous as-of date (those days are deleted
-- first, so a re-run of a night does not add them twice). The unique index enforces the grain.
with measured_from as (
    select employer_org_number, cast(date_trunc('month', min(from_date)) as date) as first_day
    from {{ ref('stg_payroll__absence') }}
    group by employer_org_number
),

employments as (
    select
        e.*,
        greatest(coalesce(e.employment_start_date, m.first_day), m.first_day) as calendar_start
    from {{ ref('int_employments') }} as e
    inner join measured_from as m on m.employer_org_number = e.employer_org_number
    where e.has_schedule
){% if is_incremental() %},

dirty as (
    select employer_org_number, person_key
    from {{ ref('int_payroll_person_changes') }}
    where is_dirty
){% endif %}

select
    e.employer_org_number,
    e.employment_id,
    e.person_key,
    cast(d.day as date) as work_date,
    cast(e.weekly_hours / 5 as numeric(10, 4)) as scheduled_hours
from employments as e
{%- if is_incremental() %}
left join dirty on dirty.employer_org_number = e.employer_org_number and dirty.person_key = e.person_key
{%- endif %}
cross join lateral generate_series(
    {%- if is_incremental() %}
    case
        when dirty.person_key is not null then e.calendar_start
        else greatest(e.calendar_start, {{ previous_as_of_date() }} + 1)
    end,
    {%- else %}
    e.calendar_start,
    {%- endif %}
    least(coalesce(e.employment_end_date, {{ as_of_date() }}), {{ as_of_date() }}),
    interval '1 day'
) as d (day)
where extract(isodow from d.day) between 1 and 5
