{{
    config(
        materialized='incremental',
        incremental_strategy='changed_rows',
        unique_key=['intervention_id'],
        on_schema_change='fail',
        pre_hook="{% if is_incremental() %}{{ delete_changed_mart_dated_rows('service_date', everyone=fingerprinted_inputs_changed()) }}{% endif %}",
    )
}}
-- depends_on: {{ ref('int_payroll_person_changes') }}
-- One row per service delivered to a person (credit notes netted into the service they correct), with the
-- person's absence context on the service date. Lines naming no person are not interventions (they stay in
-- fct_grant_eligibility, so spend adds up).
-- Incremental per person and date, like the spells and signals marts: it continues from the published table and
-- rebuilds the services of the persons int_payroll_person_changes marks dirty dated from the day their spells may
-- have changed (macros/changed_spells.sql: an earlier service's context reads only spells and signals that did
-- not change). Everyone else's services, spells and signals did not change, unless the invoice chain was rebuilt
-- since the published table was built (fingerprinted_inputs_changed(): new invoices, payments, a changed
-- setting) or the published marts are behind the state (marts_behind_state): then the pre-hook empties the table
-- and every service is rebuilt. That question is asked once, by the pre-hook: the query below rebuilds everyone's
-- services when it finds the table empty (where_mart_dated_row_changed(or_emptied=true)).
-- Not materialized: read twice, these CTEs would be materialized and estimated at a few dozen rows (15,000
-- services at 5,000 employees), and the planner then joined them in nested loops (11.5 s instead of 0.6 s).
with lines as not materialized (
    select l.*
    from {{ ref('int_invoice_services') }} as l
    {{- dated_rows_changes_join('l') }}
    where l.person_key is not null
    {{- where_mart_dated_row_changed('l', 'service_date', keyword='and', or_emptied=true) }}
),

services as not materialized (
    -- the service's own line: the invoice row, not a credit row
    select *
    from lines
    where not is_correction and document_type = 'invoice'
),

credits as (
    -- from every credit row, not only the dirty persons': a credit keeps its service's key whoever it names
    select service_key, sum(amount_net) as amount_credited
    from {{ ref('int_invoice_services') }}
    where person_key is not null and is_correction
    group by service_key
),

settled as (
    select supplier_org_number, settles_invoice_number, fully_paid_date
    from {{ ref('int_invoice_settlements') }}
),

-- each person's spells and signals as arrays, aggregated once: a service's context is a scan of its own person's
-- few elements. Joining every service to every earlier spell and signal of the person and grouping the result
-- (2.8 million rows at 50,000 employees x 5 years, sorted on disk) took 9 s; nothing is grouped per service here.
person_spells as (
    select employer_org_number, person_key, array_agg(start_date) as start_dates, array_agg(end_date) as end_dates
    from {{ ref('int_sick_spells') }} as spl
    {%- if is_incremental() %}
    -- only the persons with a service to rebuild tonight
    where (spl.employer_org_number, spl.person_key) in (select employer_org_number, person_key from lines)
    {%- endif %}
    group by employer_org_number, person_key
),

person_signals as (
    select
        employer_org_number,
        person_key,
        array_agg(signal_date) as signal_dates,
        array_agg(signal_type) as signal_types,
        array_agg(rule_id) as rule_ids
    from {{ ref('fct_absence_signals') }} as sig
    {%- if is_incremental() %}
    where (sig.employer_org_number, sig.person_key) in (select employer_org_number, person_key from lines)
    {%- endif %}
    group by employer_org_number, person_key
)

select
    cast(s.service_key as text) as intervention_id,
    cast(s.employer_org_number as text) as employer_org_number,
    cast(s.person_key as text) as person_key,
    cast(s.provider_org_number as text) as provider_org_number,
    cast(s.service_date as date) as service_date,
    cast(s.service_date_is_estimated as boolean) as service_date_is_estimated,
    cast(s.intervention_type as text) as intervention_type,
    cast(s.is_service_mapped as boolean) as is_service_mapped,
    cast(s.service_code as text) as service_code,
    cast(s.service_name as text) as service_name,
    cast(s.performer as text) as performer,
    cast(s.record_source as text) as record_source,
    cast(s.amount_net + coalesce(c.amount_credited, 0) as numeric(12, 2)) as amount_net,
    cast(coalesce(c.amount_credited, 0) as numeric(12, 2)) as amount_credited,
    cast(s.amount_net + coalesce(c.amount_credited, 0) <= 0 as boolean) as is_cancelled,
    cast(s.invoice_number as text) as invoice_number,
    cast(st.fully_paid_date as date) as paid_date,
    cast(e.episode_id as text) as episode_id,
    cast(s.birth_year as integer) as birth_year,
    cast(s.sex as text) as sex,
    cast(coalesce(cx.spells_last_365_days, 0) as integer) as spells_last_365_days,
    cast(s.service_date - cx.last_sick_day as integer) as days_since_last_spell,
    cast(sg.last_signal_date is not null as boolean) as signal_fired_last_365_days,
    cast(sg.last_signal_date as date) as last_signal_date,
    cast(sg.last_signal_type as text) as last_signal_type,
    cast(coalesce(cx.on_sick_leave, false) as boolean) as on_sick_leave
from services as s
left join credits as c on c.service_key = s.service_key
left join settled as st
    on st.supplier_org_number is not distinct from s.provider_org_number
    and st.settles_invoice_number = s.settles_invoice_number
left join {{ ref('int_intervention_episodes') }} as e on e.service_key = s.service_key
left join person_spells as ps
    on ps.employer_org_number = s.employer_org_number and ps.person_key = s.person_key
left join person_signals as pg
    on pg.employer_org_number = s.employer_org_number and pg.person_key = s.person_key
-- the service's context, from its own person's spells and signals
cross join lateral (
    select
        count(*) filter (where sp.start_date >= s.service_date - 365) as spells_last_365_days,
        bool_or(sp.end_date is null or sp.end_date >= s.service_date) as on_sick_leave,
        max(least(coalesce(sp.end_date, s.service_date), s.service_date)) as last_sick_day
    from unnest(ps.start_dates, ps.end_dates) as sp (start_date, end_date)
    where sp.start_date <= s.service_date
) as cx
left join lateral (
    select x.signal_date as last_signal_date, x.signal_type as last_signal_type
    from unnest(pg.signal_dates, pg.signal_types, pg.rule_ids) as x (signal_date, signal_type, rule_id)
    where x.signal_date between s.service_date - 365 and s.service_date
    order by x.signal_date desc, x.signal_type desc, x.rule_id
    limit 1
) as sg on true
