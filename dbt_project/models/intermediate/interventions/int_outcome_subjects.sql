{{ config(**person_incremental(['employer_org_number', 'person_key', 'subject_type', 'subject_id'],
                                'delete_changed_outcome_rows()', post_hooks=['{{ episode_rows_index() }}'],
                                changed_rows=true)) }}
-- depends_on: {{ ref('int_outcome_person_changes') }}
-- The grain's unique index leads with the person (a subject belongs to one person: an episode's, or the md5 of
-- employer, person and index date), so a night's rows, a few persons' each, sit together in it: one index that
-- also serves the per-person deletes, instead of a second one and inserts at random places in a 300 MB index
-- ordered by the subject's md5.
-- The people outcomes are measured for, each with an index date and the attributes they are matched on:
-- every intervention episode (index = its first service), and for each employer and month in which an episode
-- started, every employee on that month's first day who had no service within control_exclusion_days of it
-- (the comparison pool; index = the first of the month). An episode also carries the sick spell its person was on
-- at the index date, if any.
-- Incremental per person (int_outcome_person_changes): a night recomputes the subjects of the persons whose
-- employments or spells changed, and everyone's when the episodes, the rules or this code changed.
{%- set only_changed = is_incremental() and not outcome_changes_summary().everyone %}
with episodes as (
    select
        e.episode_id,
        e.employer_org_number,
        e.person_key,
        min(e.service_date) as index_date,
        max(e.service_date) as episode_end_date,
        count(*) as services
    from {{ ref('int_intervention_episodes') }} as e
    {%- if only_changed %}
    where {{ is_changed_outcome_person('e') }}
    {%- endif %}
    group by e.episode_id, e.employer_org_number, e.person_key
),

personnel as (
    select * from {{ ref('stg_payroll__personnel') }} as p
    {%- if only_changed %}
    where {{ is_changed_outcome_person('p') }}
    {%- endif %}
),

-- every episode's month, the changed persons' or not: a person is compared in all of them
index_months as (
    select distinct employer_org_number, cast(date_trunc('month', min(service_date)) as date) as index_date
    from {{ ref('int_intervention_episodes') }}
    group by episode_id, employer_org_number
),

-- who was served when: only looked up for the persons whose subjects are computed
served as (
    select distinct e.employer_org_number, e.person_key, e.service_date
    from {{ ref('int_intervention_episodes') }} as e
    {%- if only_changed %}
    where {{ is_changed_outcome_person('e') }}
    {%- endif %}
),

-- an episode's person as on its index date: their largest employment then, else the latest
episode_subjects as (
    select distinct on (ep.episode_id)
        'episode' as subject_type,
        ep.episode_id as subject_id,
        ep.episode_id,
        ep.employer_org_number,
        ep.person_key,
        ep.index_date,
        p.sector,
        p.birth_year,
        p.sex
    from episodes as ep
    left join personnel as p
        on p.employer_org_number = ep.employer_org_number
        and p.person_key = ep.person_key
    order by ep.episode_id,
        ({{ valid_on_employment('p', 'ep.index_date') }}) desc nulls last,
        p.employment_rate_pct desc nulls last, p.employment_start_date desc nulls last, p.employment_id
),

-- the comparison pool, each described by their largest employment on the index date. One sort picks that
-- employment and removes a person's other employments at once (730,000 subjects at 50,000 employees).
comparison_subjects as (
    select distinct on (m.employer_org_number, p.person_key, m.index_date)
        'comparison' as subject_type,
        md5(m.employer_org_number || '|' || p.person_key || '|' || cast(m.index_date as text)) as subject_id,
        cast(null as text) as episode_id,
        m.employer_org_number,
        p.person_key,
        m.index_date,
        p.sector,
        p.birth_year,
        p.sex
    from index_months as m
    inner join personnel as p
        on p.employer_org_number = m.employer_org_number
        and {{ valid_on_employment('p', 'm.index_date') }}
    where not exists (
        select 1 from served as sv
        where sv.employer_org_number = m.employer_org_number
            and sv.person_key = p.person_key
            and abs(sv.service_date - m.index_date) <= {{ interventions_setting('control_exclusion_days') }}
    )
    order by m.employer_org_number, p.person_key, m.index_date,
        p.employment_rate_pct desc nulls last, p.employment_start_date desc nulls last, p.employment_id
),

attributes as (
    select * from episode_subjects
    union all
    select * from comparison_subjects
),

-- each person's spells in one row, as two parallel arrays (one aggregate pass feeds both in the same order): the
-- prior-spell count and the spell at the index date below are small array scans per subject, not a join of every
-- subject to every spell of the person that is then grouped per subject
person_spells as (
    select employer_org_number, person_key, array_agg(start_date) as start_dates, array_agg(end_date) as end_dates
    from (
        {%- if only_changed %}
        {{ changed_outcome_person_rows(ref('int_sick_spells')) }}
        {%- else %}
        select * from {{ ref('int_sick_spells') }}
        {%- endif %}
    ) as sp
    group by employer_org_number, person_key
),

-- materialized: the count is computed once per subject, not again in each band's join condition.
-- An episode's spell on its index date (the latest that started by then and had not ended), for the mart's
-- return to work: here it is computed for the night's persons only, where fct_intervention_outcomes looked up
-- every episode's spell each night (35,000 index lookups at 50,000 x 5 years, 0.18 s on the critical path).
-- A spell that ends changes the person's spells, which makes them dirty: the stored end date is never stale.
prior as materialized (
    select
        a.*,
        (select count(*) from unnest(ps.start_dates) as sp (start_date)
         where sp.start_date between a.index_date - 365 and a.index_date - 1) as prior_spells_365,
        sas.start_date as spell_at_start_date,
        sas.end_date as spell_at_start_end_date
    from attributes as a
    left join person_spells as ps
        on ps.employer_org_number = a.employer_org_number
        and ps.person_key = a.person_key
    left join lateral (
        select sp.start_date, sp.end_date
        from unnest(ps.start_dates, ps.end_dates) as sp (start_date, end_date)
        where a.subject_type = 'episode'
            and sp.start_date <= a.index_date
            and (sp.end_date is null or sp.end_date >= a.index_date)
        order by sp.start_date desc
        limit 1
    ) as sas on true
)

select
    a.subject_type,
    a.subject_id,
    a.episode_id,
    a.employer_org_number,
    a.person_key,
    a.index_date,
    cast(date_trunc('month', a.index_date) as date) as index_month,
    a.sector,
    a.birth_year,
    a.sex,
    ab.age_band,
    a.prior_spells_365,
    pb.prior_spell_band,
    a.spell_at_start_date,
    a.spell_at_start_end_date
from prior as a
left join {{ ref('age_bands') }} as ab
    on cast(extract(year from a.index_date) as integer) - a.birth_year >= ab.min_age
    and (ab.max_age is null or cast(extract(year from a.index_date) as integer) - a.birth_year <= ab.max_age)
left join {{ ref('outcome_prior_spell_bands') }} as pb
    on a.prior_spells_365 >= pb.min_spells
    and (pb.max_spells is null or a.prior_spells_365 <= pb.max_spells)
