{{ config(**person_incremental(['employer_org_number', 'person_key', 'employment_id', 'month_start'],
                                "delete_changed_person_months('month_start')",
                                other_indexes=[['employer_org_number', 'month_start']])) }}
-- depends_on: {{ ref('int_payroll_person_changes') }}
-- depends_on: {{ ref('int_month_hours_changes') }}
-- depends_on: {{ ref('int_employments') }}
-- Scheduled and sick hours per employment and month, with the person's attributes: the one base that the
-- monthly fact and the annual key figures aggregate, so both add up the same hours. Only employments with a
-- schedule (the key-figure population). Long-term = hours in spells of long_term_min_days+ consecutive days
-- (valid on the spell's start), counting the whole spell, as the annual-report definition does.
-- Scheduled hours are the month's working days in the employment's calendar x its daily hours, counted by
-- arithmetic on the calendar int_sick_leave_days reads per day (macros/scheduled_calendar.sql): summing a table
-- of 20 million day rows at 50,000 employees took most of this model's time.
-- Incremental (macros/changed_persons.sql): each dirty person's months from the first that may have changed
-- (int_month_hours_changes: all of them after a changed employment or a superseded delivery; usually the last
-- month or two), and every employment's months from the month after the previous as-of date on (their
-- scheduled hours grew by the new days), are recomputed.
with calendars as (
    {{ scheduled_calendars() }}
),

calendar_months as (
    select
        c.employer_org_number,
        c.employment_id,
        c.daily_hours,
        cast(m.month_start as date) as month_start,
        {{ working_days_between(
            'greatest(c.calendar_start, cast(m.month_start as date))',
            "least(c.calendar_end, cast(m.month_start + interval '1 month - 1 day' as date))") }} as working_days
    from calendars as c
    {%- if is_incremental() %}
    left join {{ ref('int_month_hours_changes') }} as mc
        on mc.employer_org_number = c.employer_org_number and mc.person_key = c.person_key
    {%- endif %}
    cross join lateral generate_series(
        {%- if is_incremental() %}
        cast(date_trunc('month', greatest(c.calendar_start, {{ person_months_from('mc') }})) as timestamp),
        {%- else %}
        cast(date_trunc('month', c.calendar_start) as timestamp),
        {%- endif %}
        cast(c.calendar_end as timestamp), interval '1 month'
    ) as m (month_start)
),

scheduled as (
    -- a month without a working day in the calendar has no scheduled hours, hence no row (as in the day table)
    select employer_org_number, employment_id, month_start, daily_hours * working_days as scheduled_hours
    from calendar_months
    where working_days > 0
),

-- the days of the months recomputed tonight, before they are matched to their spells (materialized: inlined, the
-- planner joined all 5.7 million days at 50,000 employees x 5 years to their spells first and filtered after).
-- Everyone's days from the first open month on, through the date index, then the dirty persons' earlier ones:
-- one condition over both scanned all 5.7 million days (2.6 s of this model's 6.3 s).
sick_days as materialized (
    select d.*
    from {{ ref('int_sick_leave_days') }} as d
    {%- if is_incremental() %}
    where d.absence_date >= {{ first_open_month_literal() }}
    union all
    -- per person through the sick days' (employer, person, ...) index: `offset 0` keeps the planner from turning
    -- this into a hash join over every day (a parallel scan of the 5.7 million: 1.2 s -> 0.25 s)
    select d.*
    from {{ ref('int_month_hours_changes') }} as mc
    cross join lateral (
        select d.*
        from {{ ref('int_sick_leave_days') }} as d
        where d.employer_org_number = mc.employer_org_number and d.person_key = mc.person_key
          and d.absence_date >= mc.month_from
          and d.absence_date < coalesce({{ first_open_month_literal() }}, date 'infinity')  -- null: no previous night
        offset 0
    ) as d
    {%- endif %}
),

sick as (
    select
        d.employer_org_number,
        d.employment_id,
        cast(date_trunc('month', d.absence_date) as date) as month_start,
        sum(d.sick_hours) as sick_hours,
        sum(case
            when s.length_days >= {{ sick_leave_parameter('long_term_min_days', 's.start_date') }}
                then d.sick_hours else 0
        end) as long_term_sick_hours
    from sick_days as d
    inner join (
        -- only the spells of the persons with days here: joined to all half million spells, they were sorted whole
        select *
        from {{ ref('int_sick_spells') }} as s
        {%- if is_incremental() %}
        where (s.employer_org_number, s.person_key) in (select employer_org_number, person_key from sick_days)
        {%- endif %}
    ) as s
        on s.employer_org_number = d.employer_org_number
       and s.person_key = d.person_key
       and d.absence_date between s.start_date and s.last_sick_date
    group by 1, 2, 3
),

started as (
    select
        s.employer_org_number,
        s.employment_id,
        cast(date_trunc('month', s.start_date) as date) as month_start,
        count(*) as spells_started
    from {{ ref('int_sick_spells') }} as s
    {{- changed_person_months('s', 'start_date') }}
    group by 1, 2, 3
)

select
    e.employer_org_number,
    e.employment_id,
    e.person_key,
    e.sex,
    e.birth_year,
    e.org_unit_code,
    e.org_unit_name,
    e.sector,
    sc.month_start,
    cast(extract(year from sc.month_start) as integer) - e.birth_year as age_in_year,
    cast(sc.scheduled_hours as numeric(14, 4)) as scheduled_hours,
    cast(coalesce(si.sick_hours, 0) as numeric(14, 4)) as sick_hours,
    cast(coalesce(si.long_term_sick_hours, 0) as numeric(14, 4)) as long_term_sick_hours,
    cast(coalesce(st.spells_started, 0) as integer) as spells_started
from scheduled as sc
inner join {{ ref('int_employments') }} as e
    on e.employer_org_number = sc.employer_org_number and e.employment_id = sc.employment_id
left join sick as si
    on si.employer_org_number = sc.employer_org_number
   and si.employment_id = sc.employment_id
   and si.month_start = sc.month_start
left join started as st
    on st.employer_org_number = sc.employer_org_number
   and st.employment_id = sc.employment_id
   and st.month_start = sc.month_start
