-- No person-year or employer-year receives more than its rule set's cap, and no service more than the per-service
-- cap or the grant rate times what was paid. Returns the offending groups.
-- Checked on the allocation, where the amounts are made (fct_grant_lines carries them as they are, line for
-- line): a fingerprinted table, so on a night that keeps the invoice chain as the published build tested it, the
-- 312,000 lines at 50,000 employees are not grouped three times again (2 s at the start of the night).
{%- if invoice_chain_as_published() %}
select null as level where false
{%- else %}
with lines as (
    select g.*, r.cap_per_service_sek, r.cap_per_person_year_sek, r.cap_per_employer_year_sek
    from {{ ref('int_grant_allocation') }} as g
    inner join {{ ref('grant_rule_sets') }} as r on r.rule_set_id = g.rule_set_id
)

select 'person_year' as level, scheme, rule_set_id, employer_org_number, person_key, grant_year,
    sum(grant_amount) as granted
from lines
group by scheme, rule_set_id, employer_org_number, person_key, grant_year, cap_per_person_year_sek
having sum(grant_amount) > coalesce(cap_per_person_year_sek, sum(grant_amount))

union all

select 'employer_year', scheme, rule_set_id, employer_org_number, null, grant_year, sum(grant_amount)
from lines
group by scheme, rule_set_id, employer_org_number, grant_year, cap_per_employer_year_sek
having sum(grant_amount) > coalesce(cap_per_employer_year_sek, sum(grant_amount))

union all

select 'service', scheme, rule_set_id, employer_org_number, person_key, grant_year, sum(grant_amount)
from lines
group by scheme, rule_set_id, employer_org_number, person_key, grant_year, service_key, cap_per_service_sek,
    grant_rate
having sum(grant_amount) > coalesce(cap_per_service_sek, sum(grant_amount))
    or sum(grant_amount) > max(grant_rate) * sum(amount_paid) + 0.01
{%- endif %}
