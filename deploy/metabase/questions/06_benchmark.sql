-- Egen sjukfrånvaro bredvid Försäkringskassans sjukpenningtal för kommunen, länet och riket
select period_start as "Månad", employer_org_number as "Arbetsgivare", indicator_name as "Mått",
       comparison as "Jämförelse", region_name as "Område", value as "Värde"
from marts.rpt_public_benchmark
where period_type = 'month' and sex = 'T' and not is_suppressed
order by period_start, employer_org_number, indicator_name, comparison
