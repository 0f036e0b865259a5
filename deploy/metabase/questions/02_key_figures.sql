-- De sju nyckeltalen i årsredovisningen (LKBR 11 kap.), per arbetsgivare och år; undertryckta grupper visas tomma
select report_year as "År", employer_org_number as "Arbetsgivare", employees as "Anställda",
       sick_leave_pct as "Total sjukfrånvaro %", long_term_share_pct as "Andel 60+ dagar %",
       women_sick_leave_pct as "Kvinnor %", men_sick_leave_pct as "Män %",
       age_29_or_younger_sick_leave_pct as "-29 år %", age_30_49_sick_leave_pct as "30-49 år %",
       age_50_or_older_sick_leave_pct as "50- år %", is_complete_year as "Helt år"
from marts.rpt_sick_leave_key_figures
where group_level = 'employer'
order by report_year, employer_org_number
