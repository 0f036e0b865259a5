-- The seven sick-leave key figures of the obligatory annual-report disclosure (LKBR 11 kap., SKR definitions),
-- in hours over a calendar year, per employer (group_level 'employer', the published figure) and, for internal
-- use, per org unit and per sector:
--   1 sick_leave_pct             total sick hours / total scheduled hours
--   2 long_term_share_pct        share of the sick hours that are in spells of 60+ consecutive days
--   3-4 women_/men_sick_leave_pct
--   5-7 age_29_or_younger_ / age_30_49_ / age_50_or_older_sick_leave_pct  (age = year - birth year)
-- Only employees with a schedule are in the population. A group (the whole row, or a sex/age subgroup) with at
-- most `max_suppressed_group_size` employees (seed suppression_thresholds, scope key_figures) is suppressed:
-- its figures are null and its flag is true. Hours of a suppressed row are nulled as well.
-- The counts and sums per group come from int_key_figure_groups (incremental per employer and year); this model
-- applies the thresholds and computes the figures.
with with_threshold as (
    select
        t.*,
        (select s.max_suppressed_group_size
         from {{ ref('suppression_thresholds') }} as s
         where s.scope = 'key_figures' and {{ valid_on('s', 'make_date(t.report_year, 12, 31)') }}
         order by s.valid_from desc
         limit 1) as threshold
    from {{ ref('int_key_figure_groups') }} as t
),

flags as (
    select
        w.*,
        w.employees <= w.threshold as is_suppressed,
        w.women <= w.threshold as women_suppressed,
        w.men <= w.threshold as men_suppressed,
        w.age1 <= w.threshold as age_29_or_younger_suppressed,
        w.age2 <= w.threshold as age_30_49_suppressed,
        w.age3 <= w.threshold as age_50_or_older_suppressed
    from with_threshold as w
)

select
    cast(employer_org_number as text) as employer_org_number,
    cast(report_year as integer) as report_year,
    cast(report_year < extract(year from {{ as_of_date() }}) as boolean) as is_complete_year,
    cast(group_level as text) as group_level,
    cast(group_code as text) as group_code,
    cast(group_name as text) as group_name,
    cast(employees as integer) as employees,
    cast(case when not is_suppressed then round(scheduled_hours, 2) end as numeric(14, 2)) as scheduled_hours,
    cast(case when not is_suppressed then round(sick_hours, 2) end as numeric(14, 2)) as sick_hours,
    cast(case when not is_suppressed then round(long_term_sick_hours, 2) end as numeric(14, 2)) as long_term_sick_hours,
    cast(case when not is_suppressed
        then round(100 * sick_hours / nullif(scheduled_hours, 0), 2) end as numeric(7, 2)) as sick_leave_pct,
    cast(case when not is_suppressed
        then round(100 * long_term_sick_hours / nullif(sick_hours, 0), 2) end as numeric(7, 2)) as long_term_share_pct,
    cast(case when not (is_suppressed or women_suppressed)
        then round(100 * women_sick / nullif(women_scheduled, 0), 2) end as numeric(7, 2)) as women_sick_leave_pct,
    cast(case when not (is_suppressed or men_suppressed)
        then round(100 * men_sick / nullif(men_scheduled, 0), 2) end as numeric(7, 2)) as men_sick_leave_pct,
    cast(case when not (is_suppressed or age_29_or_younger_suppressed)
        then round(100 * age1_sick / nullif(age1_scheduled, 0), 2) end as numeric(7, 2))
        as age_29_or_younger_sick_leave_pct,
    cast(case when not (is_suppressed or age_30_49_suppressed)
        then round(100 * age2_sick / nullif(age2_scheduled, 0), 2) end as numeric(7, 2)) as age_30_49_sick_leave_pct,
    cast(case when not (is_suppressed or age_50_or_older_suppressed)
        then round(100 * age3_sick / nullif(age3_scheduled, 0), 2) end as numeric(7, 2))
        as age_50_or_older_sick_leave_pct,
    cast(is_suppressed as boolean) as is_suppressed,
    cast(is_suppressed or women_suppressed as boolean) as women_suppressed,
    cast(is_suppressed or men_suppressed as boolean) as men_suppressed,
    cast(is_suppressed or age_29_or_younger_suppressed as boolean) as age_29_or_younger_suppressed,
    cast(is_suppressed or age_30_49_suppressed as boolean) as age_30_49_suppressed,
    cast(is_suppressed or age_50_or_older_suppressed as boolean) as age_50_or_older_suppressed,
    cast(threshold as integer) as suppression_threshold
from flags
