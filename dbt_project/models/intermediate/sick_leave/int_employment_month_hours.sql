{{ config(**person_incremental(['employer_org_number', 'person_key', 'employment_id', 'month_start'],
                                "delete_changed_person_months('month_start')",
                                other_indexes=[['employer_org_number', 'month_start']])) }}
-- depends_on: {{ ref('int_payroll_person_changes') }}
-- depends_on: {{ ref('int_month_hours_changes') }}
-- depends_on: {{ ref('int_employments') }}
-- Scheduled and sick hours per employment and month, with the person's attributes, for the months before the one
-- the as-of date runs in (that month is int_employment_open_month_hours, rebuilt every night). The two are the one
-- base that the monthly fact and the annual key figures aggregate (macro month_hours_since_changed), so both add
-- up the same hours. Only employments with a schedule (the key-figure population). Long-term = hours in spells of
-- long_term_min_days+ consecutive days (valid on the spell's start), counting the whole spell, as the
-- annual-report definition does. The query is macros/employment_month_hours.sql.
-- Incremental (macros/changed_persons.sql): each dirty person's months from the first that may have changed
-- (int_month_hours_changes: all of them after a changed employment or a superseded delivery; usually the last
-- month or two) are recomputed, and on the night a month closes, everyone's rows of that month are added.
-- Why the open month is apart: its scheduled hours grow every night for every employment. Kept here, its 35,000
-- rows at 50,000 employees were deleted and inserted again every night, one per heap page and at random places in
-- the 240 MB person index, 4 s of the incremental night.
{{ employment_month_hours(open_month=false) }}
