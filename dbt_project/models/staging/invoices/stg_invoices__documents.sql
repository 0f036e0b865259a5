-- One row per invoice or credit note, from loaded, current batches. The same supplier and number delivered
-- again (a duplicate or a corrected document) is kept once: the latest loaded batch wins.
-- Amounts carry the document's sign: credit notes are negative. An invoice and a credit note may share a number
-- (separate number series at the supplier): they are different documents, with different keys.
with ranked as (
    select
        d.*,
        row_number() over (
            partition by d.supplier_org_number, d.invoice_number, d.document_type order by d.batch_id desc
        ) as delivery_rank
    from {{ source('invoices_raw', 'invoice_documents') }} as d
    inner join {{ current_batches('invoices') }} as cb on cb.batch_id = d.batch_id
)

select
    batch_id,
    -- specifications and payments name invoices by supplier and number: the invoice keeps that plain key
    case when document_type = 'credit_note'
        then md5(coalesce(supplier_org_number, '') || '|' || invoice_number || '|credit_note')
        else md5(coalesce(supplier_org_number, '') || '|' || invoice_number) end as invoice_key,
    document_type,
    invoice_number,
    type_code,
    issue_date,
    due_date,
    currency,
    supplier_org_number,
    supplier_vat_number,
    supplier_name,
    buyer_org_number as employer_org_number,
    buyer_vat_number,
    buyer_name,
    buyer_reference,
    order_reference,
    billing_reference,
    -- a credit note settles together with the invoice it corrects
    case when document_type = 'credit_note' then coalesce(billing_reference, invoice_number)
         else invoice_number end as settles_invoice_number,
    sign,
    sign * line_extension_amount as line_extension_amount,
    sign * allowance_total_amount as allowance_total_amount,
    sign * charge_total_amount as charge_total_amount,
    sign * tax_exclusive_amount as tax_exclusive_amount,
    sign * tax_amount as tax_amount,
    sign * tax_inclusive_amount as tax_inclusive_amount,
    sign * prepaid_amount as prepaid_amount,
    sign * payable_rounding_amount as payable_rounding_amount,
    sign * payable_amount as payable_amount,
    document_sha256
from ranked
where delivery_rank = 1
