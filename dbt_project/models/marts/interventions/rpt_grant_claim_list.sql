-- The claim HR can submit: per scheme, employer, person key and invoice (credit notes counted with the invoice
-- they correct), the claimable lines summed. Person keys only: HR resolves them to people in the payroll system.
select
    cast(scheme as text) as scheme,
    cast(employer_org_number as text) as employer_org_number,
    cast(person_key as text) as person_key,
    cast(provider_org_number as text) as provider_org_number,
    cast(claim_invoice_number as text) as invoice_number,
    cast(grant_year as integer) as grant_year,
    cast(min(rule_set_id) as text) as rule_set_id,
    cast(count(*) as integer) as service_lines,
    cast(min(service_date) as date) as first_service_date,
    cast(max(service_date) as date) as last_service_date,
    cast(string_agg(distinct intervention_type, ', ' order by intervention_type) as text) as intervention_types,
    cast(sum(amount_net) as numeric(12, 2)) as amount_net,
    cast(sum(amount_paid) as numeric(12, 2)) as amount_paid,
    cast(max(paid_date) as date) as paid_date,
    cast(sum(claimable_amount) as numeric(12, 2)) as grant_amount,
    cast(min(application_deadline) as date) as application_deadline,
    cast(bool_and(deadline_is_confirmed) as boolean) as deadline_is_confirmed
from {{ ref('fct_grant_eligibility') }}
where status = 'claimable'
group by scheme, employer_org_number, person_key, provider_org_number, claim_invoice_number, grant_year
