{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    indexes=[{'columns': ['employer_org_number', 'report_year']},
             {'columns': ['employer_org_number', 'person_key', 'report_year']}],
    pre_hook="{% if is_incremental() %}{{ delete_changed_person_years() }}{% endif %}",
    post_hook='{{ analyze_when_new() }}',
) }}
-- depends_on: {{ ref('int_payroll_person_changes') }}
-- depends_on: {{ ref('int_month_hours_changes') }}
-- The closed months' hours (int_employment_month_hours) summed per person, calendar year and what the annual key
-- figures group and count on (org unit, sector, sex, age): int_key_figure_groups adds the open month's rows to
-- these instead of summing a year of month rows every night (417,000 rows for the current year at 50,000
-- employees, read and hashed again each night for the open month's sake).
-- Incremental per person and year (macros/changed_persons.sql, person_years_since_changed): a night recomputes
-- each dirty person's years from the year of their first changed month, and on a night a month closes, every
-- person's years from that month's year. No unique test: the grain has nullable columns (org unit, sector); the
-- groups of a person-year are those of its month rows.
{{ person_year_sums(person_years_since_changed('h'), 'cast(extract(year from h.month_start) as integer)') }}
