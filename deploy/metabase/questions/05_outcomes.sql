-- Effekt av tidiga insatser: skillnad-i-skillnader mot en jämförelsegrupp, med 95 % konfidensintervall
select start_year as "År", employer_org_number as "Arbetsgivare", intervention_group as "Insats",
       window_days as "Dagar", measure as "Mått", episodes as "Insatser", comparison_people as "Jämförelse",
       did_estimate as "Effekt", did_ci_low as "KI låg", did_ci_high as "KI hög", ci_excludes_zero as "Säker"
from marts.rpt_intervention_effects
where not is_suppressed
order by start_year, employer_org_number, intervention_group, window_days, measure
