-- Each employer beside public statistics, in one long table for BI (filter on period_type and indicator):
--   monthly: its own sick-leave % (the month and the rolling 12 months, in hours) beside Försäkringskassan's
--            sjukpenningtal/ohälsotal (rolling 12 months, all ages) for its kommun, its län and riket;
--   yearly:  Kolada N00090-N00094 (seed benchmark_kolada_kpis) for its own kommun, riket, its län, the other
--            municipalities of its län and its configured peers (seed employers.peers), beside the same five
--            figures computed from its own payroll (rpt_sick_leave_key_figures, employer level).
-- FK measures days per insured person, not % of hours: shown beside, not compared as equal units.
with employers as (
    select
        e.*,
        string_to_array(trim(coalesce(e.peers, '')), ' ') as peer_list
    from {{ ref('employers') }} as e
),

own_month as (
    select employer_org_number, month_start, employees, sick_hours, scheduled_hours
    from {{ ref('int_employer_month_totals') }}
),

own_month_rolling as (
    select
        o.*,
        sum(o.sick_hours) over twelve as sick_hours_12m,
        sum(o.scheduled_hours) over twelve as scheduled_hours_12m,
        (select s.max_suppressed_group_size
         from {{ ref('suppression_thresholds') }} as s
         where s.scope = 'benchmark' and {{ valid_on('s', 'o.month_start') }}
         order by s.valid_from desc limit 1) as threshold
    from own_month as o
    window twelve as (partition by o.employer_org_number order by o.month_start
                      range between interval '11 months' preceding and current row)
),

own_monthly as (
    select
        r.employer_org_number, 'month' as period_type, r.month_start as period_start,
        'own_sick_leave_pct' as indicator, 'Own sick leave, % of scheduled hours in the month' as indicator_name,
        'own' as comparison, e.kommun_code as region_code, e.employer_name as region_name, 'T' as sex,
        case when r.employees > r.threshold then round(100 * r.sick_hours / nullif(r.scheduled_hours, 0), 2) end
            as value,
        r.employees <= r.threshold as is_suppressed, 'frisk' as source
    from own_month_rolling as r
    inner join employers as e on e.employer_org_number = r.employer_org_number
    union all
    select
        r.employer_org_number, 'month', r.month_start,
        'own_sick_leave_pct_12m', 'Own sick leave, % of scheduled hours over the rolling 12 months',
        'own', e.kommun_code, e.employer_name, 'T',
        case when r.employees > r.threshold
            then round(100 * r.sick_hours_12m / nullif(r.scheduled_hours_12m, 0), 2) end,
        r.employees <= r.threshold, 'frisk'
    from own_month_rolling as r
    inner join employers as e on e.employer_org_number = r.employer_org_number
),

fk_monthly as (
    select
        e.employer_org_number, 'month' as period_type, f.period_month as period_start,
        'fk_' || f.measure as indicator,
        'Försäkringskassan ' || f.measure || ' (' || f.age_band || ', rolling 12 months)' as indicator_name,
        f.region_level as comparison, f.region_code, f.region_name, f.sex,
        f.value, f.is_suppressed, 'fk' as source
    from employers as e
    inner join {{ ref('stg_statistics__fk_statistics') }} as f
        on (f.region_level = 'kommun' and f.region_code = e.kommun_code)
        or (f.region_level = 'lan' and f.region_code = e.lan_code)
        or f.region_level = 'riket'
    where f.age_band ilike 'samtliga%'
),

kolada_yearly as (
    select
        e.employer_org_number, 'year' as period_type, make_date(k.period_year, 1, 1) as period_start,
        'kolada_' || k.kpi as indicator, kp.name_sv as indicator_name,
        c.comparison, k.municipality_id as region_code, cast(null as text) as region_name, k.sex,
        k.value, false as is_suppressed, 'kolada' as source
    from employers as e
    cross join {{ ref('benchmark_kolada_kpis') }} as kp
    inner join {{ ref('stg_statistics__kolada_values') }} as k on k.kpi = kp.kpi
    cross join lateral (
        select 'self' as comparison where k.municipality_id = e.kommun_code
        union all select 'riket' where k.municipality_id = '0000'
        union all select 'lan' where k.municipality_id = '00' || e.lan_code
        union all select 'lan_municipality'
            where k.municipality_id like e.lan_code || '__' and k.municipality_id <> e.kommun_code
        union all select 'peer' where k.municipality_id = any(e.peer_list)
    ) as c
),

own_yearly as (
    select
        f.employer_org_number, 'year' as period_type, make_date(f.report_year, 1, 1) as period_start,
        'kolada_' || kp.kpi as indicator, kp.name_sv as indicator_name,
        'own' as comparison, e.kommun_code as region_code, e.employer_name as region_name, 'T' as sex,
        case kp.own_figure
            when 'sick_leave_pct' then f.sick_leave_pct
            when 'long_term_share_pct' then f.long_term_share_pct
            when 'age_29_or_younger' then f.age_29_or_younger_sick_leave_pct
            when 'age_30_49' then f.age_30_49_sick_leave_pct
            when 'age_50_or_older' then f.age_50_or_older_sick_leave_pct
        end as value,
        case kp.own_figure
            when 'age_29_or_younger' then f.age_29_or_younger_suppressed
            when 'age_30_49' then f.age_30_49_suppressed
            when 'age_50_or_older' then f.age_50_or_older_suppressed
            else f.is_suppressed
        end as is_suppressed,
        'frisk' as source
    from {{ ref('rpt_sick_leave_key_figures') }} as f
    inner join employers as e on e.employer_org_number = f.employer_org_number
    cross join {{ ref('benchmark_kolada_kpis') }} as kp
    where f.group_level = 'employer'
),

unioned as (
    select * from own_monthly
    union all select * from fk_monthly
    union all select * from kolada_yearly
    union all select * from own_yearly
)

select
    cast(employer_org_number as text) as employer_org_number,
    cast(period_type as text) as period_type,
    cast(period_start as date) as period_start,
    cast(indicator as text) as indicator,
    cast(indicator_name as text) as indicator_name,
    cast(comparison as text) as comparison,
    cast(region_code as text) as region_code,
    cast(region_name as text) as region_name,
    cast(sex as text) as sex,
    cast(value as numeric(14, 4)) as value,
    cast(is_suppressed as boolean) as is_suppressed,
    cast(source as text) as source
from unioned
