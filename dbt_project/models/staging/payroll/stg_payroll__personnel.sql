-- Employments as delivered by the payroll/HR system, from current batches only (loaded, not superseded by a
-- corrected re-delivery). Typed and renamed; one row per delivered row. Personnel files are snapshots, so the
-- same employment can appear in several deliveries: int_employments picks the latest.
with current_batches as {{ current_batches('payroll', 'personnel') }}

select
    p.batch_id,
    p.line_no,
    cb.delivery_key,
    cb.loaded_at,
    p.employer_org_number,
    p.person_key,
    cast(p.birth_year as integer) as birth_year,
    p.sex,
    p.is_coordination_number,
    p.employment_id,
    p.org_unit_code,
    p.org_unit_name,
    p.sector,
    p.occupation,
    p.employment_rate_pct,
    p.weekly_hours,
    p.employment_start as employment_start_date,
    p.employment_end as employment_end_date
from {{ source('payroll_raw', 'payroll_personnel') }} as p
inner join current_batches as cb on cb.batch_id = p.batch_id
