-- Försäkringskassan's published statistics (sjukpenningtal 1.0/2.0, ohälsotal), one value per row, from current
-- batches. FK republishes the whole series every month, so the same figure arrives in many deliveries with
-- different delivery keys: per figure (measure, month, region, age band, sex) the latest batch wins.
with current_batches as {{ current_batches('statistics', 'fk') }},

ranked as (
    select
        f.*,
        row_number() over (
            partition by f.measure, f.period_month, f.region_level, f.region_code, f.age_band, f.sex
            order by f.batch_id desc, f.row_no desc
        ) as figure_rank
    from {{ source('statistics_raw', 'fk_statistics') }} as f
    inner join current_batches as cb on cb.batch_id = f.batch_id
)

select
    batch_id,
    source_file,
    sheet,
    row_no,
    period_month,
    region_level,
    region_code,
    region_name,
    age_band,
    sex,
    measure,
    value,
    is_suppressed
from ranked
where figure_rank = 1
