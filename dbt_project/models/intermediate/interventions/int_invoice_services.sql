{{ config(post_hook='analyze {{ this }}', indexes=[{'columns': ['service_line_id'], 'unique': True}]) }}
-- One row per service line: a service to one person, from the invoice line (when the line carries the person)
-- or from the specification beside the invoice; plus invoice lines that name no person and no specification
-- covers (kept, so spend adds up; they can never earn a grant). Credit-note rows are negative and point at the
-- service they correct (service_key), so a credit reduces exactly that service.
with documents as (
    select * from {{ ref('stg_invoices__documents') }}
),

lines as (
    select * from {{ ref('stg_invoices__lines') }}
),

specifications as (
    select * from {{ ref('stg_invoices__specifications') }}
),

-- a specification row without a line id covers the whole invoice; one with a line id covers that line
spec_cover_invoice as (
    select distinct invoice_key from specifications where invoice_line_id is null
),

spec_cover_line as (
    select distinct invoice_key, invoice_line_id from specifications where invoice_line_id is not null
),

from_lines as (
    select
        l.invoice_key,
        case when l.person_key is not null then 'invoice_line' else 'unattributed_line' end as record_source,
        l.line_id,
        cast(null as bigint) as spec_line_no,
        l.person_key,
        l.birth_year,
        l.sex,
        coalesce(l.period_start, d.issue_date) as service_date,
        l.period_start is null as service_date_is_estimated,
        coalesce(l.service_code, l.seller_item_id) as service_code,
        l.item_name as service_name,
        l.performer,
        l.quantity,
        l.net_amount as amount_net,
        l.tax_percent
    from lines as l
    inner join documents as d on d.invoice_key = l.invoice_key
    -- Left joins to the two covers rather than `person_key is not null or not exists (...)`: a NOT EXISTS under
    -- an OR cannot become an anti-join, so it ran as a subplan scanning every specification row once per line
    -- without a person (lines x specifications, quadratic in the size of the municipality).
    left join spec_cover_invoice as ci on ci.invoice_key = l.invoice_key
    left join spec_cover_line as cl on cl.invoice_key = l.invoice_key and cl.invoice_line_id = l.line_id
    where l.person_key is not null
        or (ci.invoice_key is null and cl.invoice_key is null)
),

from_specifications as (
    select
        s.invoice_key,
        'specification' as record_source,
        s.invoice_line_id as line_id,
        s.line_no as spec_line_no,
        s.person_key,
        s.birth_year,
        s.sex,
        s.service_date,
        false as service_date_is_estimated,
        s.service_code,
        s.service_name,
        s.performer_competence as performer,
        cast(d.sign as numeric) as quantity,
        -- specifications print amounts positive; a credit note's rows reduce
        case when d.sign = -1 then -abs(s.amount_net) else s.amount_net end as amount_net,
        l.tax_percent
    from specifications as s
    inner join documents as d on d.invoice_key = s.invoice_key
    left join lines as l on l.invoice_key = s.invoice_key and l.line_id = s.invoice_line_id
    -- a line that already names the person is the service; its specification row would count it twice
    where l.person_key is null
),

services as (
    select * from from_lines
    union all
    select * from from_specifications
),

typed as (
    select
        md5(
            sv.invoice_key || '|' || sv.record_source || '|' || coalesce(sv.line_id, '') || '|'
            || coalesce(cast(sv.spec_line_no as text), '')
        ) as service_line_id,
        sv.invoice_key,
        d.employer_org_number,
        d.supplier_org_number as provider_org_number,
        d.invoice_number,
        d.document_type,
        d.settles_invoice_number,
        d.issue_date,
        d.currency,
        sv.record_source,
        sv.line_id,
        sv.spec_line_no,
        sv.person_key,
        sv.birth_year,
        sv.sex,
        sv.service_date,
        sv.service_date_is_estimated,
        sv.service_code,
        sv.service_name,
        sv.performer,
        sv.quantity,
        cast(sv.amount_net as numeric(12, 2)) as amount_net,
        sv.tax_percent,
        cast(sv.amount_net * (1 + coalesce(sv.tax_percent, 0) / 100.0) as numeric(12, 2)) as amount_gross
    from services as sv
    inner join documents as d on d.invoice_key = sv.invoice_key
),

-- the catalogue entry valid on the service date: by code, else by name
catalogued as (
    select
        t.*,
        coalesce(by_code.intervention_type, by_name.intervention_type) as catalogue_type,
        coalesce(by_code.service_name, by_name.service_name, t.service_name) as catalogue_service_name
    from typed as t
    left join {{ ref('service_catalogue') }} as by_code
        on by_code.provider_org_number = t.provider_org_number
        and by_code.service_code = t.service_code
        and t.service_date between by_code.valid_from and coalesce(by_code.valid_to, date '9999-12-31')
    left join {{ ref('service_catalogue') }} as by_name
        on by_code.service_code is null
        and by_name.provider_org_number = t.provider_org_number
        and lower(trim(by_name.service_name)) = lower(trim(t.service_name))
        and t.service_date between by_name.valid_from and coalesce(by_name.valid_to, date '9999-12-31')
),

-- a credit row corrects the service on the invoice it references with the same person, code and date (the first
-- such invoice row by issue date, then line id). A window over that key rather than a self-join of catalogued:
-- a CTE has no statistics, so both sides of the self-join were estimated at under 100 rows (57,000 invoice rows
-- at 50,000 employees) and a nested loop cost hardly more than the hash join; with the invoice rows outside it
-- rescans every row per invoice row, quadratic (3 billion comparisons at 50,000 employees). An invoice's
-- settles_invoice_number is its own number, so one key serves both sides.
credit_match as (
    select
        service_line_id,
        first_service_line_id as original_service_line_id
    from (
        select
            service_line_id,
            document_type,
            first_value(service_line_id) over key_window as first_service_line_id,
            first_value(document_type) over key_window as first_document_type
        from catalogued
        where document_type in ('invoice', 'credit_note')
            -- the join matched on equality: nulls never matched (service_code: is not distinct from)
            and provider_org_number is not null
            and person_key is not null
            and service_date is not null
        window key_window as (
            partition by provider_org_number, settles_invoice_number, person_key, service_code, service_date
            order by document_type = 'invoice' desc, issue_date, service_line_id
        )
    ) as keyed
    where document_type = 'credit_note'
        and first_document_type = 'invoice'
)

select
    c.service_line_id,
    coalesce(m.original_service_line_id, c.service_line_id) as service_key,
    m.original_service_line_id is not null as is_correction,
    c.invoice_key,
    c.employer_org_number,
    c.provider_org_number,
    c.invoice_number,
    c.document_type,
    c.settles_invoice_number,
    c.issue_date,
    c.currency,
    c.record_source,
    c.line_id,
    c.spec_line_no,
    c.person_key,
    c.birth_year,
    c.sex,
    c.service_date,
    c.service_date_is_estimated,
    c.service_code,
    c.catalogue_service_name as service_name,
    c.performer,
    c.quantity,
    c.amount_net,
    c.tax_percent,
    c.amount_gross,
    coalesce(c.catalogue_type, 'unmapped') as intervention_type,
    c.catalogue_type is not null as is_service_mapped
from catalogued as c
left join credit_match as m on m.service_line_id = c.service_line_id
