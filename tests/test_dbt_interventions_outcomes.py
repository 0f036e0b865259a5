"""Interventions and their outcomes end to end: raw payroll + invoices -> dbt (with the sick-leave models) -> marts.

Hand-built world, as-of 2024-06-30, min_group_size 10 (seed). Everyone: employer 1, care, women born 1980, one
10-day spell in June 2022 (prior-spell band 1 at a March 2023 index date).
- T2..T11 get an assessment on 2023-03-15, then a 5-day spell 2023-04-01..05: change in the 90-day window
  0 -> 5 sick days.
- C1..C12 get no intervention (the comparison pool for March 2023): C1..C6 a 20-day and C7..C12 a 10-day spell
  from 2023-04-01: change 0 -> 15 on average, sample variance 300 / 11.
  Difference in differences = 5 - 15 = -10; SE = sqrt(0 / 10 + 10 * (300 / 11 / 12) / 10^2) = 0.4767;
  95 % CI = -10 +- 1.96 * 0.4767 = [-10.934, -9.066].
- T1 is on sick leave 2023-03-10..20 at her assessment on 2023-03-15 (prior band 2: no comparison group).
- T2 gets a second service on 2023-04-10 (same episode: gap <= 90) and a supportive talk on 2023-09-01 (a new
  episode: 144 days later).
- T12 has three short spells early in 2024 (a repeated-absence signal) and a service on 2024-05-01: the
  90-day follow-up is not complete on the as-of date.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import psycopg

from tests.test_dbt_interventions_support import (
    EMPLOYER_1,
    PROVIDER_A,
    Employee,
    Invoice,
    Line,
    insert_invoice,
    insert_payroll,
    pkey,
    rows,
    run_dbt,
)

PRIOR = (date(2022, 6, 1), date(2022, 6, 10))


def _world(url: str) -> None:
    people = [Employee("T1", sick=[PRIOR, (date(2023, 3, 10), date(2023, 3, 20))])]
    people += [Employee(f"T{i}", sick=[PRIOR, (date(2023, 4, 1), date(2023, 4, 5))]) for i in range(2, 12)]
    people += [Employee(f"C{i}", sick=[PRIOR, (date(2023, 4, 1), date(2023, 4, 20 if i <= 6 else 10))])
               for i in range(1, 13)]
    people.append(Employee("T12", sick=[(date(2024, 1, 1), date(2024, 1, 2)), (date(2024, 2, 1), date(2024, 2, 2)),
                                        (date(2024, 3, 1), date(2024, 3, 2))]))
    inv = Invoice("A-100", PROVIDER_A, EMPLOYER_1, date(2023, 3, 31),
                  [Line(4500, date(2023, 3, 15), f"T{i}", "KA01") for i in range(1, 12)])
    inv.lines.append(Line(3800, date(2023, 4, 10), "T2", "TP01"))
    with psycopg.connect(url) as conn:
        insert_payroll(conn, people)
        insert_invoice(conn, inv)
        insert_invoice(conn, Invoice("A-101", PROVIDER_A, EMPLOYER_1, date(2023, 9, 30),
                                     [Line(1400, date(2023, 9, 1), "T2", "SS01")]))
        insert_invoice(conn, Invoice("A-102", PROVIDER_A, EMPLOYER_1, date(2024, 5, 31),
                                     [Line(1400, date(2024, 5, 1), "T12", "SS01")]))
        conn.commit()


def test_interventions_outcomes_and_effects(warehouse: str, tmp_path: Path) -> None:
    _world(warehouse)
    r = run_dbt(warehouse, tmp_path / "target", "build", "--select", "+rpt_intervention_effects",
                "+fct_interventions", "path:seeds/interventions", "--exclude", "test_name:relationships",
                as_of="2024-06-30")
    assert r.returncode == 0, r.stdout[-4000:]
    assert "PASS assert_outcome_suppression" in r.stdout

    iv = {(x["person_key"], x["service_date"]): x for x in rows(warehouse, "select * from marts.fct_interventions")}
    assert len(iv) == 14
    t1 = iv[(pkey("T1"), date(2023, 3, 15))]
    assert (t1["on_sick_leave"], t1["spells_last_365_days"], t1["days_since_last_spell"]) == (True, 2, 0)
    t2 = iv[(pkey("T2"), date(2023, 3, 15))]
    assert (t2["on_sick_leave"], t2["spells_last_365_days"], t2["days_since_last_spell"]) == (False, 1, 278)
    assert (t2["intervention_type"], t2["amount_net"], t2["signal_fired_last_365_days"]) == \
        ("assessment", Decimal("4500.00"), False)
    assert iv[(pkey("T2"), date(2023, 4, 10))]["episode_id"] == t2["episode_id"]
    assert iv[(pkey("T2"), date(2023, 9, 1))]["episode_id"] != t2["episode_id"]
    assert iv[(pkey("T12"), date(2024, 5, 1))]["signal_fired_last_365_days"] is True

    out = {(x["person_key"], x["first_service_date"], x["window_days"]): x
           for x in rows(warehouse, "select * from marts.fct_intervention_outcomes")}
    assert len(out) == 13 * 3  # 13 episodes x 3 windows
    o2 = out[(pkey("T2"), date(2023, 3, 15), 90)]
    assert (o2["sick_days_before"], o2["sick_days_after"], o2["spells_before"], o2["spells_after"]) == (0, 5, 0, 1)
    assert (o2["services"], o2["prior_spell_band"], o2["age_band"]) == (2, "1", "30-49")
    assert (o2["comparison_n"], o2["comparison_is_suppressed"]) == (12, False)
    assert (o2["comparison_sick_days_before"], o2["comparison_sick_days_after"]) == (0, 15)
    assert o2["did_sick_days"] == Decimal("-10.00") and o2["did_spells"] == 0
    o2y = out[(pkey("T2"), date(2023, 3, 15), 365)]
    assert (o2y["sick_days_before"], o2y["sick_days_after"], o2y["did_sick_days"]) == (10, 5, Decimal("-10.00"))
    o1 = out[(pkey("T1"), date(2023, 3, 15), 90)]
    assert (o1["on_sick_leave_at_start"], o1["returned_to_work_in_window"], o1["return_to_work_date"]) == \
        (True, True, date(2023, 3, 21))
    assert (o1["prior_spell_band"], o1["comparison_n"], o1["comparison_is_suppressed"], o1["did_sick_days"]) == \
        ("2", 0, True, None)
    assert o2["returned_to_work_in_window"] is None
    o12 = out[(pkey("T12"), date(2024, 5, 1), 90)]
    assert (o12["follow_up_complete"], o12["did_sick_days"]) == (False, None)

    eff = {(x["intervention_group"], x["window_days"], x["measure"]): x
           for x in rows(warehouse, "select * from marts.rpt_intervention_effects where start_year = 2023")}
    a = eff[("assessment", 90, "sick_days")]
    assert (a["episodes"], a["comparison_people"], a["is_suppressed"]) == (10, 12, False)
    assert (a["mean_change_intervention"], a["mean_change_comparison"], a["did_estimate"]) == (5, 15, -10)
    assert (a["did_std_error"], a["did_ci_low"], a["did_ci_high"], a["ci_excludes_zero"]) == \
        (Decimal("0.477"), Decimal("-10.934"), Decimal("-9.066"), True)
    spells = eff[("assessment", 90, "spells")]
    assert (spells["did_estimate"], spells["ci_excludes_zero"]) == (0, False)
    talk = eff[("supportive_talks", 90, "sick_days")]
    assert (talk["episodes"], talk["is_suppressed"], talk["did_estimate"]) == (1, True, None)
