{{ config(post_hook='analyze {{ this }}', indexes=[{'columns': ['service_key'], 'unique': True}]) }}
-- Services to one person (per employer) with at most `episode_gap_days` between consecutive services form one
-- intervention episode. Credit rows are not services; fully credited services do not start an episode.
with services as (
    select
        s.service_key,
        s.employer_org_number,
        s.person_key,
        min(s.service_date) as service_date,
        sum(s.amount_net) as amount_net
    from {{ ref('int_invoice_services') }} as s
    where s.person_key is not null
    group by s.service_key, s.employer_org_number, s.person_key
),

delivered as (
    select
        *,
        lag(service_date) over (
            partition by employer_org_number, person_key order by service_date, service_key
        ) as previous_service_date
    from services
    where amount_net > 0
),

flagged as (
    select
        *,
        case
            when previous_service_date is null
                or service_date - previous_service_date > {{ interventions_setting('episode_gap_days') }}
                then 1
            else 0
        end as starts_episode
    from delivered
),

numbered as (
    select
        *,
        sum(starts_episode) over (
            partition by employer_org_number, person_key order by service_date, service_key
            rows between unbounded preceding and current row
        ) as episode_no
    from flagged
)

select
    service_key,
    md5(employer_org_number || '|' || person_key || '|' || cast(episode_no as text)) as episode_id,
    employer_org_number,
    person_key,
    episode_no,
    service_date,
    min(service_date) over (partition by employer_org_number, person_key, episode_no) as episode_start_date,
    max(service_date) over (partition by employer_org_number, person_key, episode_no) as episode_end_date
from numbered
