{{ config(post_hook='analyze {{ this }}') }}
-- The people outcomes are measured for, each with an index date and the attributes they are matched on:
-- every intervention episode (index = its first service), and for each employer and month in which an episode
-- started, every employee on that month's first day who had no service within control_exclusion_days of it
-- (the comparison pool; index = the first of the month).
with episodes as (
    select
        e.episode_id,
        e.employer_org_number,
        e.person_key,
        min(e.service_date) as index_date,
        max(e.service_date) as episode_end_date,
        count(*) as services
    from {{ ref('int_intervention_episodes') }} as e
    group by e.episode_id, e.employer_org_number, e.person_key
),

personnel as (
    select * from {{ ref('stg_payroll__personnel') }}
),

index_months as (
    select distinct employer_org_number, cast(date_trunc('month', index_date) as date) as index_date
    from episodes
),

served as (
    select distinct employer_org_number, person_key, service_date
    from {{ ref('int_intervention_episodes') }}
),

candidates as (
    select
        'episode' as subject_type,
        ep.episode_id as subject_id,
        ep.episode_id,
        ep.employer_org_number,
        ep.person_key,
        ep.index_date
    from episodes as ep
    union all
    select
        'comparison',
        md5(m.employer_org_number || '|' || p.person_key || '|' || cast(m.index_date as text)),
        null,
        m.employer_org_number,
        p.person_key,
        m.index_date
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
    group by m.employer_org_number, p.person_key, m.index_date
),

-- the employment that describes the person on the index date: the largest one then, else the latest
attributes as (
    select distinct on (c.subject_type, c.subject_id)
        c.*,
        p.sector,
        p.birth_year,
        p.sex
    from candidates as c
    left join personnel as p
        on p.employer_org_number = c.employer_org_number
        and p.person_key = c.person_key
    order by c.subject_type, c.subject_id,
        ({{ valid_on_employment('p', 'c.index_date') }}) desc nulls last,
        p.employment_rate_pct desc nulls last, p.employment_start_date desc nulls last, p.employment_id
),

prior as (
    select
        a.subject_type,
        a.subject_id,
        count(sp.start_date) as prior_spells_365
    from attributes as a
    left join {{ ref('fct_sick_spells') }} as sp
        on sp.employer_org_number = a.employer_org_number
        and sp.person_key = a.person_key
        and sp.start_date between a.index_date - 365 and a.index_date - 1
    group by a.subject_type, a.subject_id
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
    pr.prior_spells_365,
    pb.prior_spell_band
from attributes as a
inner join prior as pr on pr.subject_type = a.subject_type and pr.subject_id = a.subject_id
left join {{ ref('age_bands') }} as ab
    on cast(extract(year from a.index_date) as integer) - a.birth_year >= ab.min_age
    and (ab.max_age is null or cast(extract(year from a.index_date) as integer) - a.birth_year <= ab.max_age)
left join {{ ref('outcome_prior_spell_bands') }} as pb
    on pr.prior_spells_365 >= pb.min_spells
    and (pb.max_spells is null or pr.prior_spells_365 <= pb.max_spells)
