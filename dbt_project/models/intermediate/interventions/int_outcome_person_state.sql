-- depends_on: {{ ref('int_outcome_subjects') }}
-- depends_on: {{ ref('int_outcome_window_metrics') }}
-- The fingerprints tonight's outcome build consumed, one row per employer and person: what
-- int_outcome_person_changes compares the next night against. Built after both incremental outcome models (the
-- depends_on above), so it only advances when both succeeded.
select
    employer_org_number,
    person_key,
    person_fp,
    shared_fp,
    as_of_date,
    spells_fp,
    build_id
from {{ ref('int_outcome_person_changes') }}
where has_inputs
