-- Kolada KPI values per municipality, year and gender, from current batches. Kolada revises values and each
-- fetch is its own delivery: per (kpi, municipality, year, gender) the latest batch wins.
with current_batches as {{ current_batches('statistics', 'kolada') }},

ranked as (
    select
        k.*,
        row_number() over (
            partition by k.kpi, k.municipality_id, k.period_year, k.gender
            order by k.batch_id desc
        ) as value_rank
    from {{ source('statistics_raw', 'kolada_values') }} as k
    inner join current_batches as cb on cb.batch_id = k.batch_id
)

select
    batch_id,
    kpi,
    municipality_id,
    period_year,
    gender as sex,
    value,
    count as value_count,
    status as value_status
from ranked
where value_rank = 1
