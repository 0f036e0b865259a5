-- FHV e-invoices (PEPPOL BIS Billing 3.0 / UBL 2.1), per-employee specifications and payments.
-- Credit notes are stored with sign = -1 and positive amounts as printed; staging applies the sign.
create table if not exists raw.invoice_documents (
    batch_id                bigint not null references audit.batches (batch_id),
    document_type           text not null check (document_type in ('invoice', 'credit_note')),
    invoice_number          text not null,
    type_code               text,
    issue_date              date not null,
    due_date                date,
    currency                text not null,
    supplier_org_number     text,
    supplier_vat_number     text,
    supplier_name           text,
    buyer_org_number        text,
    buyer_vat_number        text,
    buyer_name              text,
    buyer_reference         text,
    order_reference         text,
    billing_reference       text,             -- the invoice a credit note corrects
    line_extension_amount   numeric(14, 2) not null,
    allowance_total_amount  numeric(14, 2) not null default 0,
    charge_total_amount     numeric(14, 2) not null default 0,
    tax_exclusive_amount    numeric(14, 2) not null,
    tax_amount              numeric(14, 2) not null default 0,
    tax_inclusive_amount    numeric(14, 2) not null,
    prepaid_amount          numeric(14, 2) not null default 0,
    payable_rounding_amount numeric(14, 2) not null default 0,
    payable_amount          numeric(14, 2) not null,
    sign                    smallint not null check (sign in (1, -1)),
    document_sha256         text not null,
    primary key (batch_id, supplier_org_number, invoice_number)
);

create table if not exists raw.invoice_lines (
    batch_id                bigint not null references audit.batches (batch_id),
    supplier_org_number     text,
    invoice_number          text not null,
    line_id                 text not null,
    quantity                numeric(14, 4),
    unit_code               text,
    net_amount              numeric(14, 2) not null,
    item_name               text,
    seller_item_id          text,
    classification          text,
    tax_category            text,
    tax_percent             numeric(6, 2),
    price_amount            numeric(14, 4),
    period_start            date,               -- service date when the line carries the person
    period_end              date,
    note                    text,
    person_key              text,               -- from AdditionalItemProperty 'Personnummer', pseudonymised
    birth_year              smallint,
    sex                     text,
    service_code            text,               -- 'Tjänstekod'
    performer               text,               -- 'Utförare' (performer's competence)
    properties              jsonb,              -- other item properties (never the personnummer)
    primary key (batch_id, supplier_org_number, invoice_number, line_id)
);

create table if not exists raw.invoice_allowance_charges (
    batch_id                bigint not null references audit.batches (batch_id),
    supplier_org_number     text,
    invoice_number          text not null,
    seq                     integer not null,
    is_charge               boolean not null,
    amount                  numeric(14, 2) not null,
    reason                  text,
    reason_code             text,
    tax_category            text,
    tax_percent             numeric(6, 2),
    primary key (batch_id, supplier_org_number, invoice_number, seq)
);

create table if not exists raw.invoice_tax_subtotals (
    batch_id                bigint not null references audit.batches (batch_id),
    supplier_org_number     text,
    invoice_number          text not null,
    tax_category            text not null,
    tax_percent             numeric(6, 2) not null default 0,
    taxable_amount          numeric(14, 2) not null,
    tax_amount              numeric(14, 2) not null,
    exemption_reason        text,
    primary key (batch_id, supplier_org_number, invoice_number, tax_category, tax_percent)
);

-- fakturaunderlag beside the invoice: one row per service to one employee
create table if not exists raw.invoice_specifications (
    batch_id                bigint not null references audit.batches (batch_id),
    line_no                 bigint not null,
    invoice_number          text not null,
    supplier_org_number     text not null,
    invoice_line_id         text,
    service_date            date not null,
    person_key              text not null,
    birth_year              smallint not null,
    sex                     text not null,
    service_code            text,
    service_name            text,
    performer_competence    text,
    amount_net              numeric(14, 2) not null,
    primary key (batch_id, line_no)
);

-- accounts-payable export: which invoices are paid, and when (partial payments add up)
create table if not exists raw.payments (
    batch_id                bigint not null references audit.batches (batch_id),
    line_no                 bigint not null,
    invoice_number          text not null,
    supplier_org_number     text not null,
    paid_date               date not null,
    amount                  numeric(14, 2) not null,
    primary key (batch_id, line_no)
);
