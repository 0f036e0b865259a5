-- Tidiga signaler per månad (upprepad korttidsfrånvaro, långa sjukfall), antal personer; små enheter undertryckta
select month_start as "Månad", signal_type as "Signal", rule_id as "Regel",
       sum(persons) as "Personer", sum(signals) as "Signaler",
       count(*) filter (where is_suppressed) as "Undertryckta enheter"
from marts.rpt_absence_signal_counts
group by month_start, signal_type, rule_id
order by month_start, signal_type, rule_id
