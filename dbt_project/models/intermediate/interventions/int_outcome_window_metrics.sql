{{ config(**person_incremental(['employer_org_number', 'person_key', 'subject_type', 'subject_id', 'window_days'],
                                'delete_changed_outcome_rows(open_windows=true, comparison_groups=true)',
                                pre_hooks=['{% if not is_incremental() %}{{ outcome_comparison_groups_reset() }}{% endif %}'],
                                post_hooks=['{{ outcome_comparison_follow_changes() }}', '{{ episode_rows_index() }}'],
                                changed_rows=true, compare_rows=false)) }}
-- depends_on: {{ ref('int_outcome_person_changes') }}
-- The grain's unique index leads with the person (a subject belongs to one person: an episode's, or the md5 of
-- employer, person and index date), so a night's rows, a few persons' each, sit together in it: one index that
-- also serves the per-person deletes, instead of a second one and inserts at random places in a 300 MB index
-- ordered by the subject's md5.
-- Sick days and spells of every outcome subject in each window before (index - w .. index - 1) and after
-- (index .. index + w - 1) its index date, counted up to the as-of date (whether the after-window has fully
-- passed is the mart's follow_up_complete: it is a function of the as-of date alone).
--
-- Written as one row per subject and window with the person's few spells summed in a lateral subquery, rather
-- than joining every spell to every subject and window and grouping the result. The comparison pool is every
-- employee in every month an episode started (730,000 subjects at 50,000 employees), and the windows seed has
-- no statistics (estimated at 1,270 rows, not 3): the join was estimated at 390 million rows, hashed in many
-- batches and sorted on disk for the group by, 1.4 s at 10,000 employees and 43 s at 50,000. Nothing is grouped
-- per subject here, so the time grows with the subjects (6.5 s at 50,000).
--
-- Incremental per person (int_outcome_person_changes): a night recomputes the dirty persons' rows (of a person
-- whose spells changed from a day on, only the windows that reach it: spells_changed_from), and of the persons
-- sick on a day since the previous as-of date, the windows that were not over then. Nothing else moves with the
-- as-of date: a person with no sick day since has the same counts up to either date.
-- The recomputed rows are all written again (the replace_rows strategy): since only the windows that reach a
-- change are recomputed, nearly all of them differ (33,121 of 33,123 on a night at 50,000 x 5 years), and
-- comparing them with the stored rows first (the changed_rows strategy, when a dirty person's every window was
-- recomputed) kept nothing out.
-- Its hooks keep int_outcome_comparison_groups (the comparison groups' sums) in step, in the same transaction:
-- the rows the strategy deleted are subtracted and the rows it inserted added; a build from scratch or a night
-- that recomputes everyone empties it, and that model counts it again.
{%- set summary = outcome_changes_summary() if is_incremental() else {'everyone': true} %}
with subjects as (
    {%- if summary.everyone %}
    select s.*, true as person_is_dirty from {{ ref('int_outcome_subjects') }} as s
    {%- else %}
    {{ changed_outcome_person_rows(ref('int_outcome_subjects'), 'och.is_dirty or och.sick_since_previous') }}
    {%- endif %}
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
        array_agg(end_date) as end_dates
    from (
        {%- if summary.everyone %}
        select * from {{ ref('int_sick_spells') }}
        {%- else %}
        {{ changed_outcome_person_rows(ref('int_sick_spells'), 'och.is_dirty or och.sick_since_previous') }}
        {%- endif %}
    ) as sp
    group by employer_org_number, person_key
)

select
    s.subject_type,
    s.subject_id,
    w.window_days,
    s.employer_org_number,
    s.person_key,
    s.index_date,
    -- the subject's comparison cell, carried along so that the comparison groups are one scan of this table
    s.index_month,
    s.sector,
    s.age_band,
    s.sex,
    s.prior_spell_band,
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
{%- if not summary.everyone %}
where {{ outcome_window_recomputed('s.person_is_dirty', 's.person_spells_changed_from',
                                  's.index_date + w.window_days - 1', summary.final_until) }}
{%- endif %}
