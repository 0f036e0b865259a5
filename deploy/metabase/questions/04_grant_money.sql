-- Bidrag för arbetsplatsinriktat rehabiliteringsstöd (FK) och Afa: kostnad, bidragsgrundande, sökbart, förlorat
select grant_year as "År", scheme as "Ordning", employer_org_number as "Arbetsgivare",
       spend as "Kostnad", eligible_spend as "Bidragsgrundande", grant_claimable as "Kan sökas",
       grant_claimed as "Sökt", lost_to_caps as "Förlorat (tak)", lost_to_deadline as "Förlorat (frist)",
       next_deadline as "Nästa frist", days_to_next_deadline as "Dagar kvar"
from marts.rpt_grant_summary
order by grant_year, scheme, employer_org_number
