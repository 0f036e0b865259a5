-- Document-level allowances and charges of the current version of each document; signed like the document.
select
    a.batch_id,
    d.invoice_key,
    a.supplier_org_number,
    a.invoice_number,
    a.seq,
    a.is_charge,
    d.sign * a.amount as amount,
    a.reason,
    a.reason_code,
    a.tax_category,
    a.tax_percent
from {{ source('invoices_raw', 'invoice_allowance_charges') }} as a
inner join {{ ref('stg_invoices__documents') }} as d
    on d.batch_id = a.batch_id
    and d.supplier_org_number is not distinct from a.supplier_org_number
    and d.invoice_number = a.invoice_number
