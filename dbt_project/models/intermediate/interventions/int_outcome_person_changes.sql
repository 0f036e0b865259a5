{{ config(materialized='table', post_hook="analyze {{ this }} (employer_org_number, person_key, is_dirty, sick_since_previous)") }}
-- (Analyzed on the columns later models filter and join on only: the statistics of the fingerprints, a unique
-- text per person, were half of the analyze, on the night's critical path.)
-- What changed tonight for the outcome models, per employer and person: the fingerprint of everything a
-- person's outcome subjects and window metrics are computed from, next to the one the last completed outcome
-- build consumed (int_outcome_person_state). int_outcome_subjects and int_outcome_window_metrics recompute the
-- dirty persons and keep everyone else's rows. Window metrics count sick days up to the as-of date: they also
-- recompute the open windows of the persons sick on a day since the previous as-of date (sick_since_previous).
-- A person is dirty when
--   * their employments as delivered changed (sector, birth year, sex, dates, rate: what subjects are matched
--     on and which months they are in the comparison pool);
--   * their sick spells changed (start and end dates: the prior-spell count and the window metrics);
--   * anything shared by all persons changed (`shared_fp`): the intervention episodes (they decide the index
--     months, the episode subjects and who is excluded from the comparison pool), the seeds and settings these
--     models read, or the code of the outcome models (a deploy); or the as-of date went backwards, or there is
--     no previous state.
-- The previous state is read by name, not ref(): it is written after both models, so a night that fails
-- half-way leaves it unchanged and the next night recomputes the same persons.
with

previous as (
    {{ previous_state('int_outcome_person_state', [
        ['employer_org_number', 'text'], ['person_key', 'text'], ['person_fp', 'text'], ['shared_fp', 'text'],
        ['as_of_date', 'date'], ['spells_fp', 'text'], ['build_id', 'text']]) }}
),

personnel as (
    select
        employer_org_number,
        person_key,
        -- distinct: a monthly snapshot that repeats the same employments changes nothing
        string_agg(distinct cast((employment_id, birth_year, sex, sector, employment_rate_pct,
                                  employment_start_date, employment_end_date) as text), ',') as personnel_text
    from {{ ref('stg_payroll__personnel') }}
    group by employer_org_number, person_key
),

previous_night as (
    select
        max(as_of_date) as as_of_date,
        max(shared_fp) as shared_fp,
        -- the previous outcome state and the previous payroll state (the one int_payroll_person_changes compared
        -- tonight's inputs with) were written by the same build: a person the payroll models do not mark dirty
        -- has the same spells as then, so their spells' fingerprint is carried over instead of computed
        coalesce(max(build_id) = (select max(pc.previous_build_id) from {{ ref('int_payroll_person_changes') }} as pc),
                 false) as spells_carried
    from previous
),

payroll_dirty as (
    select employer_org_number, person_key, changed_from
    from {{ ref('int_payroll_person_changes') }}
    where is_dirty
),

-- The spells' fingerprints: everyone's when they cannot be carried over, else the payroll-dirty persons' (read
-- through int_sick_spells' person index) and everyone else's from the previous state. Fingerprinting the 576,000
-- spells at 50,000 x 5 years each night took a third of this model, on the night's critical path. A person who is
-- not dirty has no spell after the previous as-of date (an open period or a new row makes them dirty), so they
-- are not sick_since_previous.
computed_spells as (
    select
        sp.employer_org_number,
        sp.person_key,
        -- the set of (start, end) as a count and a sum of 64-bit hashes: no sort of the half million spells
        {{ set_fingerprint("hashtextextended(cast(sp.start_date as text) || '..'
                                               || coalesce(cast(sp.end_date as text), ''), 0)") }} as spells_fp,
        coalesce(bool_or(sp.start_date <= {{ as_of_date() }}
                         and coalesce(sp.end_date, date 'infinity') > pn.as_of_date), false) as sick_since_previous
    from (
        select s.* from {{ ref('int_sick_spells') }} as s
        where not (select spells_carried from previous_night)
        union all
        -- each dirty person's spells through the person index (person_rows: as an OR in the filter above, or as a
        -- join, the planner scanned or hashed all 576,000 spells)
        select s.*
        from payroll_dirty as d
        {{ person_rows(ref('int_sick_spells'), 'd') }} as s
        where (select spells_carried from previous_night)
    ) as sp
    cross join previous_night as pn
    group by sp.employer_org_number, sp.person_key
),

spells as (
    select * from computed_spells
    union all
    select p.employer_org_number, p.person_key, p.spells_fp, false as sick_since_previous
    from previous as p
    cross join previous_night as pn
    where pn.spells_carried
        and p.spells_fp is not null
        and (p.employer_org_number, p.person_key) not in (select d.employer_org_number, d.person_key
                                                          from payroll_dirty as d)
),

current_inputs as (
    select
        coalesce(p.employer_org_number, s.employer_org_number) as employer_org_number,
        coalesce(p.person_key, s.person_key) as person_key,
        md5(coalesce(p.personnel_text, '') || '|' || coalesce(s.spells_fp, '')) as person_fp,
        p.personnel_text,
        s.spells_fp,
        coalesce(s.sick_since_previous, false) as sick_since_previous
    from personnel as p
    full outer join spells as s on s.employer_org_number = p.employer_org_number and s.person_key = p.person_key
),

-- materialized: inlined, the fingerprint of the episodes would be computed again for every person. The episodes
-- as a set (a count and a sum of 64-bit hashes, like the persons' rows): an ordered md5 of their text sorted the
-- 156,000 episodes at 50,000 x 5 years every night (0.6 s)
shared as materialized (
    select md5(
        (select coalesce({{ set_fingerprint("hashtextextended(cast((e.episode_id, e.employer_org_number,
                                                e.person_key, e.service_key, e.service_date) as text), 0)") }}, '')
         from {{ ref('int_intervention_episodes') }} as e)
        || '|' || {{ rows_text(ref('age_bands')) }}
        || '|' || {{ rows_text(ref('outcome_prior_spell_bands')) }}
        || '|' || {{ rows_text(ref('outcome_windows')) }}
        || '|' || cast({{ interventions_setting('control_exclusion_days') }} as text)
        || '|' || {{ models_code(['int_outcome_subjects', 'int_outcome_window_metrics',
                                  'int_outcome_person_changes']) }}
    ) as shared_fp
),

-- everyone is recomputed when what all persons share changed, the as-of date went backwards, or there is no
-- previous state
night as (
    select
        sh.shared_fp,
        pn.as_of_date as previous_as_of_date,
        pn.spells_carried,
        coalesce(sh.shared_fp is distinct from pn.shared_fp or {{ as_of_date() }} < pn.as_of_date, true)
            as everyone_dirty
    from shared as sh
    cross join previous_night as pn
)

select
    coalesce(c.employer_org_number, p.employer_org_number) as employer_org_number,
    coalesce(c.person_key, p.person_key) as person_key,
    c.person_key is not null as has_inputs,
    c.person_fp,
    c.spells_fp,
    n.shared_fp,
    cast({{ as_of_date() }} as date) as as_of_date,
    cast('{{ invocation_id }}' as text) as build_id,
    n.previous_as_of_date,
    coalesce(c.sick_since_previous, false) as sick_since_previous,
    -- A dirty person whose employments are as before (the previous fingerprint is that of tonight's employments
    -- with the previous spells) and whose spells changed only from the day before the payroll models' changed_from
    -- on (int_sick_spells keeps the spells before it, and every sick day before changed_from is as before): their
    -- windows that end before that day count the same days and spells, and their subjects dated before it are the
    -- same (their comparison cells read spells before the index date). int_outcome_window_metrics recomputes only
    -- their windows that reach it. Null: every window (new or changed employments, everyone dirty, spells not
    -- carried over from the same build, or changed_from null: all of the person's days).
    case
        when not n.everyone_dirty
            and n.spells_carried
            and md5(coalesce(c.personnel_text, '') || '|' || coalesce(p.spells_fp, '')) = p.person_fp
        then {{ recomputed_spells_from('pd') }}
    end as spells_changed_from,
    n.everyone_dirty,
    c.person_fp is distinct from p.person_fp or n.everyone_dirty as is_dirty
from current_inputs as c
full outer join previous as p
    on p.employer_org_number = c.employer_org_number and p.person_key = c.person_key
left join payroll_dirty as pd
    on pd.employer_org_number = c.employer_org_number and pd.person_key = c.person_key
cross join night as n
