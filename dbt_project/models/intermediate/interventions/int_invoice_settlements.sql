{{ config(post_hook='analyze {{ this }}', indexes=[{'columns': ['settlement_key'], 'unique': True}]) }}
-- Payment status per invoice and the credit notes that correct it (a settlement group): what was to be paid,
-- what was paid, and when it was paid in full. paid_ratio spreads the payment over the group's lines, so a
-- credit note settled by paying the invoice short does not count twice.
with documents as (
    select * from {{ ref('stg_invoices__documents') }}
),

payments as (
    select
        d.supplier_org_number,
        d.settles_invoice_number,
        p.paid_date,
        sum(p.amount) as amount
    from {{ ref('stg_invoices__payments') }} as p
    inner join documents as d on d.invoice_key = p.invoice_key
    group by d.supplier_org_number, d.settles_invoice_number, p.paid_date
),

groups as (
    select
        supplier_org_number,
        settles_invoice_number,
        min(employer_org_number) as employer_org_number,
        sum(payable_amount) as net_payable_amount,
        count(*) filter (where document_type = 'credit_note') as credit_notes
    from documents
    group by supplier_org_number, settles_invoice_number
),

paid_running as (
    select
        p.*,
        sum(p.amount) over (
            partition by p.supplier_org_number, p.settles_invoice_number order by p.paid_date
        ) as paid_to_date
    from payments as p
)

select
    md5(coalesce(g.supplier_org_number, '') || '|' || g.settles_invoice_number) as settlement_key,
    g.supplier_org_number,
    g.settles_invoice_number,
    g.employer_org_number,
    g.credit_notes,
    g.net_payable_amount,
    coalesce(sum(p.amount), 0) as paid_amount,
    min(p.paid_date) as first_paid_date,
    min(p.paid_date) filter (where p.paid_to_date >= g.net_payable_amount) as fully_paid_date,
    case
        -- nothing left to pay (fully credited): settled
        when g.net_payable_amount <= 0 then 1.0
        else least(1.0, greatest(0.0, coalesce(sum(p.amount), 0) / g.net_payable_amount))
    end as paid_ratio
from groups as g
left join paid_running as p
    on p.supplier_org_number is not distinct from g.supplier_org_number
    and p.settles_invoice_number = g.settles_invoice_number
group by g.supplier_org_number, g.settles_invoice_number, g.employer_org_number, g.credit_notes,
    g.net_payable_amount
