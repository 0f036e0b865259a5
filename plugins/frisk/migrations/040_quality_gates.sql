-- Which loaded batches the quality gate has already judged, so each batch is gated exactly once.
-- The individual expectation results are in audit.checks; this is the verdict per batch.
create table if not exists audit.batch_gates (
    batch_id            bigint primary key references audit.batches (batch_id),
    run_id              text,
    outcome             text not null check (outcome in ('passed', 'warned', 'rejected')),
    critical_failed     integer not null default 0,
    warnings_failed     integer not null default 0,
    seconds             numeric(12, 3),
    gated_at            timestamptz not null default now()
);

-- Checks of a build's marts carry the build's run_id; index it for the summary and the DAG log.
create index if not exists checks_run on audit.checks (run_id);
