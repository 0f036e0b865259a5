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
  scheduled_calendars() is every employment's calendar (a join); scheduled_calendar_of() one employment's, for a
  lateral lookup per row; both take their columns from scheduled_calendar_columns().
-#}
{% macro scheduled_calendars() -%}
    select
        e.*,
        {{ scheduled_calendar_columns('e', 'm.first_day') }}
    from {{ ref('int_employments') }} as e
    inner join ({{ employer_first_days() }}) as m on m.employer_org_number = e.employer_org_number
    where e.has_schedule
{%- endmacro %}


{#- One employment's calendar (the same columns), read through int_employments' key: a lateral subquery per sick
    period. `first_days` names a materialized CTE of employer_first_days(), computed once: an incremental night
    estimates the dirty persons' periods at about one row (the current batches' estimate), and with a plain join
    the planner put the calendars, aggregate included, on the inner side of a nested loop that ran once per
    period: 14,285 times, over 400 s, at 225,000 employees x 5 years. Per period, an index lookup cannot go
    that wrong (the model's query: 3.06 s there). -#}
{% macro scheduled_calendar_of(employer_org_number, employment_id, first_days) -%}
    select {{ scheduled_calendar_columns('e', 'm.first_day') }}
    from {{ ref('int_employments') }} as e
    inner join {{ first_days }} as m on m.employer_org_number = e.employer_org_number
    where e.has_schedule
      and e.employer_org_number = {{ employer_org_number }}
      and e.employment_id = {{ employment_id }}
{%- endmacro %}


{#- The first day of each employer's calendars: the month of its earliest delivered absence. -#}
{% macro employer_first_days() -%}
    select employer_org_number, min(employer_first_month) as first_day
    from {{ ref('int_payroll_person_changes') }}
    group by employer_org_number
{%- endmacro %}


{% macro scheduled_calendar_columns(e, first_day) -%}
        greatest(coalesce({{ e }}.employment_start_date, {{ first_day }}), {{ first_day }}) as calendar_start,
        least(coalesce({{ e }}.employment_end_date, {{ as_of_date() }}), {{ as_of_date() }}) as calendar_end,
        cast({{ e }}.weekly_hours / 5 as numeric(10, 4)) as daily_hours
{%- endmacro %}


{#- Working days (Monday-Friday) from date `start` to date `end`, both included (0 when end < start). -#}
{% macro working_days_between(start, end) -%}
    greatest({{ _working_days_before('(' ~ end ~ ') + 1') }} - {{ _working_days_before(start) }}, 0)
{%- endmacro %}


{#- Working days before date `d`, counted from Monday 1900-01-01: 5 per whole week, then up to 5 more. -#}
{% macro _working_days_before(d) -%}
    ((({{ d }}) - date '1900-01-01') / 7 * 5 + least((({{ d }}) - date '1900-01-01') % 7, 5))
{%- endmacro %}

