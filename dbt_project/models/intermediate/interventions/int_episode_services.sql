{{ config(post_hook='analyze {{ this }}', indexes=[{'columns': ['episode_id'], 'unique': True}]) }}
-- One row per intervention episode: its services' count and net amount, the first service's intervention type
-- and provider, and every intervention type in it. Only the invoice chain decides these, so this is a
-- fingerprinted_table (kept on a night without new invoice data); fct_intervention_outcomes aggregated the
-- 156,000 services of every episode again each night (0.75 s at 50,000 x 5 years, on the night's critical path).
select
    e.episode_id,
    max(e.episode_end_date) as episode_end_date,
    count(*) as services,
    sum(s.amount_net) as amount_net,
    (array_agg(s.intervention_type order by s.service_date, s.service_line_id))[1] as first_intervention_type,
    string_agg(distinct s.intervention_type, ', ' order by s.intervention_type) as intervention_types,
    (array_agg(s.provider_org_number order by s.service_date, s.service_line_id))[1] as provider_org_number
from {{ ref('int_intervention_episodes') }} as e
inner join {{ ref('int_invoice_services') }} as s on s.service_line_id = e.service_key
group by e.episode_id
