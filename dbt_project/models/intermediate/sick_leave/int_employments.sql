{{ config(indexes=[{'columns': ['employer_org_number', 'employment_id'], 'unique': True}],
          post_hook="analyze {{ this }} (employer_org_number, employment_id, person_key, has_schedule, "
                    ~ "employment_start_date, employment_end_date)") }}
-- (Analyzed on the columns later models join and filter on only: the descriptive texts were most of a full
-- analyze, 0.23 s at 50,000 employees at the start of every night's critical path.)
-- One row per employment: personnel files are snapshots, so the row from the latest delivery describes it.
-- An employment with no weekly hours (hourly paid, no schedule) is kept but flagged outside the population of
-- the key figures, as the annual-report rules require.
-- The grain is a unique index (checked as the table is built, instead of a test scanning it), which also serves
-- int_sick_leave_days' lookup of a sick period's calendar: the planner estimates tonight's periods at a row or
-- two, and without the index it scanned every employment for each of them.
select distinct on (p.employer_org_number, p.employment_id)
    p.employer_org_number,
    p.employment_id,
    p.person_key,
    p.birth_year,
    p.sex,
    p.org_unit_code,
    p.org_unit_name,
    p.sector,
    p.occupation,
    p.employment_rate_pct,
    p.weekly_hours,
    p.employment_start_date,
    p.employment_end_date,
    coalesce(p.weekly_hours > 0, false) as has_schedule,
    p.batch_id as source_batch_id
from {{ ref('stg_payroll__personnel') }} as p
order by p.employer_org_number, p.employment_id, p.batch_id desc, p.line_no desc
