-- VAT subtotals per category of the current version of each document; signed like the document.
select
    t.batch_id,
    d.invoice_key,
    t.supplier_org_number,
    t.invoice_number,
    t.tax_category,
    t.tax_percent,
    d.sign * t.taxable_amount as taxable_amount,
    d.sign * t.tax_amount as tax_amount,
    t.exemption_reason
from {{ source('invoices_raw', 'invoice_tax_subtotals') }} as t
inner join {{ ref('stg_invoices__documents') }} as d
    on d.batch_id = t.batch_id
    and d.supplier_org_number is not distinct from t.supplier_org_number
    and d.invoice_number = t.invoice_number
