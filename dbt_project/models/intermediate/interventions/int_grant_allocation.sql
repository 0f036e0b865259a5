{{ config(post_hook='analyze {{ this }}', indexes=[{'columns': ['grant_line_id'], 'unique': True}]) }}
-- Caps applied in allocation order (service date): per service, then per employee and calendar year, then per
-- employer and calendar year, each within the rule set valid on the service date. A cap as a running total: a
-- line gets least(cap, total including it) - least(cap, total before it), i.e. the remainder when it crosses the
-- cap, nothing once the cap is used, and a credit row gives back exactly what its service got.
-- Done twice: on what was paid (the grant) and on the full amount (what payment would unlock).
{%- set bases = ['paid', 'full'] %}
with lines as (
    select * from {{ ref('int_grant_lines') }}
),

service_level as (
    select
        l.*
        {%- for b in bases %},
        sum(l.base_{{ b }}) over (
            partition by l.scheme, l.rule_set_id, l.service_key order by l.allocation_order
        ) as svc_total_{{ b }}
        {%- endfor %}
    from lines as l
),

service_capped as (
    select
        s.*
        {%- for b in bases %},
        case when s.cap_per_service_sek is null then s.base_{{ b }}
            else least(s.cap_per_service_sek, greatest(s.svc_total_{{ b }}, 0))
                - least(s.cap_per_service_sek, greatest(s.svc_total_{{ b }} - s.base_{{ b }}, 0))
        end as after_service_cap_{{ b }}
        {%- endfor %}
    from service_level as s
),

person_level as (
    select
        s.*
        {%- for b in bases %},
        sum(s.after_service_cap_{{ b }}) over (
            partition by s.scheme, s.rule_set_id, s.employer_org_number, s.person_key, s.grant_year
            order by s.allocation_order
        ) as person_total_{{ b }}
        {%- endfor %}
    from service_capped as s
),

person_capped as (
    select
        p.*
        {%- for b in bases %},
        case when p.cap_per_person_year_sek is null then p.after_service_cap_{{ b }}
            else least(p.cap_per_person_year_sek, greatest(p.person_total_{{ b }}, 0))
                - least(p.cap_per_person_year_sek, greatest(p.person_total_{{ b }} - p.after_service_cap_{{ b }}, 0))
        end as after_person_cap_{{ b }}
        {%- endfor %}
    from person_level as p
),

employer_level as (
    select
        p.*
        {%- for b in bases %},
        sum(p.after_person_cap_{{ b }}) over (
            partition by p.scheme, p.rule_set_id, p.employer_org_number, p.grant_year
            order by p.allocation_order
        ) as employer_total_{{ b }}
        {%- endfor %}
    from person_capped as p
),

employer_capped as (
    select
        e.*
        {%- for b in bases %},
        case when e.cap_per_employer_year_sek is null then e.after_person_cap_{{ b }}
            else least(e.cap_per_employer_year_sek, greatest(e.employer_total_{{ b }}, 0))
                - least(e.cap_per_employer_year_sek,
                        greatest(e.employer_total_{{ b }} - e.after_person_cap_{{ b }}, 0))
        end as after_employer_cap_{{ b }}
        {%- endfor %}
    from employer_level as e
)

select
    grant_line_id,
    scheme,
    rule_set_id,
    service_line_id,
    service_key,
    employer_org_number,
    provider_org_number,
    person_key,
    invoice_number,
    claim_invoice_number,
    document_type,
    record_source,
    issue_date,
    service_date,
    grant_year,
    intervention_type,
    service_code,
    amount_net,
    amount_basis_sek,
    amount_paid,
    paid_date,
    grant_rate,
    rule_reason,
    base_paid,
    base_full,
    cast(after_employer_cap_paid as numeric(12, 2)) as grant_amount,
    cast(after_employer_cap_full as numeric(12, 2)) as grant_amount_if_paid,
    cast(base_paid - after_service_cap_paid as numeric(12, 2)) as lost_to_service_cap,
    cast(after_service_cap_paid - after_person_cap_paid as numeric(12, 2)) as lost_to_person_cap,
    cast(after_person_cap_paid - after_employer_cap_paid as numeric(12, 2)) as lost_to_employer_cap,
    case
        when rule_reason is not null then rule_reason
        when base_full > 0 and base_paid = 0 then 'not_paid'
        when base_paid > 0 and after_person_cap_paid = 0 then 'person_cap_reached'
        when base_paid > 0 and after_employer_cap_paid = 0 then 'employer_cap_reached'
    end as ineligible_reason,
    measure_start_date,
    application_deadline,
    deadline_is_confirmed,
    rule_is_confirmed,
    allocation_order
from employer_capped
