{#-
  The working-day calendar of every employment with a schedule: one definition that int_sick_leave_days (a sick
  day's scheduled hours) and int_employment_month_hours (hours per month, by arithmetic) both use, so the day rows
  and the month sums cannot drift apart. The calendar is never spelled out as a table of days: at 50,000
  employees x 5 years that was 47 million rows (7.4 GB, about two minutes of every full build) that no model read.
  An employment's calendar starts in the month of its employer's earliest delivered absence (no absence data =
  nothing to measure, so earlier years would read as 0 %), or at its start if that is later, and ends at its
  end or on the as-of date; every Monday-Friday in it has weekly_hours / 5 scheduled hours. The employer's first
  month is int_payroll_person_changes' (computed there anyway, from the same absence rows, per person): reading
  it costs nothing, where aggregating the million absence rows again took a second.
-#}
{% macro scheduled_calendars() -%}
    select
        e.*,
        greatest(coalesce(e.employment_start_date, m.first_day), m.first_day) as calendar_start,
        least(coalesce(e.employment_end_date, {{ as_of_date() }}), {{ as_of_date() }}) as calendar_end,
        cast(e.weekly_hours / 5 as numeric(10, 4)) as daily_hours
    from {{ ref('int_employments') }} as e
    inner join (
        select employer_org_number, min(employer_first_month) as first_day
        from {{ ref('int_payroll_person_changes') }}
        group by employer_org_number
    ) as m on m.employer_org_number = e.employer_org_number
    where e.has_schedule
{%- endmacro %}


{#- Working days (Monday-Friday) from date `start` to date `end`, both included (0 when end < start). -#}
{% macro working_days_between(start, end) -%}
    greatest({{ _working_days_before('(' ~ end ~ ') + 1') }} - {{ _working_days_before(start) }}, 0)
{%- endmacro %}


{#- Working days before date `d`, counted from Monday 1900-01-01: 5 per whole week, then up to 5 more. -#}
{% macro _working_days_before(d) -%}
    ((({{ d }}) - date '1900-01-01') / 7 * 5 + least((({{ d }}) - date '1900-01-01') % 7, 5))
{%- endmacro %}

