{{
    config(
        materialized='incremental',
        on_schema_change='fail',
        pre_hook="{% if is_incremental() and not invoice_chain_as_published() %}truncate {{ this }}{% endif %}",
    )
}}
-- One row per service line and grant scheme: whether it earns a grant, how much, by when to apply, and the status
-- it has while its deadline has not passed. Nothing here depends on the as-of date: fct_grant_eligibility (a view
-- of this mart) adds the status on the build's as-of date. One row per row of int_grant_allocation (its
-- grant_line_id is unique; the claims are grouped on the join's key): tests/interventions/
-- assert_grant_eligibility_one_row_per_line.sql.
-- Incremental in the simplest way: the rows are a function of the invoice chain (int_grant_allocation, a
-- fingerprinted table) and of the claims seed (part of the project). While both are the ones the published
-- build used (invoice_chain_as_published(): a payroll-only night), the published table is kept as it is, copied
-- into the build schema; otherwise it is emptied (the pre-hook) and every line is written again. Rebuilt every
-- night with the as-of date in its rows, it cost 2.5-4.5 s of a 14-30 s night at 50,000 employees x 5 years.
with allocated as (
    select * from {{ ref('int_grant_allocation') }}
    {%- if is_incremental() and invoice_chain_as_published() %}
    where false
    {%- endif %}
),

claims as (
    select
        scheme, supplier_org_number, invoice_number, person_key, service_date,
        min(claimed_on) as claimed_on
    from {{ ref('grant_claims') }}
    group by scheme, supplier_org_number, invoice_number, person_key, service_date
),

with_status as (
    select
        a.*,
        c.claimed_on,
        -- the order of the status rules (fct_grant_eligibility applies the deadline where this says it can)
        case
            when c.claimed_on is not null then 'claimed'
            when a.rule_reason is not null then 'not_eligible'
            when a.grant_amount_if_paid = 0 and a.grant_amount = 0 then 'not_eligible'
            -- a credit row reduces a grant whatever the deadline: it is reported with the next claim
            when a.grant_amount < 0 or a.grant_amount_if_paid < 0 then 'claimable'
        end as status_whatever_the_deadline,
        case when a.amount_paid < a.amount_basis_sek then 'awaiting_payment' else 'claimable' end as status_in_time
    from allocated as a
    left join claims as c
        on c.scheme = a.scheme
        and c.supplier_org_number = a.provider_org_number
        and c.invoice_number = a.invoice_number
        and c.person_key = a.person_key
        and c.service_date = a.service_date
)

select
    cast(grant_line_id as text) as grant_line_id,
    cast(scheme as text) as scheme,
    cast(rule_set_id as text) as rule_set_id,
    cast(service_line_id as text) as service_line_id,
    cast(service_key as text) as service_key,
    cast(employer_org_number as text) as employer_org_number,
    cast(provider_org_number as text) as provider_org_number,
    cast(person_key as text) as person_key,
    cast(invoice_number as text) as invoice_number,
    cast(claim_invoice_number as text) as claim_invoice_number,
    cast(document_type as text) as document_type,
    cast(record_source as text) as record_source,
    cast(service_date as date) as service_date,
    cast(grant_year as integer) as grant_year,
    cast(intervention_type as text) as intervention_type,
    cast(service_code as text) as service_code,
    cast(amount_net as numeric(12, 2)) as amount_net,
    cast(amount_paid as numeric(12, 2)) as amount_paid,
    cast(paid_date as date) as paid_date,
    cast(grant_rate as numeric(6, 4)) as grant_rate,
    cast(ineligible_reason is null as boolean) as is_eligible,
    cast(ineligible_reason as text) as ineligible_reason,
    cast(grant_amount as numeric(12, 2)) as grant_amount,
    cast(grant_amount_if_paid as numeric(12, 2)) as grant_amount_if_paid,
    cast(lost_to_service_cap as numeric(12, 2)) as lost_to_service_cap,
    cast(lost_to_person_cap as numeric(12, 2)) as lost_to_person_cap,
    cast(lost_to_employer_cap as numeric(12, 2)) as lost_to_employer_cap,
    cast(measure_start_date as date) as measure_start_date,
    cast(application_deadline as date) as application_deadline,
    cast(deadline_is_confirmed as boolean) as deadline_is_confirmed,
    cast(rule_is_confirmed as boolean) as rule_is_confirmed,
    cast(coalesce(status_whatever_the_deadline, status_in_time) as text) as status_before_deadline,
    cast(status_whatever_the_deadline is null as boolean) as expires_at_deadline,
    cast(claimed_on as date) as claimed_on
from with_status
