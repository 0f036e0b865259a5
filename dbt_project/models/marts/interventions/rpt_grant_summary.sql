-- Employer x service year x scheme: what was spent, what the rules allow, what can still be claimed, and what
-- was left on the table (caps, missed deadlines).
-- The distinct persons are counted apart, from a hashed distinct: a distinct count sorted the 312,000 lines (with
-- all the summed columns when in the same aggregation: 0.8 s at 50,000 employees, every night).
with lines as not materialized (
    select * from {{ ref('fct_grant_eligibility') }}
    where employer_org_number is not null
),

persons as (
    select employer_org_number, grant_year, scheme, count(person_key) as persons
    from (select distinct employer_org_number, grant_year, scheme, person_key from lines) as line_persons
    group by employer_org_number, grant_year, scheme
),

totals as (
    select
        employer_org_number,
        grant_year,
        scheme,
        cast(count(*) as integer) as service_lines,
        cast(sum(amount_net) as numeric(14, 2)) as spend,
        cast(sum(amount_paid) as numeric(14, 2)) as spend_paid,
        cast(coalesce(sum(amount_net) filter (
            where ineligible_reason is null
                or ineligible_reason in ('not_paid', 'person_cap_reached', 'employer_cap_reached')), 0)
            as numeric(14, 2)) as eligible_spend,
        cast(sum(grant_amount) as numeric(14, 2)) as grant_total,
        cast(sum(claimable_amount) as numeric(14, 2)) as grant_claimable,
        cast(coalesce(sum(grant_amount) filter (where status = 'claimed'), 0) as numeric(14, 2)) as grant_claimed,
        cast(coalesce(sum(grant_amount_if_paid - grant_amount) filter (where status = 'awaiting_payment'), 0)
            as numeric(14, 2)) as grant_awaiting_payment,
        cast(sum(lost_to_service_cap + lost_to_person_cap + lost_to_employer_cap) as numeric(14, 2)) as lost_to_caps,
        cast(sum(lost_to_person_cap) as numeric(14, 2)) as lost_to_person_cap,
        cast(sum(lost_to_employer_cap) as numeric(14, 2)) as lost_to_employer_cap,
        cast(sum(lost_to_deadline) as numeric(14, 2)) as lost_to_deadline,
        cast(min(application_deadline) filter (
            where status in ('claimable', 'awaiting_payment') and application_deadline >= as_of_date) as date)
            as next_deadline,
        cast(min(application_deadline) filter (
            where status in ('claimable', 'awaiting_payment') and application_deadline >= as_of_date)
            - min(as_of_date) as integer) as days_to_next_deadline,
        cast(bool_and(deadline_is_confirmed) as boolean) as deadline_is_confirmed,
        cast(min(as_of_date) as date) as as_of_date
    from lines
    group by employer_org_number, grant_year, scheme
)

select
    cast(t.employer_org_number as text) as employer_org_number,
    cast(t.grant_year as integer) as grant_year,
    cast(t.scheme as text) as scheme,
    t.service_lines,
    cast(p.persons as integer) as persons,
    t.spend,
    t.spend_paid,
    t.eligible_spend,
    t.grant_total,
    t.grant_claimable,
    t.grant_claimed,
    t.grant_awaiting_payment,
    t.lost_to_caps,
    t.lost_to_person_cap,
    t.lost_to_employer_cap,
    t.lost_to_deadline,
    t.next_deadline,
    t.days_to_next_deadline,
    t.deadline_is_confirmed,
    t.as_of_date
from totals as t
inner join persons as p
    on p.employer_org_number = t.employer_org_number
    and p.grant_year is not distinct from t.grant_year
    and p.scheme = t.scheme
