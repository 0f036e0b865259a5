-- Payments from the accounts-payable export, one row per payment line of loaded, current batches.
-- Partial payments are separate rows and add up downstream.
select
    p.batch_id,
    p.line_no,
    md5(p.supplier_org_number || '|' || p.invoice_number) as invoice_key,
    p.invoice_number,
    p.supplier_org_number,
    p.paid_date,
    p.amount
from {{ source('invoices_raw', 'payments') }} as p
inner join {{ current_batches('payments') }} as cb on cb.batch_id = p.batch_id
