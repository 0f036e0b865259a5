-- Payroll deliveries, after parsing, validation and pseudonymisation (append-only; one batch per file).
create table if not exists raw.payroll_personnel (
    batch_id            bigint not null references audit.batches (batch_id),
    line_no             bigint not null,
    employer_org_number text not null,       -- 10 digits, Luhn-checked
    person_key          text not null,       -- HMAC-SHA256(FRISK_PSEUDONYM_KEY, 12-digit personnummer), hex
    birth_year          smallint not null,
    sex                 text not null check (sex in ('K', 'M')),   -- legal sex from the personnummer
    is_coordination_number boolean not null default false,
    employment_id       text not null,
    org_unit_code       text not null,
    org_unit_name       text,
    sector              text,
    occupation          text,
    employment_rate_pct numeric(6, 2),       -- 0-100 (% of full time)
    weekly_hours        numeric(6, 2),       -- scheduled hours per week; null = hourly paid, no schedule
    employment_start    date,
    employment_end      date,
    primary key (batch_id, line_no)
);

create table if not exists raw.payroll_absence (
    batch_id            bigint not null references audit.batches (batch_id),
    line_no             bigint not null,
    employer_org_number text not null,
    person_key          text not null,
    employment_id       text not null,
    absence_cause_code  text not null,       -- as delivered
    absence_category    text not null,       -- sick_leave | child_care | parental_leave | vacation | other | unknown
    cause_is_known      boolean not null,    -- false: code not in the dialect's cause mapping (kept, flagged)
    from_date           date not null,
    to_date             date,                -- null: open-ended (TV / empty)
    extent_pct          numeric(6, 2) not null check (extent_pct > 0 and extent_pct <= 100),
    hours               numeric(10, 2),      -- absent hours when the export gives them
    primary key (batch_id, line_no)
);
