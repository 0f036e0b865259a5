-- Nothing below the suppression threshold is shown: comparison figures in fct_intervention_outcomes and effect
-- estimates in rpt_intervention_effects are null whenever a group is under min_group_size.
select 'outcome' as model, episode_id as row_key
from {{ ref('fct_intervention_outcomes') }}
where comparison_n < min_group_size
    and (comparison_sick_days_before is not null or comparison_sick_days_after is not null
         or did_sick_days is not null or did_spells is not null)

union all

select 'effects', concat_ws('|', employer_org_number, start_year, intervention_group, window_days, measure)
from {{ ref('rpt_intervention_effects') }}
where (episodes < min_group_size or comparison_people < min_group_size)
    and (did_estimate is not null or mean_change_intervention is not null or did_ci_low is not null)
