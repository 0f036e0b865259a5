-- depends_on: {{ ref('int_employment_month_hours') }}
-- depends_on: {{ ref('int_sick_spells_reillness') }}
-- depends_on: {{ ref('int_sick_spell_milestones') }}
-- depends_on: {{ ref('int_sick_leave_month_groups') }}
-- depends_on: {{ ref('int_key_figure_groups') }}
-- depends_on: {{ ref('int_employer_month_totals') }}
-- The input fingerprints tonight's build consumed, one row per employer and person: what
-- int_payroll_person_changes compares the next night against. Built last (after every incremental sick-leave
-- model, by the depends_on above), so it only advances when all of them succeeded.
select
    employer_org_number,
    person_key,
    absence_fp,
    absence_max_batch,
    absence_open_until,
    employment_fp,
    first_from_date,
    employer_first_month,
    rules_fp,
    absence_batches_fp,
    absence_last_batch,
    as_of_date,
    build_id
from {{ ref('int_payroll_person_changes') }}
where has_inputs
