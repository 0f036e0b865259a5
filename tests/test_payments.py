"""The accounts-payable export: partial payments add up, bad rows are quarantined, mismatches are findings."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import psycopg

from frisk.invoices import load_pending
from frisk.invoices.load import load_payments
from frisk.invoices.reconcile import reconcile
from tests.test_invoice_support import PROVIDER_A, PROVIDER_B, ServiceLine, build_ubl, payments_csv

D = Decimal


def _q(url: str, sql: str) -> list[tuple]:
    with psycopg.connect(url) as conn:
        return conn.execute(sql).fetchall()


def _invoice(frisk_env: Path, number: str, amount: str, supplier: str = PROVIDER_A) -> None:
    path = frisk_env / "data" / "landing" / "invoices" / f"{number}.xml"
    path.write_text(
        build_ubl(number, [ServiceLine("AF01", "Arbetsförmågeutredning", D(amount))], supplier=supplier),
        encoding="utf-8",
    )


def test_partial_payments_add_up(warehouse: str, frisk_env: Path) -> None:
    _invoice(frisk_env, "A-5001", "12000")
    _invoice(frisk_env, "B-5002", "4800", supplier=PROVIDER_B)
    pay = frisk_env / "data" / "landing" / "payments" / "leverantorsreskontra_2025-04.csv"
    pay.write_text(
        payments_csv(
            [
                ("A-5001", PROVIDER_A, "2025-04-10", "5000,00"),
                ("A-5001", PROVIDER_A, "2025-04-30", "7000.00"),
                ("B-5002", PROVIDER_B, "2025-04-15", "4800"),
                ("B-5002", PROVIDER_B, "2025-04-16", "0"),  # says nothing: quarantined
                ("B-5002", PROVIDER_B, "16/04/2025", "100"),  # not an ISO date: quarantined
                ("B-5002", "5566770028", "2025-04-16", "100"),  # org number check digit wrong: quarantined
                ("X-1", PROVIDER_A, "2025-04-16", "250.50"),  # no such invoice: a finding
            ]
        ),
        encoding="utf-8",
    )
    results = load_pending(run_id="p1")
    assert [(r["kind"], r["outcome"]) for r in results] == [
        ("invoice", "loaded"),
        ("invoice", "loaded"),
        ("payment", "loaded"),
    ]
    assert (results[2]["rows_read"], results[2]["rows_loaded"], results[2]["rows_quarantined"]) == (7, 4, 3)

    paid = _q(
        warehouse,
        "select invoice_number, supplier_org_number, count(*), sum(amount), max(paid_date)::text "
        "from raw.payments group by 1, 2 order by 1",
    )
    assert paid == [
        ("A-5001", PROVIDER_A, 2, D("12000.00"), "2025-04-30"),
        ("B-5002", PROVIDER_B, 1, D("4800.00"), "2025-04-15"),
        ("X-1", PROVIDER_A, 1, D("250.50"), "2025-04-16"),
    ]
    # Paid in full by the parts: equal to the payable amount.
    assert _q(
        warehouse,
        "select d.invoice_number, d.payable_amount = sum(p.amount) from raw.invoice_documents d "
        "join raw.payments p using (supplier_org_number, invoice_number) group by 1, "
        "d.payable_amount order by 1",
    ) == [("A-5001", True), ("B-5002", True)]
    q = _q(warehouse, "select line_no, field, reason from quarantine.rows order by line_no")
    assert q == [
        (5, "belopp", "line 5: belopp is zero"),
        (6, "betald_datum", "line 6: betald_datum is not a date (YYYY-MM-DD): '16/04/2025'"),
        (7, "leverantor_orgnr", "line 7: leverantor_orgnr: organisation number check digit is wrong"),
    ]
    assert _q(
        warehouse,
        "select reason, invoice_number, payment_line_no, actual_amount "
        "from quarantine.invoice_reconciliation",
    ) == [("payment_without_invoice", "X-1", 8, D("250.50"))]

    # A later export pays A-5001 once more: now it is overpaid.
    more = frisk_env / "data" / "landing" / "payments" / "leverantorsreskontra_2025-05.csv"
    more.write_text(payments_csv([("A-5001", PROVIDER_A, "2025-05-02", "1000")]), encoding="utf-8")
    assert load_payments(more)["status"] == "loaded"
    assert reconcile() == {"invoice_overpaid": 1, "payment_without_invoice": 1}
    assert _q(
        warehouse,
        "select expected_amount, actual_amount, difference, detail from "
        "quarantine.invoice_reconciliation where reason = 'invoice_overpaid'",
    ) == [
        (
            D("12000.00"),
            D("13000.00"),
            D("1000.00"),
            "3 payment(s) for invoice A-5001 add up to 13000.00, more than its payable amount 12000.00",
        )
    ]


def test_payment_file_with_wrong_header_is_rejected(warehouse: str, frisk_env: Path) -> None:
    pay = frisk_env / "data" / "landing" / "payments" / "export.csv"
    pay.write_text("invoice,supplier,date,amount\nA-1,5566770011,2025-04-01,100\n", encoding="utf-8")
    r = load_payments(pay)
    assert r["status"] == "rejected"
    assert r["error"].startswith(
        "line 1: header not recognised (is the file comma-separated? it must use ';')"
    )
    assert Path(r["moved_to"] + ".error.txt").exists()
