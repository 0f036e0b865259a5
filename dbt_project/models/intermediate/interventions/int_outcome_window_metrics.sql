{{ config(post_hook='analyze {{ this }}') }}
-- Sick days and spells of every outcome subject in each window before (index - w .. index - 1) and after
-- (index .. index + w - 1) its index date, counted up to the as-of date; follow_up_complete says whether the
-- after-window has fully passed (only complete windows enter comparisons).
with subjects as (
    select * from {{ ref('int_outcome_subjects') }}
),

windows as (
    select window_days from {{ ref('outcome_windows') }}
),

spells as (
    select employer_org_number, person_key, start_date, end_date
    from {{ ref('fct_sick_spells') }}
)

select
    s.subject_type,
    s.subject_id,
    w.window_days,
    cast(sum({{ interventions_sick_days_between('sp', 's.index_date - w.window_days', 's.index_date - 1') }})
        as integer) as sick_days_before,
    cast(sum({{ interventions_sick_days_between('sp', 's.index_date', 's.index_date + w.window_days - 1') }})
        as integer) as sick_days_after,
    cast(count(sp.start_date) filter (
        where sp.start_date between s.index_date - w.window_days and s.index_date - 1) as integer)
        as spells_before,
    cast(count(sp.start_date) filter (
        where sp.start_date between s.index_date and s.index_date + w.window_days - 1
            and sp.start_date <= {{ as_of_date() }}) as integer) as spells_after,
    s.index_date + w.window_days - 1 <= {{ as_of_date() }} as follow_up_complete
from subjects as s
cross join windows as w
left join spells as sp
    on sp.employer_org_number = s.employer_org_number
    and sp.person_key = s.person_key
    and sp.start_date <= s.index_date + w.window_days - 1
    and coalesce(sp.end_date, {{ as_of_date() }}) >= s.index_date - w.window_days
group by s.subject_type, s.subject_id, w.window_days, s.index_date
