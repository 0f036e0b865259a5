{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='append_new_columns',
        pre_hook="{% if is_incremental() %}delete from {{ this }} where month_start >= {{ sick_leave_monthly_recompute_from() }}{% endif %}"
    )
}}
-- depends_on: {{ ref('int_sick_spells') }}
-- Sick leave per employer x org unit x month x sex x age band: employees (with a schedule), scheduled hours,
-- sick hours, of which in spells of 60+ days, and spells started. Incremental: each night the months from the
-- look-back start (var sick_leave_lookback_days), or from the start of a spell still running inside it, are
-- deleted (pre-hook) and recomputed in the same transaction; older months are history. Months after the as-of
-- date never appear.
with base as (
    select h.*, a.age_band
    from {{ ref('int_employment_month_hours') }} as h
    left join {{ ref('age_bands') }} as a
        on h.age_in_year >= a.min_age and (a.max_age is null or h.age_in_year <= a.max_age)
    {% if is_incremental() %}
    where h.month_start >= {{ sick_leave_monthly_recompute_from() }}
    {% endif %}
)

select
    cast(employer_org_number as text) as employer_org_number,
    cast(org_unit_code as text) as org_unit_code,
    cast(month_start as date) as month_start,
    cast(sex as text) as sex,
    cast(age_band as text) as age_band,
    cast(count(distinct person_key) as integer) as employees,
    cast(round(sum(scheduled_hours), 2) as numeric(14, 2)) as scheduled_hours,
    cast(round(sum(sick_hours), 2) as numeric(14, 2)) as sick_hours,
    cast(round(sum(long_term_sick_hours), 2) as numeric(14, 2)) as long_term_sick_hours,
    cast(sum(spells_started) as integer) as spells_started,
    cast(round(100 * sum(sick_hours) / nullif(sum(scheduled_hours), 0), 2) as numeric(7, 2)) as sick_leave_pct
from base
group by employer_org_number, org_unit_code, month_start, sex, age_band
