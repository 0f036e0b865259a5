{{ config(materialized='table',
          post_hook="analyze {{ this }} (employer_org_number, person_key, is_dirty, is_schedule_dirty, changed_from)") }}
-- (Analyzed on the columns later models filter and join on only: the statistics of the fingerprints, a unique
-- text per person, were half of the analyze, on the night's critical path.)
-- What changed tonight, per employer and person: the input fingerprint of every person with payroll data, next
-- to the fingerprint the last completed build consumed (int_payroll_person_state). is_dirty marks the persons
-- whose day-level sick-leave rows the incremental intermediate models recompute tonight; everyone else's rows
-- are kept, and only grow by the days after the previous as-of date.
-- A person is dirty when
--   * their current absence rows changed: a new delivery, a corrected re-delivery that superseded a batch, a
--     batch the quality gate rejected (raw rows never change, so the set of (batch_id, line_no) identifies them);
--   * their employments changed (the content of int_employments, not the snapshot's batch: a monthly personnel
--     snapshot that repeats the same employments changes nothing);
--   * a sick-leave period of theirs is still open on the previous as-of date (its days, the ongoing flag and the
--     spell length move with the as-of date);
--   * their employer's first measured month moved (an earlier absence file arrived), the sick-leave rules the
--     intermediate models read (seeds) or the code of those models changed (a deploy), the as-of date went
--     backwards, or there is no previous state.
-- is_schedule_dirty is the narrower set whose working-day calendar changed (employments, first month, rules).
-- The previous state is read by name, not ref(): it is written at the end of the build, after every model that
-- consumes this one, so a night that fails half-way leaves it unchanged and the next night recomputes both.
with

previous as (
    {{ previous_state('int_payroll_person_state', [
        ['employer_org_number', 'text'], ['person_key', 'text'], ['absence_fp', 'text'],
        ['absence_max_batch', 'bigint'], ['absence_open_until', 'date'], ['employment_fp', 'text'],
        ['first_from_date', 'date'], ['employer_first_month', 'date'], ['rules_fp', 'text'],
        ['absence_batches_fp', 'text'], ['absence_last_batch', 'bigint'], ['as_of_date', 'date'],
        ['build_id', 'text']]) }}
),

previous_night as (
    select
        max(as_of_date) as as_of_date,
        max(rules_fp) as rules_fp,
        max(absence_batches_fp) as absence_batches_fp,
        max(absence_last_batch) as absence_last_batch,
        max(build_id) as build_id
    from previous
),

-- The current absence rows per batch. A batch's rows never change, so when the batches the previous night had
-- seen (ids up to its last one) are still current with the same row counts, tonight's rows are last night's
-- plus the rows of later batches, and only those rows are read (below). A superseding re-delivery, a rejected
-- batch or a retention purge changes the set or a count: then every person's rows are read. (Fingerprinting
-- every person's rows each night was the first model on the night's critical path: 2.5 s at 50,000 employees x
-- 5 years.)
absence_batches as (
    select a.batch_id, count(*) as row_count
    from {{ ref('stg_payroll__absence') }} as a
    group by a.batch_id
),

batch_check as (
    select
        {{ set_fingerprint('hashint8extended(b.batch_id, b.row_count)') }} as absence_batches_fp,
        max(b.batch_id) as absence_last_batch,
        -- read everyone's rows: no previous night, or a batch it had seen is gone or changed
        pn.absence_last_batch is null
            or pn.absence_batches_fp is distinct from {{ set_fingerprint(
                'hashint8extended(b.batch_id, b.row_count)', 'b.batch_id <= pn.absence_last_batch') }}
            as read_everyone
    from absence_batches as b
    cross join previous_night as pn
    group by pn.absence_last_batch, pn.absence_batches_fp
),

read_mode as (
    -- one row even without any absence batch (then everyone: there is nothing to carry over)
    select coalesce(bool_or(read_everyone), true) as read_everyone from batch_check
),

-- Everyone's rows, when they must all be read (read_mode): each person's values from their rows.
read_everyone as (
    select
        a.employer_org_number,
        a.person_key,
        -- the set of (batch_id, line_no) as a count and a sum of 64-bit hashes: equal sets give equal values, and
        -- unlike an ordered md5 of the list it needs no sort of the million rows (a hash aggregate: 5.0 s -> 3.5 s
        -- at 50,000 x 5 years)
        {{ raw_rows_fingerprint('a') }} as absence_fp,
        max(a.batch_id) as absence_max_batch,
        -- only sick leave runs on with the as-of date (an open parental leave does not change any sick day)
        max(coalesce(a.to_date, date 'infinity')) filter (where c.is_sick_leave) as absence_open_until,
        -- the rows of the batches the previous night had seen: unchanged when tonight only added later batches
        {{ raw_rows_fingerprint('a', 'a.batch_id <= coalesce(p.absence_max_batch, 0)') }} as kept_fp,
        min(a.from_date) filter (
            where c.is_sick_leave and a.batch_id > coalesce(p.absence_max_batch, 0)) as first_added_sick_date,
        min(a.from_date) as first_from_date,
        -- sick-leave periods with reported hours that ended since the previous night: their hours are now spread
        -- over all their days (int_sick_leave_days), so those days are recomputed from the period's start (in
        -- this pass rather than a second scan of the million rows)
        min(a.from_date) filter (where {{ ended_reported_period('a', 'c', 'pn.as_of_date') }}) as ended_reported_from
    from {{ ref('stg_payroll__absence') }} as a
    left join {{ ref('absence_causes') }} as c on c.absence_category = a.absence_category
    left join previous as p on p.employer_org_number = a.employer_org_number and p.person_key = a.person_key
    cross join previous_night as pn
    where (select read_everyone from read_mode)
    group by a.employer_org_number, a.person_key
),

-- Otherwise tonight's rows are last night's plus the rows of later batches, read through the batches' key, and
-- each person's values are last night's combined with those of their added rows (the fingerprint is a count and
-- a sum, so it adds up). Reading the rows of every person with an open sick-leave period instead, for the few
-- values below, read all million rows through a hash of 2,800 persons (0.3 s at 50,000 x 5 years, on the
-- night's critical path).
added as (
    select
        a.employer_org_number,
        a.person_key,
        count(*) as row_count,
        sum({{ raw_row_hash('a') }}) as row_hash_sum,
        max(a.batch_id) as max_batch,
        max(coalesce(a.to_date, date 'infinity')) filter (where c.is_sick_leave) as open_until,
        min(a.from_date) as first_from_date,
        min(a.from_date) filter (where c.is_sick_leave) as first_sick_date
    from {{ ref('stg_payroll__absence') }} as a
    left join {{ ref('absence_causes') }} as c on c.absence_category = a.absence_category
    where not (select read_everyone from read_mode)
      and a.batch_id > (select pn.absence_last_batch from previous_night as pn)
    group by a.employer_org_number, a.person_key
),

-- the one value that moves with the as-of date alone: sick-leave periods with reported hours that ended since the
-- previous night, from a scan of the rows that filters on their dates (no person's rows are gathered). The previous
-- as-of date is a scalar subquery, a parameter the scan filters on: as a joined row, every row of the million came
-- out of the scan to be compared in the join (0.22 s at 50,000 x 5 years, on the night's critical path)
ended as (
    select a.employer_org_number, a.person_key, min(a.from_date) as ended_reported_from
    from {{ ref('stg_payroll__absence') }} as a
    inner join {{ ref('absence_causes') }} as c on c.absence_category = a.absence_category
    where not (select read_everyone from read_mode)
      and {{ ended_reported_period('a', 'c', '(select pn.as_of_date from previous_night as pn)') }}
    group by a.employer_org_number, a.person_key
),

absence as (
    select * from read_everyone
    union all
    select
        coalesce(ad.employer_org_number, en.employer_org_number, p.employer_org_number) as employer_org_number,
        coalesce(ad.person_key, en.person_key, p.person_key) as person_key,
        {{ add_to_set_fingerprint('p.absence_fp', 'ad.row_count', 'ad.row_hash_sum') }} as absence_fp,
        greatest(p.absence_max_batch, ad.max_batch) as absence_max_batch,
        greatest(p.absence_open_until, ad.open_until) as absence_open_until,
        p.absence_fp as kept_fp,
        ad.first_sick_date as first_added_sick_date,
        least(p.first_from_date, ad.first_from_date) as first_from_date,
        en.ended_reported_from
    from added as ad
    full outer join ended as en on en.employer_org_number = ad.employer_org_number and en.person_key = ad.person_key
    -- everyone with rows last night, and those whose first rows came tonight
    full outer join (select * from previous where absence_fp is not null) as p
        on p.employer_org_number = coalesce(ad.employer_org_number, en.employer_org_number)
        and p.person_key = coalesce(ad.person_key, en.person_key)
    where not (select read_everyone from read_mode)
),

employments as (
    select
        employer_org_number,
        person_key,
        md5(string_agg(
            cast((employment_id, birth_year, sex, org_unit_code, org_unit_name, sector, occupation,
                  employment_rate_pct, weekly_hours, employment_start_date, employment_end_date) as text),
            ',' order by employment_id
        )) as employment_fp
    from {{ ref('int_employments') }}
    group by employer_org_number, person_key
),

employer_first_month as (
    select employer_org_number, cast(date_trunc('month', min(first_from_date)) as date) as first_month
    from absence
    group by employer_org_number
),

-- materialized: inlined, the md5 over the rules' text (several kB with the models' checksums) was computed again
-- for every person, three times (0.8 s of this model's 1.8 s at 50,000 employees)
rules as materialized (
    -- the seeds the intermediate sick-leave models and the signals and spells marts read, and the code of those
    -- models (the two marts are incremental per person too): a changed rule or model recomputes everyone
    select md5(
        {{ rows_text(ref('absence_causes')) }}
        || '|' || {{ rows_text(ref('age_bands')) }}
        || '|' || {{ rows_text(ref('sick_leave_parameters')) }}
        || '|' || {{ rows_text(ref('long_spell_milestones')) }}
        || '|' || {{ rows_text(ref('repeated_absence_rules')) }}
        || '|' || {{ rows_text(ref('length_bands')) }}
        || '|' || {{ models_code(['fct_absence_signals', 'fct_sick_spells'], ['frisk', 'intermediate', 'sick_leave']) }}
    ) as rules_fp
),

current_inputs as (
    select
        coalesce(a.employer_org_number, e.employer_org_number) as employer_org_number,
        coalesce(a.person_key, e.person_key) as person_key,
        a.absence_fp,
        a.absence_max_batch,
        a.absence_open_until,
        a.kept_fp,
        a.first_added_sick_date,
        a.ended_reported_from,
        a.first_from_date,
        e.employment_fp
    from absence as a
    full outer join employments as e
        on e.employer_org_number = a.employer_org_number and e.person_key = a.person_key
),


flags as (
    select
        coalesce(c.employer_org_number, p.employer_org_number) as employer_org_number,
        coalesce(c.person_key, p.person_key) as person_key,
        c.person_key is not null as has_inputs,
        c.absence_fp,
        c.absence_max_batch,
        c.absence_open_until,
        c.employment_fp,
        c.first_added_sick_date,
        c.first_from_date,
        -- tonight's absence rows are last night's plus rows of later batches (nothing superseded or rejected)
        c.kept_fp is not distinct from p.absence_fp as absence_only_added,
        f.first_month as employer_first_month,
        r.rules_fp,
        cast({{ as_of_date() }} as date) as as_of_date,
        pn.as_of_date as previous_as_of_date,
        -- the working-day calendar (macros/scheduled_calendar.sql) only reads employments and the employer's first
        -- month: a new absence row or an open sick-leave period leaves it alone (the new days are added for everyone)
        coalesce(
            p.person_key is null
            or c.person_key is null
            or c.employment_fp is distinct from p.employment_fp
            or f.first_month is distinct from p.employer_first_month
            or r.rules_fp is distinct from pn.rules_fp
            or pn.as_of_date is null
            or {{ as_of_date() }} < pn.as_of_date,
            false
        ) as is_schedule_dirty,
        coalesce(c.absence_fp is distinct from p.absence_fp, false) as absence_changed,
        coalesce(c.absence_open_until >= pn.as_of_date, false) as has_open_period,  -- null: no absence rows
        -- an open period changes the days from the previous night on, or from the start of a reported-hours
        -- period that has ended since
        least(pn.as_of_date, c.ended_reported_from) as open_period_changed_from
    from current_inputs as c
    full outer join previous as p
        on p.employer_org_number = c.employer_org_number and p.person_key = c.person_key
    left join employer_first_month as f
        on f.employer_org_number = coalesce(c.employer_org_number, p.employer_org_number)
    cross join rules as r
    cross join previous_night as pn
)

select
    fl.employer_org_number,
    fl.person_key,
    fl.has_inputs,
    fl.absence_fp,
    fl.absence_max_batch,
    fl.absence_open_until,
    fl.employment_fp,
    fl.first_from_date,
    fl.employer_first_month,
    fl.rules_fp,
    -- the current absence batches tonight (the next night's batch_check)
    (select bc.absence_batches_fp from batch_check as bc) as absence_batches_fp,
    (select bc.absence_last_batch from batch_check as bc) as absence_last_batch,
    fl.as_of_date,
    fl.previous_as_of_date,
    -- the dbt invocation that wrote the previous state (int_outcome_person_changes checks that the outcome state
    -- came from the same one), and tonight's (the next state's)
    (select pn.build_id from previous_night as pn) as previous_build_id,
    cast('{{ invocation_id }}' as text) as build_id,
    fl.is_schedule_dirty or fl.absence_changed or fl.has_open_period as is_dirty,
    fl.is_schedule_dirty,
    -- the first day whose sick days may differ from last night's; null = any day (a changed calendar, or absence
    -- rows superseded or rejected). int_sick_leave_days recomputes a dirty person's days from it on; the days
    -- before it cannot change:
    --   * rows only added change the days from the first added sick period on (a day's winning period is chosen
    --     among the periods covering that day, and a period's reported hours are spread over its own days);
    --   * an open period changes the days from the previous night on (that day's continues_after_as_of turns
    --     false), or from the start of a reported-hours period that has ended since;
    --   * 'infinity': no sick day changed (only non-sick rows were added).
    -- int_month_hours_changes widens it to the spells around it.
    case
        when not fl.is_schedule_dirty and (not fl.absence_changed or fl.absence_only_added)
            then least(
                case when fl.absence_changed then coalesce(fl.first_added_sick_date, date 'infinity') end,
                case when fl.has_open_period then fl.open_period_changed_from end
            )
    end as changed_from
from flags as fl
