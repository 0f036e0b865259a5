-- Public statistics: every HTTP response kept verbatim, so every figure traces back to what was fetched.
create table if not exists raw.http_responses (
    response_id     bigserial primary key,
    batch_id        bigint references audit.batches (batch_id),
    url             text not null,
    fetched_at      timestamptz not null,
    http_status     integer not null,
    content_type    text,
    etag            text,
    last_modified   text,
    sha256          text not null,
    body            bytea not null
);
create index if not exists http_responses_url on raw.http_responses (url, fetched_at desc);

-- Försäkringskassan: sjukpenningtal (1.0, 2.0) and ohälsotal, tidy: one value per row.
create table if not exists raw.fk_statistics (
    batch_id        bigint not null references audit.batches (batch_id),
    response_id     bigint references raw.http_responses (response_id),  -- null for a manual drop
    source_file     text not null,
    sheet           text not null,
    row_no          integer not null,
    period_month    date not null,        -- first day of the month
    region_level    text not null check (region_level in ('riket', 'lan', 'kommun')),
    region_code     text not null,        -- '00' riket, 2-digit län, 4-digit kommun
    region_name     text not null,
    age_band        text not null,        -- as published, e.g. 'Samtliga 16-64 år', '30-39 år'
    sex             text not null check (sex in ('T', 'K', 'M')),
    measure         text not null,        -- sjukpenningtal_1_0 | sjukpenningtal_2_0 | ohalsotal
    value           numeric(10, 2),
    is_suppressed   boolean not null default false,
    primary key (batch_id, sheet, row_no, measure)
);

-- Kolada: municipal KPI values per year and gender.
create table if not exists raw.kolada_values (
    batch_id        bigint not null references audit.batches (batch_id),
    response_id     bigint references raw.http_responses (response_id),
    kpi             text not null,
    municipality_id text not null,        -- SCB 4-digit code as a string
    period_year     integer not null,
    gender          text not null check (gender in ('T', 'K', 'M')),
    value           numeric(14, 4),
    count           integer,
    status          text,
    primary key (batch_id, kpi, municipality_id, period_year, gender)
);
