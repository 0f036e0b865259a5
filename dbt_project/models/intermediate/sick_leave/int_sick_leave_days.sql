{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='fail',
        indexes=[{'columns': ['employer_org_number', 'person_key', 'employment_id', 'absence_date'], 'unique': True}],
        pre_hook="{% if is_incremental() %}{{ delete_changed_persons() }}{% endif %}",
        post_hook="analyze {{ this }}"
    )
}}
-- depends_on: {{ ref('int_payroll_person_changes') }}
-- Sick leave per employment and calendar day, up to the as-of date. Periods become days so that overlapping or
-- repeated deliveries never count twice: per employment and day one period wins (highest extent, then the
-- latest delivery). Sick hours = scheduled hours x extent; when the export gave hours for a finished period,
-- those hours are spread over the period's scheduled days instead.
with sick_periods as (
    select a.*
    from {{ ref('stg_payroll__absence') }} as a
    inner join {{ ref('absence_causes') }} as c
        on c.absence_category = a.absence_category and c.is_sick_leave
    where a.from_date <= {{ as_of_date() }}
    {%- if is_incremental() %}
      and {{ is_changed_person('a') }}
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
        -- still running after the as-of date: the spell is ongoing tonight
        (cast(d.day as date) = {{ as_of_date() }}
            and (p.to_date is null or p.to_date > {{ as_of_date() }})) as continues_after_as_of,
        -- reported hours cover the whole period, so only a period that has ended can be spread over its days
        (p.reported_hours is not null and p.to_date is not null and p.to_date <= {{ as_of_date() }})
            as use_reported_hours
    from sick_periods as p
    cross join lateral generate_series(
        p.from_date, least(coalesce(p.to_date, {{ as_of_date() }}), {{ as_of_date() }}), interval '1 day'
    ) as d (day)
),

with_schedule as (
    select
        pd.*,
        coalesce(h.scheduled_hours, 0) as scheduled_hours,
        sum(coalesce(h.scheduled_hours, 0)) over (partition by pd.batch_id, pd.line_no) as period_scheduled_hours
    from period_days as pd
    left join {{ ref('int_scheduled_hours') }} as h
        on h.employer_org_number = pd.employer_org_number
       and h.employment_id = pd.employment_id
       and h.work_date = pd.absence_date
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
