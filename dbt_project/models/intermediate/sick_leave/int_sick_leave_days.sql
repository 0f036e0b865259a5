{{ config(**person_incremental(['employer_org_number', 'person_key', 'employment_id', 'absence_date'], "delete_changed_from('absence_date')",
                                other_indexes=[['absence_date']])) }}
-- depends_on: {{ ref('int_payroll_person_changes') }}
-- Sick leave per employment and calendar day, up to the as-of date. Periods become days so that overlapping or
-- repeated deliveries never count twice: per employment and day one period wins (highest extent, then the
-- latest delivery). Sick hours = scheduled hours x extent; when the export gave hours for a finished period,
-- those hours are spread over the period's scheduled days instead.
-- Incremental: the dirty persons' days from their changed_from on (int_payroll_person_changes; null = all): a
-- person with rows only added gets the days from the first added sick period on; a person whose only change is
-- an open period gets the days after the previous night, and so does the last day before (its
-- continues_after_as_of is no longer true).
with

-- computed once for the calendars' lookups (macros/scheduled_calendar.sql)
employer_first_days as materialized (
    {{ employer_first_days() }}
),

sick_periods as (
    select
        a.*,
        {%- if is_incremental() %}
        chg.changed_from
        {%- else %}
        cast(null as date) as changed_from
        {%- endif %}
    from {{ ref('stg_payroll__absence') }} as a
    inner join {{ ref('absence_causes') }} as c
        on c.absence_category = a.absence_category and c.is_sick_leave
    {%- if is_incremental() %}
    inner join {{ ref('int_payroll_person_changes') }} as chg
        on chg.employer_org_number = a.employer_org_number and chg.person_key = a.person_key and chg.is_dirty
    {%- endif %}
    where a.from_date <= {{ as_of_date() }}
    {%- if is_incremental() %}
      -- the same persons again as a semi-join: the planner, which estimates the current batches at a few rows,
      -- otherwise sorted all million current absence rows on disk to merge-join them with the dirty persons
      -- (2.4 s; the hashed semi-join filters them as they are read, 1.1 s at 50,000 x 5 years)
      and {{ is_changed_person('a') }}
      and coalesce(a.to_date, date 'infinity') >= coalesce(chg.changed_from, date '-infinity')
    {%- endif %}
),

period_days as (
    select
        p.employer_org_number,
        p.person_key,
        p.employment_id,
        cast(d.day as date) as absence_date,
        p.extent_pct,
        p.reported_hours,
        p.batch_id,
        p.line_no,
        p.changed_from,
        c.calendar_start,
        c.calendar_end,
        c.daily_hours,
        -- still running after the as-of date: the spell is ongoing tonight
        (cast(d.day as date) = {{ as_of_date() }}
            and (p.to_date is null or p.to_date > {{ as_of_date() }})) as continues_after_as_of,
        -- reported hours cover the whole period, so only a period that has ended can be spread over its days
        (p.reported_hours is not null and p.to_date is not null and p.to_date <= {{ as_of_date() }})
            as use_reported_hours
    from sick_periods as p
    -- the employment's working-day calendar (macros/scheduled_calendar.sql), looked up once per period: a day's
    -- scheduled hours are its daily hours on its Monday-Friday days (a table of every employment's working days
    -- was 47 million rows at 50,000 x 5 years, and its nightly append of a day for every employment was about
    -- 3 s of the incremental night's critical path)
    left join lateral (
        {{ scheduled_calendar_of('p.employer_org_number', 'p.employment_id', 'employer_first_days') }}
    ) as c on true
    cross join lateral generate_series(
        -- a period whose reported hours are spread needs all its days for the spread, others only the new ones
        case
            when p.reported_hours is not null and p.to_date <= {{ as_of_date() }} then p.from_date
            else greatest(p.from_date, coalesce(p.changed_from, p.from_date))
        end,
        least(coalesce(p.to_date, {{ as_of_date() }}), {{ as_of_date() }}),
        interval '1 day'
    ) as d (day)
),

day_schedule as (
    select
        pd.*,
        case
            when pd.absence_date between pd.calendar_start and pd.calendar_end
                and extract(isodow from pd.absence_date) between 1 and 5
                then pd.daily_hours
        end as day_scheduled_hours
    from period_days as pd
),

with_schedule as (
    select
        d.*,
        coalesce(d.day_scheduled_hours, 0) as scheduled_hours,
        sum(coalesce(d.day_scheduled_hours, 0)) over (partition by d.batch_id, d.line_no) as period_scheduled_hours
    from day_schedule as d
),

one_per_day as (
    select distinct on (employer_org_number, person_key, employment_id, absence_date) *
    from with_schedule
    order by employer_org_number, person_key, employment_id, absence_date, extent_pct desc, batch_id desc,
             line_no desc
)

select
    employer_org_number,
    person_key,
    employment_id,
    absence_date,
    extent_pct,
    cast(scheduled_hours as numeric(10, 4)) as scheduled_hours,
    cast(
        case
            when use_reported_hours and period_scheduled_hours > 0
                then reported_hours * scheduled_hours / period_scheduled_hours
            else scheduled_hours * extent_pct / 100
        end as numeric(12, 4)
    ) as sick_hours,
    continues_after_as_of,
    batch_id as source_batch_id,
    line_no as source_line_no
from one_per_day
where absence_date >= coalesce(changed_from, absence_date)
