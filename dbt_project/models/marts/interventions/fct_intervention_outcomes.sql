-- One row per intervention episode and outcome window: the person's sick days and spells in the window before
-- and after the first service, return to work for those on sick leave at the start, and the same change in a
-- comparison group: employees of the same employer, sector, age band, sex and prior-spell band who had no
-- intervention around the same month. The difference in differences is the episode's change minus the
-- comparison group's mean change; it is only given when the after-window has passed and the comparison group
-- is at least min_group_size people (else suppressed, with its size still reported).
-- each episode's subject row with its services, joined here, once per episode: joined to the window rows, the
-- planner (expecting 3,000 of their 105,000) looked the services up once per window row, 0.2 s at 50,000 x 5
-- years, and this mart is rebuilt every night
with episodes as materialized (
    select
        s.*,
        sv.episode_end_date,
        sv.services,
        sv.amount_net,
        sv.first_intervention_type,
        sv.intervention_types,
        sv.provider_org_number
    from {{ ref('int_outcome_subjects') }} as s
    inner join {{ ref('int_episode_services') }} as sv on sv.episode_id = s.episode_id
    where s.subject_type = 'episode'
),

comparison as (
    -- the groups' sums, kept up to date by the window metrics (int_outcome_comparison_groups): means and sample
    -- variances as avg() and var_samp() compute them, without counting the 4.7 million comparison rows each night
    select
        g.employer_org_number, g.sector, g.age_band, g.sex, g.prior_spell_band, g.index_month, g.window_days,
        g.comparison_n,
        {{ mean_from_sums('g.comparison_n', 'g.sick_days_before_sum') }} as sick_days_before,
        {{ mean_from_sums('g.comparison_n', 'g.sick_days_after_sum') }} as sick_days_after,
        {{ mean_from_sums('g.comparison_n', 'g.sick_days_change_sum') }} as sick_days_change,
        {{ var_samp_from_sums('g.comparison_n', 'g.sick_days_change_sum', 'g.sick_days_change_sq_sum') }}
            as sick_days_change_var,
        {{ mean_from_sums('g.comparison_n', 'g.spells_before_sum') }} as spells_before,
        {{ mean_from_sums('g.comparison_n', 'g.spells_after_sum') }} as spells_after,
        {{ mean_from_sums('g.comparison_n', 'g.spells_change_sum') }} as spells_change,
        {{ var_samp_from_sums('g.comparison_n', 'g.spells_change_sum', 'g.spells_change_sq_sum') }}
            as spells_change_var
    from {{ ref('int_outcome_comparison_groups') }} as g
),

-- the episodes' window rows, each with its comparison group (the window row carries its subject's cell).
-- Materialized, so that this join is planned on the window rows' own estimate: the planner hashes the 40,000
-- groups. Joined after the episodes, it expected a few thousand rows and looked each of the 105,000 up in the
-- groups' index (0.6 s at 50,000 x 5 years; the model 1.5 s -> 1.1 s alone)
episode_windows as materialized (
    select
        m.subject_id,
        m.window_days,
        m.sick_days_before,
        m.sick_days_after,
        m.spells_before,
        m.spells_after,
        c.comparison_n,
        c.sick_days_before as c_sick_days_before,
        c.sick_days_after as c_sick_days_after,
        c.sick_days_change as c_sick_days_change,
        c.sick_days_change_var as c_sick_days_change_var,
        c.spells_before as c_spells_before,
        c.spells_after as c_spells_after,
        c.spells_change as c_spells_change,
        c.spells_change_var as c_spells_change_var
    from {{ ref('int_outcome_window_metrics') }} as m
    left join comparison as c
        on c.employer_org_number = m.employer_org_number
        and c.sector = m.sector
        and c.age_band = m.age_band
        and c.sex = m.sex
        and c.prior_spell_band = m.prior_spell_band
        and c.index_month = m.index_month
        and c.window_days = m.window_days
    where m.subject_type = 'episode'
),

settings as (
    select
        {{ interventions_setting('min_group_size') }} as min_group_size,
        cast({{ interventions_setting('return_to_work_window_days') }} as integer) as rtw_window_days
),

joined as (
    select
        ep.*,
        m.window_days,
        m.sick_days_before,
        m.sick_days_after,
        m.spells_before,
        m.spells_after,
        ep.index_date + m.window_days - 1 <= {{ as_of_date() }} as follow_up_complete,
        coalesce(m.comparison_n, 0) as comparison_n,
        coalesce(m.comparison_n, 0) < st.min_group_size as comparison_is_suppressed,
        m.c_sick_days_before,
        m.c_sick_days_after,
        m.c_sick_days_change,
        m.c_sick_days_change_var,
        m.c_spells_before,
        m.c_spells_after,
        m.c_spells_change,
        m.c_spells_change_var,
        st.min_group_size,
        st.rtw_window_days
    from episodes as ep
    -- joined on the subject alone: with the person's columns as well, the planner multiplied three equalities'
    -- selectivities into one row and joined the services to it in a nested loop (minutes, not seconds)
    inner join episode_windows as m on m.subject_id = ep.subject_id
    cross join settings as st
)

select
    cast(episode_id as text) as episode_id,
    cast(window_days as integer) as window_days,
    cast(employer_org_number as text) as employer_org_number,
    cast(person_key as text) as person_key,
    cast(provider_org_number as text) as provider_org_number,
    cast(index_date as date) as first_service_date,
    cast(episode_end_date as date) as last_service_date,
    cast(services as integer) as services,
    cast(amount_net as numeric(12, 2)) as amount_net,
    cast(first_intervention_type as text) as first_intervention_type,
    cast(intervention_types as text) as intervention_types,
    cast(sector as text) as sector,
    cast(age_band as text) as age_band,
    cast(sex as text) as sex,
    cast(prior_spells_365 as integer) as prior_spells_365,
    cast(prior_spell_band as text) as prior_spell_band,
    cast(spell_at_start_date is not null as boolean) as on_sick_leave_at_start,
    cast(case when spell_at_start_end_date <= {{ as_of_date() }} then spell_at_start_end_date + 1 end as date)
        as return_to_work_date,
    cast(case
        when spell_at_start_date is null then null
        when spell_at_start_end_date is not null and spell_at_start_end_date <= {{ as_of_date() }}
            and spell_at_start_end_date < index_date + rtw_window_days then true
        when index_date + rtw_window_days - 1 <= {{ as_of_date() }} then false
    end as boolean) as returned_to_work_in_window,
    cast(sick_days_before as integer) as sick_days_before,
    cast(sick_days_after as integer) as sick_days_after,
    cast(spells_before as integer) as spells_before,
    cast(spells_after as integer) as spells_after,
    cast(follow_up_complete as boolean) as follow_up_complete,
    cast(comparison_n as integer) as comparison_n,
    cast(comparison_is_suppressed as boolean) as comparison_is_suppressed,
    cast(case when not comparison_is_suppressed then c_sick_days_before end as numeric(10, 2))
        as comparison_sick_days_before,
    cast(case when not comparison_is_suppressed then c_sick_days_after end as numeric(10, 2))
        as comparison_sick_days_after,
    cast(case when not comparison_is_suppressed then c_spells_before end as numeric(10, 3))
        as comparison_spells_before,
    cast(case when not comparison_is_suppressed then c_spells_after end as numeric(10, 3))
        as comparison_spells_after,
    cast(case when not comparison_is_suppressed then c_sick_days_change_var end as numeric(14, 4))
        as comparison_sick_days_change_var,
    cast(case when not comparison_is_suppressed then c_spells_change_var end as numeric(14, 6))
        as comparison_spells_change_var,
    cast(case when follow_up_complete and not comparison_is_suppressed
        then (sick_days_after - sick_days_before) - c_sick_days_change end as numeric(10, 2)) as did_sick_days,
    cast(case when follow_up_complete and not comparison_is_suppressed
        then (spells_after - spells_before) - c_spells_change end as numeric(10, 3)) as did_spells,
    cast(min_group_size as integer) as min_group_size,
    cast({{ as_of_date() }} as date) as as_of_date
from joined
