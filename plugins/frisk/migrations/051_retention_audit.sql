-- What the retention job removed, and when.
create table if not exists audit.retention_runs (
    retention_id    bigserial primary key,
    run_id          text,
    table_name      text not null,
    cutoff_date     date not null,
    rows_removed    bigint not null,
    ran_at          timestamptz not null default now()
);
