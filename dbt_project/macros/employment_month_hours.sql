{#- The body of int_employment_month_hours (`open_month=false`: the months before tonight's open one) and
    int_employment_open_month_hours (`open_month=true`: the month of the day after the as-of date, whose hours grow
    every night). One query for both, so the two halves add up exactly as a single table would.
    Scheduled hours are the month's working days in the employment's calendar x its daily hours, counted by
    arithmetic on the calendar int_sick_leave_days reads per day (macros/scheduled_calendar.sql). -#}
{% macro employment_month_hours(open_month=false) -%}
{%- set incremental = not open_month and is_incremental() -%}
{%- set open_start = open_month_start() -%}
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
    {%- if incremental %}
    left join {{ ref('int_month_hours_changes') }} as mc
        on mc.employer_org_number = c.employer_org_number and mc.person_key = c.person_key
    {%- endif %}
    cross join lateral generate_series(
        {%- if open_month %}
        cast(greatest(date_trunc('month', c.calendar_start), {{ open_start }}) as timestamp),
        cast(c.calendar_end as timestamp),
        {%- elif incremental %}
        cast(date_trunc('month', greatest(c.calendar_start, {{ person_months_from('mc') }})) as timestamp),
        cast(least(c.calendar_end, {{ open_start }} - 1) as timestamp),
        {%- else %}
        cast(date_trunc('month', c.calendar_start) as timestamp),
        cast(least(c.calendar_end, {{ open_start }} - 1) as timestamp),
        {%- endif %}
        interval '1 month'
    ) as m (month_start)
),

scheduled as (
    -- a month without a working day in the calendar has no scheduled hours, hence no row (as in the day table)
    select employer_org_number, employment_id, month_start, daily_hours * working_days as scheduled_hours
    from calendar_months
    where working_days > 0
),

-- the days of the months computed tonight, before they are matched to their spells (materialized: inlined, the
-- planner joined all 5.7 million days at 50,000 employees x 5 years to their spells first and filtered after).
-- The open month's days through the date index; on an incremental night of the closed months, the days from the
-- first month that was open last night, then the dirty persons' earlier ones: one condition over both scanned
-- all 5.7 million days (2.6 s of this model's 6.3 s).
sick_days as materialized (
    select d.*
    from {{ ref('int_sick_leave_days') }} as d
    {%- if open_month %}
    where d.absence_date >= {{ open_start }}
    {%- elif incremental %}
    where d.absence_date >= {{ first_open_month_literal() }} and d.absence_date < {{ open_start }}
    union all
    -- per person through the sick days' (employer, person, ...) index (person_rows: as a hash join over every
    -- day, a parallel scan of the 5.7 million, 1.2 s -> 0.25 s); no first open month: no previous night
    select d.*
    from {{ ref('int_month_hours_changes') }} as mc
    {{ person_rows(ref('int_sick_leave_days'), 'mc',
                   'x.absence_date >= mc.month_from and x.absence_date < coalesce('
                   ~ first_open_month_literal() ~ ", date 'infinity') and x.absence_date < " ~ open_start) }} as d
    {%- else %}
    where d.absence_date < {{ open_start }}
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
        {%- if open_month or incremental %}
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
    from (
        {%- if open_month %}
        select * from {{ ref('int_sick_spells') }} as s where s.start_date >= {{ open_start }}
        {%- elif incremental %}
        -- the dirty persons' spells in their recomputed months, through the spells' person index
        select s.*
        from {{ ref('int_month_hours_changes') }} as mc
        inner join {{ ref('int_sick_spells') }} as s
            on s.employer_org_number = mc.employer_org_number and s.person_key = mc.person_key
        where s.start_date >= {{ person_months_from('mc') }} and s.start_date < {{ open_start }}
        union all
        -- everyone else's in the month that closed tonight; on other nights the range is empty and the constant
        -- condition first folds to false, so the half million spells are not scanned
        select s.*
        from {{ ref('int_sick_spells') }} as s
        where {{ first_open_month_literal() }} < {{ open_start }}
          and s.start_date >= {{ first_open_month_literal() }} and s.start_date < {{ open_start }}
          and not exists (
              select 1 from {{ ref('int_month_hours_changes') }} as mc
              where mc.employer_org_number = s.employer_org_number and mc.person_key = s.person_key)
        {%- else %}
        select * from {{ ref('int_sick_spells') }} as s where s.start_date < {{ open_start }}
        {%- endif %}
    ) as s
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
{%- endmacro %}
