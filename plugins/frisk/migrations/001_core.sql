-- Core schemas and the audit trail every loader writes to.
create schema if not exists raw;
create schema if not exists quarantine;
create schema if not exists audit;
create schema if not exists meta;

-- One row per delivered file (or fetched response set). A file is identified by its SHA-256 per source:
-- re-delivering the same bytes is a no-op; a corrected file with the same name is a new batch that
-- supersedes the earlier one (same source, entity, employer and delivery_key) in staging.
create table if not exists audit.batches (
    batch_id            bigserial primary key,
    source              text not null,          -- payroll | invoices | payments | statistics
    entity              text,                   -- personnel | absence | invoice | specification | payment | fk | kolada
    file_name           text not null,
    file_sha256         text not null,
    delivery_key        text not null,          -- what a corrected re-delivery shares with the original (default: file name)
    employer_org_number text,
    dialect             text,
    status              text not null default 'loading'
        check (status in ('loading', 'loaded', 'rejected', 'gate_rejected', 'failed')),
    rows_read           bigint not null default 0,
    rows_loaded         bigint not null default 0,
    rows_quarantined    bigint not null default 0,
    error               text,
    started_at          timestamptz not null default now(),
    finished_at         timestamptz,
    seconds             numeric(12, 3),
    run_id              text
);
-- "loaded once": at most one non-failed batch per source and content hash.
create unique index if not exists batches_once
    on audit.batches (source, file_sha256) where status in ('loading', 'loaded', 'gate_rejected');
create index if not exists batches_delivery on audit.batches (source, entity, delivery_key);

-- Rows that failed validation: which file, which line, which field and why. Never a clear personnummer:
-- `record` holds the row with identity fields replaced by a mask.
create table if not exists quarantine.rows (
    quarantine_id   bigserial primary key,
    batch_id        bigint not null references audit.batches (batch_id),
    source          text not null,
    entity          text,
    file_name       text not null,
    line_no         bigint,
    field           text,
    reason          text not null,
    record          jsonb,
    quarantined_at  timestamptz not null default now()
);
create index if not exists quarantine_rows_batch on quarantine.rows (batch_id);

-- Quality-gate results (Great Expectations checkpoints and dbt tests), per batch or per build.
create table if not exists audit.checks (
    check_id        bigserial primary key,
    run_id          text,
    batch_id        bigint references audit.batches (batch_id),
    target          text not null,      -- suite or model name
    check_name      text not null,
    severity        text not null check (severity in ('critical', 'warning')),
    success         boolean not null,
    observed        text,
    checked_at      timestamptz not null default now()
);

-- dbt node results per build: status, duration and rows, for Airflow logs, Assets and the summary.
create table if not exists audit.dbt_nodes (
    run_id          text not null,
    unique_id       text not null,
    resource_type   text not null,
    status          text not null,
    seconds         numeric(12, 3),
    rows_affected   bigint,
    message         text,
    finished_at     timestamptz not null default now(),
    primary key (run_id, unique_id)
);

-- Each warehouse build and whether its marts were published (swapped in).
create table if not exists audit.builds (
    run_id          text primary key,
    started_at      timestamptz not null default now(),
    finished_at     timestamptz,
    status          text not null default 'running'
        check (status in ('running', 'published', 'failed', 'blocked')),
    models_built    integer,
    tests_passed    integer,
    tests_failed    integer,
    message         text
);
