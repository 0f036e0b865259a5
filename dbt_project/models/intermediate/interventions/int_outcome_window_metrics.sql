{{ config(**person_incremental(['subject_type', 'subject_id', 'window_days'], 'delete_changed_outcome_metrics()')) }}
-- Sick days and spells of every outcome subject in each window before (index - w .. index - 1) and after
-- (index .. index + w - 1) its index date, counted up to the as-of date (whether the after-window has passed is
-- the mart's follow_up_complete).
--
-- Written as one row per subject and window with the person's few spells summed in a lateral subquery, rather
-- than joining every spell to every subject and window and grouping the result. The comparison pool is every
-- employee in every month an episode started (730,000 subjects at 50,000 employees), and the windows seed has
-- no statistics (estimated at 1,270 rows, not 3): the join was estimated at 390 million rows, hashed in many
-- batches and sorted on disk for the group by, 1.4 s at 10,000 employees and 43 s at 50,000. Nothing is grouped
-- per subject here, so the time grows with the subjects (6.5 s at 50,000).
--
-- Incremental per subject, on its own: each row keeps the fingerprint of the person's spells it was counted
-- from (macros/outcome_metrics.sql; an ongoing spell's fingerprint moves with the as-of date, and so does the
-- model's code). The pre-hook deletes the rows whose subject is gone or changed (person, employer, index date,
-- spells) and the windows no longer in the seed; tonight's insert is every subject and window without a row.
with subjects as (
    select * from {{ ref('int_outcome_subjects') }}
),

windows as (
    select window_days from {{ ref('outcome_windows') }}
),

-- each person's spells as two parallel arrays (one aggregate pass feeds both in the same row order)
person_spells as (
    select
        employer_org_number,
        person_key,
        array_agg(start_date) as start_dates,
        array_agg(end_date) as end_dates,
        {{ outcome_spells_fingerprint() }} as spells_fp
    from {{ ref('fct_sick_spells') }}
    group by employer_org_number, person_key
)

select
    s.subject_type,
    s.subject_id,
    w.window_days,
    s.employer_org_number,
    s.person_key,
    s.index_date,
    coalesce(ps.spells_fp, {{ outcome_spells_fingerprint(none) }}) as spells_fp,
    m.sick_days_before,
    m.sick_days_after,
    m.spells_before,
    m.spells_after
from subjects as s
cross join windows as w
left join person_spells as ps
    on ps.employer_org_number = s.employer_org_number
    and ps.person_key = s.person_key
cross join lateral (
    -- the left join from one row gives a subject with no spell in range one row of nulls: 0 sick days, 0 spells
    select
        cast(sum({{ interventions_sick_days_between('sp', 's.index_date - w.window_days', 's.index_date - 1') }})
            as integer) as sick_days_before,
        cast(sum({{ interventions_sick_days_between('sp', 's.index_date', 's.index_date + w.window_days - 1') }})
            as integer) as sick_days_after,
        cast(count(sp.start_date) filter (
            where sp.start_date between s.index_date - w.window_days and s.index_date - 1) as integer)
            as spells_before,
        cast(count(sp.start_date) filter (
            where sp.start_date between s.index_date and s.index_date + w.window_days - 1
                and sp.start_date <= {{ as_of_date() }}) as integer) as spells_after
    from (select) as one_row
    left join unnest(ps.start_dates, ps.end_dates) as sp (start_date, end_date)
        on sp.start_date <= s.index_date + w.window_days - 1
        and coalesce(sp.end_date, {{ as_of_date() }}) >= s.index_date - w.window_days
) as m
{%- if is_incremental() %}
where not exists (
    select 1 from {{ this }} as kept
    where kept.subject_type = s.subject_type and kept.subject_id = s.subject_id and kept.window_days = w.window_days
)
{%- endif %}
