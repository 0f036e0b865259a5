"""Grant eligibility end to end: raw invoice, specification and payment rows -> dbt -> marts (real Postgres, dbt).

The expected figures are worked out by hand in the comments; as-of date 2024-01-15.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest

from tests.test_dbt_interventions_support import (
    EMPLOYER_1,
    EMPLOYER_2,
    PROVIDER_A,
    PROVIDER_B,
    PROVIDER_C,
    Invoice,
    Line,
    insert_invoice,
    insert_payments,
    insert_spec,
    pkey,
    rows,
    run_dbt,
)

D = Decimal


def _load_world(url: str) -> None:
    with psycopg.connect(url) as conn:
        # P1 (employer 1, provider A): the person cap, treatment, group, doubtful health talk, a line with no person
        insert_invoice(conn, Invoice("A-1", PROVIDER_A, EMPLOYER_1, date(2023, 5, 10), [
            Line(4500, date(2023, 3, 1), "P1", "KA01"),     # FK 2250
            Line(12000, date(2023, 4, 1), "P1", "AF01"),    # FK 6000 (8250 so far)
            Line(3800, date(2023, 5, 1), "P1", "TP01"),     # FK 1900 -> crosses 10000: 1750, 150 lost
            Line(900, date(2023, 5, 2), "P1", "BH01"),      # FK treatment; AFA 900 but deadline 2023-09-01
            Line(600, date(2023, 5, 3), "P1", "GR01"),      # FK group_service
            Line(1200, date(2023, 5, 4), "P1", "HS01"),     # FK service_doubtful
            Line(500, date(2023, 5, 4), None, None, "Reseersättning"),  # no individual
        ]))
        # P2: provider C is not approved (and X1 is unmapped); delivered twice, it counts once.
        for _ in range(2):
            insert_invoice(conn, Invoice("C-1", PROVIDER_C, EMPLOYER_1, date(2023, 6, 5), [
                Line(2000, date(2023, 6, 1), "P2", "X1", "Konsultation"),
            ]))
        # provider B before its approval, with the person in a specification file
        insert_invoice(conn, Invoice("B-1", PROVIDER_B, EMPLOYER_1, date(2018, 10, 5), [
            Line(4800, None, None, None, "Kartläggning av arbetsförmåga"),
        ]))
        insert_spec(conn, "B-1", PROVIDER_B, [Line(4800, date(2018, 10, 1), "P2", "210",
                                                   "Kartläggning av arbetsförmåga")])
        # P3: the 2018 rule change. 2014 rules: 7000 per service, assessment only; 2018-07-01: 50 %, 10000/year
        insert_invoice(conn, Invoice("A-2018", PROVIDER_A, EMPLOYER_1, date(2018, 7, 10), [
            Line(16000, date(2018, 6, 15), "P3", "AF01"),   # 8000 -> 7000 (service cap), 1000 lost
            Line(3800, date(2018, 6, 20), "P3", "TP01"),    # 2014: not an assessment
            Line(3800, date(2018, 7, 2), "P3", "TP01"),     # 2018: 1900
        ]))
        # P4: a credit note halves a paid service: 1400 - 700 = 700
        insert_invoice(conn, Invoice("A-3", PROVIDER_A, EMPLOYER_1, date(2023, 8, 5), [
            Line(2800, date(2023, 8, 1), "P4", "SS01"),
        ]))
        insert_invoice(conn, Invoice("A-3K", PROVIDER_A, EMPLOYER_1, date(2023, 8, 20), [
            Line(1400, date(2023, 8, 1), "P4", "SS01"),
        ], credit_of="A-3"))
        # P5: not paid yet
        insert_invoice(conn, Invoice("A-4", PROVIDER_A, EMPLOYER_1, date(2023, 11, 5), [
            Line(4500, date(2023, 11, 1), "P5", "KA01"),
        ]))
        # a batch the quality gate rejected never reaches the marts
        insert_invoice(conn, Invoice("A-666", PROVIDER_A, EMPLOYER_1, date(2023, 9, 1), [
            Line(99000, date(2023, 9, 1), "P1", "AF01"),
        ]), status="gate_rejected")
        # employer 2: 22 people with one assessment each; the employer cap (200000) runs out on the 21st
        big = Invoice("A-E2", PROVIDER_A, EMPLOYER_2, date(2023, 12, 1))
        for i in range(1, 23):
            amount = 15000 if i == 20 else 20000     # 19 x 10000 + 7500 = 197500; #21 gets 2500; #22 nothing
            big.lines.append(Line(amount, date(2023, 1, i), f"E2P{i}", "AF01"))
        insert_invoice(conn, big)
        # payments: a first export is superseded by a corrected re-delivery of the same file
        insert_payments(conn, "ap_2023.csv", [("A-1", PROVIDER_A, date(2023, 5, 30), 1.0)])
        insert_payments(conn, "ap_2023.csv", [
            ("A-1", PROVIDER_A, date(2023, 5, 30), 20000.0),
            ("A-1", PROVIDER_A, date(2023, 6, 30), 3500.0),    # partial payments add up to 23500
            ("C-1", PROVIDER_C, date(2023, 6, 30), 2000.0),
            ("B-1", PROVIDER_B, date(2018, 11, 1), 4800.0),
            ("A-2018", PROVIDER_A, date(2018, 8, 1), 23600.0),
            ("A-3", PROVIDER_A, date(2023, 9, 1), 1400.0),      # paid net of the credit note
            ("A-E2", PROVIDER_A, date(2023, 12, 20), float(big.gross)),
        ])
        conn.commit()


def test_grant_eligibility_end_to_end(warehouse: str, tmp_path: Path) -> None:
    _load_world(warehouse)
    r = run_dbt(warehouse, tmp_path / "target", "build", "--select", "+rpt_grant_summary+",
                "+rpt_grant_claim_list", "+fct_interventions", "path:seeds/interventions", as_of="2024-01-15")
    assert r.returncode == 0, r.stdout[-4000:]
    # the hand-calculated dbt unit tests and the singular checks ran in the same build
    for name in ("grant_caps_person_year_remainder_only", "grant_caps_employer_year_remainder_only",
                 "grant_caps_per_service_2014_and_credit_notes", "grant_not_paid_and_partly_paid",
                 "grant_rules_reasons_and_the_2018_rule_change", "grant_afa_deadline_six_months_after_measure_start",
                 "grant_status_on_the_as_of_date", "assert_grant_within_caps",
                 "assert_grant_spend_reconciles_with_invoices"):
        assert re.search(rf"PASS (\w+::)?{name} ", r.stdout), name
    # the mart's grain: one row per allocated line (the singular test ran above), and the allocation refuses a
    # second row for a line and scheme as it is written (its unique grant_line_id, md5 of the two)
    assert re.search(r"PASS (\w+::)?assert_grant_eligibility_one_row_per_line ", r.stdout)
    with psycopg.connect(warehouse) as conn:
        assert conn.execute("select count(*) from marts.fct_grant_eligibility").fetchone()[0] > 0
        with pytest.raises(psycopg.errors.UniqueViolation):
            conn.execute("insert into intermediate.int_grant_allocation "
                         "select * from intermediate.int_grant_allocation limit 1")
        conn.rollback()
        conn.execute("insert into marts.fct_grant_lines select * from marts.fct_grant_lines limit 1")
    twin = run_dbt(warehouse, tmp_path / "target", "test", "--select", "assert_grant_eligibility_one_row_per_line",
                   as_of="2024-01-15")
    assert twin.returncode != 0 and re.search(r"FAIL 1 (\w+::)?assert_grant_eligibility_one_row_per_line ",
                                              twin.stdout), twin.stdout[-2000:]
    with psycopg.connect(warehouse) as conn:
        conn.execute("delete from marts.fct_grant_lines as f where ctid <> (select min(ctid) from "
                     "marts.fct_grant_lines as g where g.grant_line_id = f.grant_line_id)")

    fk = {
        (x["invoice_number"], x["person_key"], x["service_date"], x["service_code"]): x
        for x in rows(warehouse, "select * from marts.fct_grant_eligibility where scheme = 'FK_ARS'")
    }

    def fk_line(inv: str, person: str | None, day: date | None, code: str | None) -> dict:
        return fk[(inv, pkey(person) if person else None, day, code)]

    # the person cap: the line crossing 10000 gets the remainder only
    assert fk_line("A-1", "P1", date(2023, 3, 1), "KA01")["grant_amount"] == D("2250.00")
    assert fk_line("A-1", "P1", date(2023, 4, 1), "AF01")["grant_amount"] == D("6000.00")
    crossing = fk_line("A-1", "P1", date(2023, 5, 1), "TP01")
    assert (crossing["grant_amount"], crossing["lost_to_person_cap"], crossing["status"]) == \
        (D("1750.00"), D("150.00"), "claimable")
    assert crossing["application_deadline"] == date(2024, 2, 1) and not crossing["deadline_is_confirmed"]
    reasons = {
        ("A-1", date(2023, 5, 2)): "treatment",
        ("A-1", date(2023, 5, 3)): "group_service",
        ("C-1", date(2023, 6, 1)): "provider_not_approved",
        ("B-1", date(2018, 10, 1)): "provider_not_approved",
        ("A-2018", date(2018, 6, 20)): "service_not_eligible",
        ("A-4", date(2023, 11, 1)): "not_paid",
    }
    got = {(x["invoice_number"], x["service_date"]): x["ineligible_reason"] for x in fk.values()
           if (x["invoice_number"], x["service_date"]) in reasons}
    assert got == reasons
    health_talk = fk_line("A-1", "P1", date(2023, 5, 4), "HS01")
    assert (health_talk["ineligible_reason"], health_talk["grant_amount"]) == ("service_doubtful", 0)
    no_person = fk_line("A-1", None, date(2023, 5, 4), None)
    assert no_person["ineligible_reason"] == "not_an_individual_service"

    # 2018 rule change: per-service cap before 2018-07-01, the new rules after; both years' deadlines passed
    assess_2018 = fk_line("A-2018", "P3", date(2018, 6, 15), "AF01")
    assert (assess_2018["rule_set_id"], assess_2018["grant_amount"], assess_2018["lost_to_service_cap"]) == \
        ("FK_ARS_2014", D("7000.00"), D("1000.00"))
    after = fk_line("A-2018", "P3", date(2018, 7, 2), "TP01")
    assert (after["rule_set_id"], after["grant_amount"], after["status"]) == ("FK_ARS_2018", D("1900.00"), "expired")
    assert after["lost_to_deadline"] == D("1900.00") and after["application_deadline"] == date(2019, 2, 1)

    # the credit note reduces the earlier grant
    original = fk_line("A-3", "P4", date(2023, 8, 1), "SS01")
    credit = fk_line("A-3K", "P4", date(2023, 8, 1), "SS01")
    assert (original["grant_amount"], credit["grant_amount"]) == (D("1400.00"), D("-700.00"))
    assert credit["claim_invoice_number"] == "A-3" and credit["amount_net"] == D("-1400.00")

    # unpaid: awaiting payment, with what payment would unlock
    unpaid = fk_line("A-4", "P5", date(2023, 11, 1), "KA01")
    assert (unpaid["status"], unpaid["grant_amount"], unpaid["grant_amount_if_paid"]) == \
        ("awaiting_payment", 0, D("2250.00"))

    # the employer cap in service-date order
    e2 = {x["person_key"]: x for x in fk.values() if x["employer_org_number"] == EMPLOYER_2}
    assert e2[pkey("E2P19")]["grant_amount"] == D("10000.00")
    assert e2[pkey("E2P20")]["grant_amount"] == D("7500.00")
    assert (e2[pkey("E2P21")]["grant_amount"], e2[pkey("E2P21")]["lost_to_employer_cap"]) == \
        (D("2500.00"), D("7500.00"))
    assert (e2[pkey("E2P22")]["grant_amount"], e2[pkey("E2P22")]["ineligible_reason"]) == \
        (0, "employer_cap_reached")
    assert sum(x["grant_amount"] for x in e2.values()) == D("200000.00")

    # the gate-rejected batch never arrives; the re-delivered C-1 counts once
    assert not [k for k in fk if k[0] == "A-666"]
    assert len(rows(warehouse, "select 1 from marts.fct_grant_eligibility where invoice_number = 'C-1'")) == 2

    # interventions: credits netted into the service, no line without a person, unmapped services flagged
    iv = {(x["invoice_number"], x["person_key"], x["service_date"]): x
          for x in rows(warehouse, "select * from marts.fct_interventions")}
    talk = iv[("A-3", pkey("P4"), date(2023, 8, 1))]
    assert (talk["amount_net"], talk["amount_credited"], talk["is_cancelled"]) == (D("1400.00"), D("-1400.00"), False)
    assert not [k for k in iv if k[0] == "A-3K" or k[1] is None]
    unmapped = iv[("C-1", pkey("P2"), date(2023, 6, 1))]
    assert (unmapped["intervention_type"], unmapped["is_service_mapped"]) == ("unmapped", False)
    spec = iv[("B-1", pkey("P2"), date(2018, 10, 1))]
    assert (spec["record_source"], spec["intervention_type"], spec["performer"]) == \
        ("specification", "assessment", "Psykolog")
    assert len(iv) == 6 + 1 + 1 + 3 + 1 + 1 + 22  # A-1 (not its no-person line), C-1, B-1, A-2018, A-3, A-4, A-E2

    # AFA: pays the treatment, but 6 months after the measure's start (2023-03-01) has passed
    afa = rows(warehouse, "select * from marts.fct_grant_eligibility where scheme = 'AFA' and invoice_number = 'A-1'"
               " and service_code = 'BH01'")[0]
    assert (afa["grant_amount"], afa["application_deadline"], afa["status"]) == \
        (D("900.00"), date(2023, 9, 1), "expired")

    summary = {(x["employer_org_number"], x["grant_year"], x["scheme"]): x
               for x in rows(warehouse, "select * from marts.rpt_grant_summary")}
    s = summary[(EMPLOYER_1, 2023, "FK_ARS")]
    # claimable: P1 2250 + 6000 + 1750, P4 1400 - 700
    assert s["grant_claimable"] == D("10700.00")
    assert s["lost_to_person_cap"] == D("150.00") and s["grant_awaiting_payment"] == D("2250.00")
    assert s["spend"] == D(4500 + 12000 + 3800 + 900 + 600 + 1200 + 500 + 2000 + 2800 - 1400 + 4500)
    assert (s["next_deadline"], s["days_to_next_deadline"]) == (date(2024, 2, 1), 17)
    assert summary[(EMPLOYER_1, 2018, "FK_ARS")]["lost_to_deadline"] == D("8900.00")
    assert summary[(EMPLOYER_2, 2023, "FK_ARS")]["lost_to_employer_cap"] == D("17500.00")  # 7500 + 10000

    claims = rows(warehouse, "select * from marts.rpt_grant_claim_list where scheme = 'FK_ARS' "
                  "and employer_org_number = %s order by person_key, invoice_number", (EMPLOYER_1,))
    by_person = {(c["person_key"], c["invoice_number"]): c["grant_amount"] for c in claims}
    assert by_person == {(pkey("P1"), "A-1"): D("10000.00"), (pkey("P4"), "A-3"): D("700.00")}
