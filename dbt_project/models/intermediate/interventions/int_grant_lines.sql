{{ config(post_hook='analyze {{ this }}', indexes=[{'columns': ['grant_line_id'], 'unique': True}]) }}
-- Each service line judged for each grant scheme under the rule set valid on its service date: the first rule
-- that rules it out (before caps), the amount paid and the grant base, and the application deadline.
-- Caps are applied afterwards, in service-date order, by int_grant_allocation.
with services as (
    select * from {{ ref('int_invoice_services') }}
),

rule_sets as (
    select * from {{ ref('grant_rule_sets') }}
),

schemes as (
    select distinct scheme from rule_sets
),

judged as (
    select
        sc.scheme,
        r.rule_set_id,
        s.*,
        st.paid_ratio,
        st.fully_paid_date,
        r.grant_rate,
        r.cap_per_service_sek,
        r.cap_per_person_year_sek,
        r.cap_per_employer_year_sek,
        r.amount_basis,
        r.deadline_rule,
        r.deadline_year_offset,
        r.deadline_month,
        r.deadline_day,
        r.deadline_months_after_start,
        coalesce(r.deadline_is_confirmed, false) as deadline_is_confirmed,
        coalesce(r.rule_is_confirmed, false) as rule_is_confirmed,
        case
            when r.rule_set_id is null then 'no_rule_set'
            when r.requires_individual and s.person_key is null then 'not_an_individual_service'
            when r.requires_approved_provider and not exists (
                select 1 from {{ ref('approved_providers') }} as ap
                where ap.scheme = sc.scheme
                    and ap.provider_org_number = s.provider_org_number
                    and s.service_date between ap.valid_from and coalesce(ap.valid_to, date '9999-12-31')
            ) then 'provider_not_approved'
            when not s.is_service_mapped then 'service_unmapped'
            else coalesce(
                (select nullif(e.eligibility, 'eligible')
                 from {{ ref('grant_service_eligibility') }} as e
                 where e.scheme = sc.scheme
                     and e.intervention_type = s.intervention_type
                     and s.service_date between e.valid_from and coalesce(e.valid_to, date '9999-12-31')
                 order by e.valid_from desc
                 limit 1),
                -- a type the scheme's mapping does not list is not paid for
                case when not exists (
                    select 1 from {{ ref('grant_service_eligibility') }} as e
                    where e.scheme = sc.scheme
                        and e.intervention_type = s.intervention_type
                        and s.service_date between e.valid_from and coalesce(e.valid_to, date '9999-12-31')
                ) then 'service_not_eligible' end
            )
        end as rule_reason
    from services as s
    cross join schemes as sc
    left join rule_sets as r
        on r.scheme = sc.scheme
        and s.service_date between r.valid_from and coalesce(r.valid_to, date '9999-12-31')
    left join {{ ref('int_invoice_settlements') }} as st
        on st.supplier_org_number is not distinct from s.provider_org_number
        and st.settles_invoice_number = s.settles_invoice_number
),

amounts as (
    select
        j.*,
        case when j.amount_basis = 'gross' then j.amount_gross else j.amount_net end as amount_basis_sek,
        ep.episode_start_date
    from judged as j
    left join {{ ref('int_intervention_episodes') }} as ep on ep.service_key = j.service_key
)

select
    md5(a.service_line_id || '|' || a.scheme) as grant_line_id,
    a.scheme,
    a.rule_set_id,
    a.service_line_id,
    a.service_key,
    a.employer_org_number,
    a.provider_org_number,
    a.person_key,
    a.invoice_number,
    a.settles_invoice_number as claim_invoice_number,
    a.document_type,
    a.record_source,
    a.issue_date,
    a.service_date,
    cast(extract(year from a.service_date) as integer) as grant_year,
    a.intervention_type,
    a.service_code,
    a.amount_net,
    a.amount_basis_sek,
    cast(a.amount_basis_sek * coalesce(a.paid_ratio, 0) as numeric(12, 2)) as amount_paid,
    a.fully_paid_date as paid_date,
    a.grant_rate,
    a.cap_per_service_sek,
    a.cap_per_person_year_sek,
    a.cap_per_employer_year_sek,
    a.rule_reason,
    -- the grant before caps on what was paid, and on the whole amount (as if paid in full)
    cast(case when a.rule_reason is null
        then round(a.grant_rate * a.amount_basis_sek * coalesce(a.paid_ratio, 0), 2)
        else 0 end as numeric(12, 2)) as base_paid,
    cast(case when a.rule_reason is null
        then round(a.grant_rate * a.amount_basis_sek, 2)
        else 0 end as numeric(12, 2)) as base_full,
    a.episode_start_date as measure_start_date,
    case a.deadline_rule
        when 'fixed_date_next_year' then make_date(
            cast(extract(year from a.service_date) as integer) + a.deadline_year_offset,
            a.deadline_month, a.deadline_day)
        when 'months_after_measure_start' then cast(
            coalesce(a.episode_start_date, a.service_date)
            + make_interval(months => a.deadline_months_after_start) as date)
    end as application_deadline,
    a.deadline_is_confirmed,
    a.rule_is_confirmed,
    -- caps are consumed in this order: service date, then the service with its credits right after it
    row_number() over (
        partition by a.scheme
        order by a.service_date, a.service_key, (a.document_type = 'credit_note'), a.issue_date, a.service_line_id
    ) as allocation_order
from amounts as a
