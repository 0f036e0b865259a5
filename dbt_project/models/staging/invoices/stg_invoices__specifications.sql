-- Per-employee specification rows (fakturaunderlag). When a specification for the same invoice is delivered
-- again, the latest loaded batch holding that invoice wins. Amounts are as printed (sign applied later,
-- with the document's type).
with spec as (
    select
        s.*,
        max(s.batch_id) over (partition by s.supplier_org_number, s.invoice_number) as latest_batch_id
    from {{ source('invoices_raw', 'invoice_specifications') }} as s
    inner join {{ current_batches('invoices') }} as cb on cb.batch_id = s.batch_id
)

select
    batch_id,
    line_no,
    md5(supplier_org_number || '|' || invoice_number) as invoice_key,
    invoice_number,
    supplier_org_number,
    invoice_line_id,
    service_date,
    person_key,
    birth_year,
    sex,
    service_code,
    service_name,
    performer_competence,
    amount_net
from spec
where batch_id = latest_batch_id
