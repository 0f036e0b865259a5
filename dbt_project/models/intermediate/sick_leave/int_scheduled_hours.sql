{{ config(**person_incremental(['employer_org_number', 'employment_id', 'work_date'], "delete_changed_persons(flag='is_schedule_dirty', also=scheduled_days_after_previous_night())")) }}
-- depends_on: {{ ref('int_payroll_person_changes') }}
-- depends_on: {{ ref('int_employments') }}
-- The calendar of scheduled (ordinary) working hours: one row per employment with a schedule and working day
-- (Monday-Friday), weekly_hours / 5 each (macros/scheduled_calendar.sql defines the calendar). The calendar
-- that turns "dates and extent" into sick hours when an export gives no hours: int_sick_leave_days and
-- int_employment_month_hours compute the same calendar from the macro (per day, per month) rather than reading
-- this table, so neither waits for its nightly append.
-- Incremental (see macros/changed_persons.sql): the employments of tonight's schedule-dirty persons (changed
-- employments, first month or rules; a new absence does not change a calendar) are recomputed whole;
-- everyone else's calendar only gets the days after the previous as-of date (those days are deleted first, so a
-- re-run of a night does not add them twice). The unique index enforces the grain, and finds those days.
with employments as (
    {{ scheduled_calendars() }}
){% if is_incremental() %},

dirty as (
    select employer_org_number, person_key
    from {{ ref('int_payroll_person_changes') }}
    where is_schedule_dirty
){% endif %}

select
    e.employer_org_number,
    e.employment_id,
    e.person_key,
    cast(d.day as date) as work_date,
    e.daily_hours as scheduled_hours
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
    e.calendar_end,
    interval '1 day'
) as d (day)
where extract(isodow from d.day) between 1 and 5
