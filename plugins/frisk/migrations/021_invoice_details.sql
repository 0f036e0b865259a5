-- FHV invoices, second step: the fields of the PEPPOL documents that 020 did not hold, line-level allowances and
-- charges, and the reconciliation findings (specifications and payments that do not match their invoices).
-- Only additions: the names in 020 stay as they are.

alter table raw.invoice_documents
    add column if not exists customization_id          text,    -- e.g. urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0
    add column if not exists profile_id                text,
    add column if not exists note                      text,    -- free text, personnummer-shaped numbers masked
    add column if not exists supplier_id_scheme        text,    -- '0007' when supplier_org_number is a valid Swedish org number
    add column if not exists supplier_org_number_valid boolean, -- false: a foreign or broken identifier, kept as delivered
    add column if not exists buyer_id_scheme           text,
    add column if not exists buyer_org_number_valid    boolean,
    add column if not exists tax_currency              text,    -- cbc:TaxCurrencyCode when VAT is also given in another currency
    add column if not exists tax_amount_tax_currency   numeric(14, 2),
    add column if not exists line_count                integer; -- lines in the document (loaded + quarantined)

alter table raw.invoice_lines
    add column if not exists item_description          text,
    add column if not exists classification_list_id    text,    -- listID of the item classification (e.g. SRV, STI)
    add column if not exists base_quantity             numeric(14, 4),
    add column if not exists order_line_reference      text,
    add column if not exists xml_line_no               bigint;  -- where the line starts in the file, for people

alter table raw.invoice_tax_subtotals
    add column if not exists exemption_reason_code     text;    -- e.g. VATEX-EU-F

-- Allowances and charges on a line (document-level ones are in raw.invoice_allowance_charges). Already included
-- in the line's net amount; kept so the line arithmetic can be followed.
create table if not exists raw.invoice_line_allowance_charges (
    batch_id                bigint not null references audit.batches (batch_id),
    supplier_org_number     text not null,
    invoice_number          text not null,
    line_id                 text not null,
    seq                     integer not null,
    is_charge               boolean not null,
    amount                  numeric(14, 2) not null,
    base_amount             numeric(14, 2),
    reason                  text,
    reason_code             text,
    primary key (batch_id, supplier_org_number, invoice_number, line_id, seq)
);

-- Findings of the reconciliation that runs after every invoice load. Recomputed as a whole each run, since a
-- later delivery (the missing invoice, a corrected specification, another payment) can resolve a finding.
create table if not exists quarantine.invoice_reconciliation (
    finding_id              bigserial primary key,
    run_id                  text,
    checked_at              timestamptz not null default now(),
    reason                  text not null check (reason in (
        'spec_row_without_invoice',   -- a specification row names an invoice that has not been loaded
        'spec_line_not_on_invoice',   -- a specification row names a line number the invoice does not have
        'spec_total_mismatch',        -- the specification rows of an invoice do not add up to its line total
        'spec_line_total_mismatch',   -- the rows for one invoice line do not add up to that line's net amount
        'payment_without_invoice',    -- a payment names an invoice that has not been loaded
        'invoice_overpaid'            -- the payments for an invoice add up to more than its payable amount
    )),
    supplier_org_number     text,
    invoice_number          text,
    invoice_batch_id        bigint,
    invoice_line_id         text,
    spec_batch_id           bigint,
    spec_line_no            bigint,
    payment_batch_id        bigint,
    payment_line_no         bigint,
    expected_amount         numeric(14, 2),   -- what the invoice says
    actual_amount           numeric(14, 2),   -- what the specification or payments say
    difference              numeric(14, 2),   -- actual - expected
    detail                  text not null
);
create index if not exists invoice_reconciliation_invoice
    on quarantine.invoice_reconciliation (supplier_org_number, invoice_number);
