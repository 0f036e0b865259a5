-- Absence periods as delivered, from current batches only (loaded, not superseded by a corrected re-delivery).
-- to_date null = open-ended (TV / empty in the export). Overlaps between deliveries are resolved downstream,
-- where periods become days and days become spells.
with current_batches as {{ current_batches('payroll', 'absence') }}

select
    a.batch_id,
    a.line_no,
    cb.delivery_key,
    cb.loaded_at,
    a.employer_org_number,
    a.person_key,
    a.employment_id,
    a.absence_cause_code,
    a.absence_category,
    a.cause_is_known,
    a.from_date,
    a.to_date,
    a.extent_pct,
    a.hours as reported_hours
from {{ source('payroll_raw', 'payroll_absence') }} as a
inner join current_batches as cb on cb.batch_id = a.batch_id
