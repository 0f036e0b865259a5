-- What early intervention achieved, per employer, year of the first service, intervention group (all, or the
-- episode's first intervention type), window and measure: the mean difference in differences against matched
-- comparison groups with a confidence interval. Only episodes with a passed after-window and an unsuppressed
-- comparison group count; a row with fewer than min_group_size episodes or comparison people is suppressed
-- (sizes still shown), so no effect is claimed the data cannot show.
{%- set measures = ['sick_days', 'spells'] %}
with outcomes as (
    select
        o.*,
        cast(extract(year from o.first_service_date) as integer) as start_year,
        md5(concat_ws('|', o.employer_org_number, o.sector, o.age_band, o.sex, o.prior_spell_band,
                      date_trunc('month', o.first_service_date))) as comparison_cell
    from {{ ref('fct_intervention_outcomes') }} as o
    where o.follow_up_complete and not o.comparison_is_suppressed
),

grouped as (
    select 'all' as intervention_group, * from outcomes
    union all
    select first_intervention_type, * from outcomes
),

settings as (
    select
        {{ interventions_setting('min_group_size') }} as min_group_size,
        {{ interventions_setting('confidence_z') }} as z
),

comparison_sizes as (
    select employer_org_number, start_year, intervention_group, window_days, sum(comparison_n) as comparison_n
    from (
        select distinct employer_org_number, start_year, intervention_group, window_days, comparison_cell,
            comparison_n
        from grouped
    ) as cells
    group by employer_org_number, start_year, intervention_group, window_days
),

estimates as (
    {%- for m in measures %}
    select
        g.employer_org_number,
        g.start_year,
        g.intervention_group,
        g.window_days,
        '{{ m }}' as measure,
        count(*) as episodes,
        avg(g.{{ m }}_after - g.{{ m }}_before) as mean_change_intervention,
        avg(g.comparison_{{ m }}_after - g.comparison_{{ m }}_before) as mean_change_comparison,
        avg(g.did_{{ m }}) as did,
        -- the episodes' spread plus the sampling error of each matched comparison mean
        sqrt(coalesce(var_samp(g.did_{{ m }}), 0) / count(*)
             + sum(g.comparison_{{ m }}_change_var / g.comparison_n) / power(count(*), 2)) as std_error
    from grouped as g
    group by g.employer_org_number, g.start_year, g.intervention_group, g.window_days
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
)

select
    cast(e.employer_org_number as text) as employer_org_number,
    cast(e.start_year as integer) as start_year,
    cast(e.intervention_group as text) as intervention_group,
    cast(e.window_days as integer) as window_days,
    cast(e.measure as text) as measure,
    cast(e.episodes as integer) as episodes,
    cast(cs.comparison_n as integer) as comparison_people,
    cast(suppressed as boolean) as is_suppressed,
    cast(case when not suppressed then e.mean_change_intervention end as numeric(12, 3)) as mean_change_intervention,
    cast(case when not suppressed then e.mean_change_comparison end as numeric(12, 3)) as mean_change_comparison,
    cast(case when not suppressed then e.did end as numeric(12, 3)) as did_estimate,
    cast(case when not suppressed then e.std_error end as numeric(12, 3)) as did_std_error,
    cast(case when not suppressed then e.did - st.z * e.std_error end as numeric(12, 3)) as did_ci_low,
    cast(case when not suppressed then e.did + st.z * e.std_error end as numeric(12, 3)) as did_ci_high,
    cast(case when not suppressed
        then (e.did - st.z * e.std_error > 0 or e.did + st.z * e.std_error < 0) end as boolean)
        as ci_excludes_zero,
    cast(st.min_group_size as integer) as min_group_size
from estimates as e
inner join comparison_sizes as cs
    on cs.employer_org_number = e.employer_org_number
    and cs.start_year = e.start_year
    and cs.intervention_group = e.intervention_group
    and cs.window_days = e.window_days
cross join settings as st
cross join lateral (select e.episodes < st.min_group_size or cs.comparison_n < st.min_group_size as suppressed) as sp
