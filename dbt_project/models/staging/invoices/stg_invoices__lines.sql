-- Invoice lines of the current version of each document; amounts signed like their document.
select
    l.batch_id,
    d.invoice_key,
    d.document_type,
    l.supplier_org_number,
    l.invoice_number,
    l.line_id,
    d.sign * l.quantity as quantity,
    l.unit_code,
    d.sign * l.net_amount as net_amount,
    l.item_name,
    l.seller_item_id,
    l.classification,
    l.tax_category,
    l.tax_percent,
    l.price_amount,
    l.period_start,
    l.period_end,
    l.note,
    l.person_key,
    l.birth_year,
    l.sex,
    l.service_code,
    l.performer,
    l.properties
from {{ source('invoices_raw', 'invoice_lines') }} as l
inner join {{ ref('stg_invoices__documents') }} as d
    on d.batch_id = l.batch_id
    and d.supplier_org_number is not distinct from l.supplier_org_number
    and d.invoice_number = l.invoice_number
