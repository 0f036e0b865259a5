-- Sjukfrånvaro per månad (% av schemalagd tid), per arbetsgivare
select month_start as "Månad",
       employer_org_number as "Arbetsgivare",
       round(100 * sum(sick_hours) / nullif(sum(scheduled_hours), 0), 2) as "Sjukfrånvaro %",
       round(100 * sum(long_term_sick_hours) / nullif(sum(sick_hours), 0), 1) as "Andel 60+ dagar %"
from marts.fct_sick_leave_monthly
group by month_start, employer_org_number
order by month_start, employer_org_number
