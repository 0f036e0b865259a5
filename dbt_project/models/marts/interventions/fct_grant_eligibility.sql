{{ config(materialized='view') }}
-- fct_grant_lines with the status on the as-of date: a line whose deadline can expire it (expires_at_deadline)
-- and whose deadline has passed is expired, with its grant lost to the deadline. A view, so that the 312,000 lines
-- (at 50,000 employees) are not written again each night only because the date moved: the lines change with
-- the invoice chain, the status with the date. The as-of date is the build's (frisk.dbt_runner.build_aside pins
-- it), written into the view as a literal; a hand-run dbt without FRISK_AS_OF_DATE gets today's date when read.
-- Row-level security is the lines' own: the view reads them as the user who queries it (security_invoker, set by
-- meta.apply_mart_security).
with lines as (
    select * from {{ ref('fct_grant_lines') }}
),

with_status as (
    select
        l.*,
        case
            when l.expires_at_deadline and l.application_deadline < {{ as_of_date() }} then 'expired'
            else l.status_before_deadline
        end as status
    from lines as l
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
    service_date,
    grant_year,
    intervention_type,
    service_code,
    amount_net,
    amount_paid,
    paid_date,
    grant_rate,
    is_eligible,
    ineligible_reason,
    grant_amount,
    grant_amount_if_paid,
    lost_to_service_cap,
    lost_to_person_cap,
    lost_to_employer_cap,
    cast(case when status = 'claimable' then grant_amount else 0 end as numeric(12, 2)) as claimable_amount,
    cast(case when status = 'expired' then grant_amount_if_paid else 0 end as numeric(12, 2))
        as lost_to_deadline,
    measure_start_date,
    application_deadline,
    deadline_is_confirmed,
    rule_is_confirmed,
    cast(status as text) as status,
    claimed_on,
    cast({{ as_of_date() }} as date) as as_of_date
from with_status
