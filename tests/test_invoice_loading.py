"""Loading invoices and specifications into a real PostgreSQL: pseudonymisation, quarantine, duplicates,
conflicts, rejection and the reconciliation of specifications with invoices."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import psycopg
import pytest

from frisk.identity import Pseudonymiser, looks_like_personnummer, parse_personnummer
from frisk.invoices import load_pending
from frisk.invoices.load import load_invoice, load_specification
from frisk.invoices.reconcile import reconcile
from tests.conftest import TEST_KEY
from tests.test_invoice_support import (
    PEPPOL_DIR,
    PROVIDER_A,
    PROVIDER_B,
    ServiceLine,
    bad_pnr,
    build_ubl,
    pnr,
    provider_a_lines,
    provider_b_lines,
    spec_csv,
)

D = Decimal


def _landing(frisk_env: Path, source: str = "invoices") -> Path:
    return frisk_env / "data" / "landing" / source


def _q(url: str, sql: str, *args) -> list[tuple]:
    with psycopg.connect(url) as conn:
        return conn.execute(sql, args or None).fetchall()


def _everything_stored(url: str) -> str:
    """Every row of every table in raw, quarantine and audit, as text: for the privacy assertions."""
    tables = _q(
        url,
        "select table_schema || '.' || table_name from information_schema.tables "
        "where table_schema in ('raw', 'quarantine', 'audit')",
    )
    return "\n".join(str(r) for (t,) in tables for r in _q(url, f"select row_to_json(x)::text from {t} x"))


def _findings(url: str) -> list[tuple]:
    return _q(
        url,
        "select reason, invoice_number, invoice_line_id, spec_line_no, expected_amount, actual_amount, "
        "difference from quarantine.invoice_reconciliation order by reason, invoice_number, spec_line_no",
    )


def test_fhv_invoice_with_employees_on_the_lines(warehouse: str, frisk_env: Path) -> None:
    lines = provider_a_lines()
    path = _landing(frisk_env) / "friskvarden_A-1001.xml"
    path.write_text(build_ubl("A-1001", lines, note=f"Avser {lines[0].personnummer}"), encoding="utf-8")

    r = load_invoice(path)
    assert (r["status"], r["outcome"], r["rows_read"], r["rows_loaded"], r["rows_quarantined"]) == (
        "loaded",
        "loaded",
        3,
        2,
        1,
    )
    assert Path(r["moved_to"]).parent.name == "invoices" and not path.exists()

    doc = _q(
        warehouse,
        "select document_type, invoice_number, supplier_org_number, supplier_id_scheme, "
        "buyer_org_number, line_extension_amount, tax_amount, payable_amount, sign, line_count, "
        "note from raw.invoice_documents",
    )
    assert doc == [
        (
            "invoice",
            "A-1001",
            PROVIDER_A,
            "0007",
            "2120009903",
            D("12300.00"),
            D("1250.00"),
            D("13550.00"),
            1,
            3,
            "Avser <personnummer>",
        )
    ]
    pseudo = Pseudonymiser(TEST_KEY.encode())
    rows = _q(
        warehouse,
        "select line_id, net_amount, period_start::text, person_key, birth_year, sex, "
        "service_code, performer, tax_category from raw.invoice_lines order by line_id",
    )
    assert rows == [
        (
            "1",
            D("4500.00"),
            "2025-03-03",
            pseudo.person_key(parse_personnummer(lines[0].personnummer).normalised),
            1980,
            "M",
            "KA01",
            "Företagsläkare",
            "E",
        ),
        (
            "2",
            D("5000.00"),
            "2025-03-10",
            pseudo.person_key(parse_personnummer(lines[1].personnummer).normalised),
            1975,
            "K",
            "AP01",
            "Ergonom",
            "S",
        ),
    ]
    # The same key as payroll: HMAC of the normalised 12-digit number, whatever form the file used.
    assert rows[0][3] == pseudo.pseudonymise(lines[0].personnummer[2:8] + "-" + lines[0].personnummer[8:])[0]
    q = _q(warehouse, "select entity, line_no, field, reason, record->>'personnummer' from quarantine.rows")
    assert q == [
        (
            "invoice_line",
            q[0][1],
            "Personnummer",
            f"line {q[0][1]}: invoice line 3: AdditionalItemProperty Personnummer: "
            "personnummer check digit is wrong",
            "<personnummer>",
        )
    ]
    assert _q(warehouse, "select count(*) from raw.invoice_tax_subtotals") == [(2,)]
    stored = _everything_stored(warehouse)
    assert not looks_like_personnummer(stored)
    for ln in lines:
        assert ln.personnummer[2:] not in stored


def test_fhv_invoice_with_specification_file_both_orders(warehouse: str, frisk_env: Path) -> None:
    p1, p2 = pnr("19850505", 111), pnr("19700707", 222)
    # The specification arrives first: its rows match no invoice yet.
    spec = _landing(frisk_env) / "arbetshalsan_B-77.spec.csv"
    spec.write_text(
        spec_csv(
            [
                (
                    "B-77",
                    PROVIDER_B,
                    1,
                    "2025-03-04",
                    p1,
                    "210",
                    "Kartläggning av arbetsförmåga",
                    "Beteendevetare",
                    "4800,00",
                ),
                (
                    "B-77",
                    PROVIDER_B,
                    2,
                    "2025-03-11",
                    p1,
                    "300",
                    "Trepartsmöte",
                    "Företagssköterska",
                    "3600.00",
                ),
                (
                    "B-77",
                    PROVIDER_B,
                    2,
                    "2025-03-18",
                    p2[:8] + "-" + p2[8:],
                    "300",
                    "Trepartsmöte",
                    "Företagssköterska",
                    "3 600,00",
                ),
                (
                    "B-77",
                    PROVIDER_B,
                    2,
                    "2025-03-18",
                    bad_pnr("19600101", 333),
                    "300",
                    "Trepartsmöte",
                    "Psykolog",
                    "10",
                ),
            ]
        ),
        encoding="utf-8",
    )
    r = load_specification(spec)
    assert (r["status"], r["rows_read"], r["rows_loaded"], r["rows_quarantined"]) == ("loaded", 4, 3, 1)
    assert reconcile() == {"spec_row_without_invoice": 3}

    inv = _landing(frisk_env) / "arbetshalsan_B-77.xml"
    inv.write_text(build_ubl("B-77", provider_b_lines(), supplier=PROVIDER_B), encoding="utf-8")
    assert load_invoice(inv)["outcome"] == "loaded"
    assert reconcile() == {}  # the later delivery resolved the findings: 4800 + 2 x 3600 = 12000

    spec_rows = _q(
        warehouse,
        "select line_no, invoice_line_id, service_date::text, birth_year, sex, service_code, "
        "performer_competence, amount_net from raw.invoice_specifications order by line_no",
    )
    assert spec_rows == [
        (2, "1", "2025-03-04", 1985, "M", "210", "Beteendevetare", D("4800.00")),
        (3, "2", "2025-03-11", 1985, "M", "300", "Företagssköterska", D("3600.00")),
        (4, "2", "2025-03-18", 1970, "K", "300", "Företagssköterska", D("3600.00")),
    ]
    keys = _q(warehouse, "select distinct person_key from raw.invoice_specifications order by 1")
    pseudo = Pseudonymiser(TEST_KEY.encode())
    assert sorted(k for (k,) in keys) == sorted(pseudo.pseudonymise(p)[0] for p in (p1, p2))
    q = _q(
        warehouse,
        "select line_no, field, record->>'personnummer', record->>'belopp_exkl_moms' from quarantine.rows",
    )
    assert q == [(5, "personnummer", "<personnummer>", "10")]

    # A corrected specification with the same name replaces the first delivery; this one does not add up,
    # names a line the invoice lacks, and one row names an invoice nobody sent.
    spec.write_text(
        spec_csv(
            [
                ("B-77", PROVIDER_B, 1, "2025-03-04", p1, "210", "Kartläggning", "Beteendevetare", "4800"),
                ("B-77", PROVIDER_B, 2, "2025-03-11", p1, "300", "Trepartsmöte", "Företagssköterska", "3600"),
                ("B-77", PROVIDER_B, 9, "2025-03-18", p2, "300", "Trepartsmöte", "Företagssköterska", "3500"),
                ("B-78", PROVIDER_B, "", "2025-03-20", p2, "400", "Samtalsstöd", "Psykolog", "1300"),
            ]
        ),
        encoding="utf-8",
    )
    assert load_specification(spec)["status"] == "loaded"
    assert reconcile(run_id="r2") == {
        "spec_line_not_on_invoice": 1,
        "spec_line_total_mismatch": 1,
        "spec_row_without_invoice": 1,
        "spec_total_mismatch": 1,
    }
    assert _findings(warehouse) == [
        ("spec_line_not_on_invoice", "B-77", "9", 4, None, D("3500.00"), None),
        ("spec_line_total_mismatch", "B-77", "2", None, D("7200.00"), D("3600.00"), D("-3600.00")),
        ("spec_row_without_invoice", "B-78", None, 5, None, D("1300.00"), None),
        ("spec_total_mismatch", "B-77", None, None, D("12000.00"), D("11900.00"), D("-100.00")),
    ]
    detail = _q(
        warehouse, "select detail from quarantine.invoice_reconciliation where reason = 'spec_total_mismatch'"
    )
    assert detail == [
        (
            "the 3 specification rows of invoice B-77 add up to 11900.00, the invoice lines to "
            "12000.00 (off by -100.00)",
        )
    ]
    assert not looks_like_personnummer(_everything_stored(warehouse))


def test_credit_note_loads_negative_with_reference(warehouse: str, frisk_env: Path) -> None:
    inv = _landing(frisk_env) / "A-2001.xml"
    inv.write_text(build_ubl("A-2001", [ServiceLine("HS01", "Hälsosamtal", D("1200"))]), encoding="utf-8")
    cn = _landing(frisk_env) / "A-2001-K.xml"
    cn.write_text(
        build_ubl(
            "A-2001",
            [ServiceLine("HS01", "Hälsosamtal", D("1200"))],
            credit_note=True,
            billing_reference="A-2001",
        ),
        encoding="utf-8",
    )
    results = load_pending(run_id="cn")
    assert [(r["kind"], r["outcome"]) for r in results] == [("invoice", "loaded"), ("invoice", "loaded")]
    docs = _q(
        warehouse,
        "select document_type, invoice_number, sign, billing_reference, payable_amount, "
        "sign * payable_amount from raw.invoice_documents order by document_type",
    )
    assert docs == [
        ("credit_note", "A-2001", -1, "A-2001", D("1200.00"), D("-1200.00")),
        ("invoice", "A-2001", 1, None, D("1200.00"), D("1200.00")),
    ]


def test_duplicate_loads_once_and_conflict_is_quarantined(warehouse: str, frisk_env: Path) -> None:
    lines = [
        ServiceLine(
            "KA01",
            "Kartläggning",
            D("4500"),
            service_date="2025-03-03",
            personnummer=pnr("19800101", 123),
            performer="Företagsläkare",
        )
    ]
    text = build_ubl("A-3001", lines)
    first = _landing(frisk_env) / "A-3001.xml"
    first.write_text(text, encoding="utf-8")
    assert load_invoice(first)["outcome"] == "loaded"

    same_bytes = _landing(frisk_env) / "A-3001-again.xml"
    same_bytes.write_text(text, encoding="utf-8")
    assert load_invoice(same_bytes)["outcome"] == "skipped"

    # Re-sent through another access point: other layout and amount spelling, same content.
    resent = _landing(frisk_env) / "A-3001-resent.xml"
    resent.write_text(text.replace("\n  ", "\n\t").replace(">4500.00<", ">4500.0<"), encoding="utf-8")
    r = load_invoice(resent)
    assert (r["status"], r["outcome"], r["rows_loaded"], r["duplicate_of"]) == (
        "loaded",
        "duplicate",
        0,
        r["duplicate_of"],
    )
    assert r["duplicate_of"] is not None

    other = _landing(frisk_env) / "A-3001-changed.xml"
    other.write_text(build_ubl("A-3001", [ServiceLine("KA01", "Kartläggning", D("4600"))]), encoding="utf-8")
    r = load_invoice(other)
    assert (r["status"], r["outcome"], r["rows_loaded"], r["rows_quarantined"]) == (
        "loaded",
        "conflict",
        0,
        1,
    )

    assert _q(warehouse, "select count(*), sum(payable_amount) from raw.invoice_documents") == [
        (1, D("4500.00"))
    ]
    assert _q(warehouse, "select count(*) from raw.invoice_lines") == [(1,)]
    q = _q(warehouse, "select entity, field, reason from quarantine.rows")
    assert len(q) == 1 and q[0][:2] == ("invoice_conflict", "cbc:ID")
    assert "invoice A-3001 from the same supplier was already loaded (batch" in q[0][2]
    batches = _q(warehouse, "select entity, status, delivery_key from audit.batches order by batch_id")
    assert batches == [
        ("invoice", "loaded", "invoice:5566770011:A-3001"),
        ("invoice_duplicate", "loaded", "A-3001-resent.xml"),
        ("invoice_conflict", "loaded", "A-3001-changed.xml"),
    ]


def test_rejected_invoice_goes_to_rejected_with_readable_error(warehouse: str, frisk_env: Path) -> None:
    path = _landing(frisk_env) / "A-4001.xml"
    path.write_text(
        build_ubl("A-4001", provider_a_lines(), override={"PayableAmount": "13500.00"}), encoding="utf-8"
    )
    r = load_invoice(path)
    assert (r["status"], r["outcome"]) == ("rejected", "rejected")
    error = Path(r["moved_to"] + ".error.txt").read_text(encoding="utf-8")
    assert (
        "BR-CO-16: PayableAmount is 13500.00 but TaxInclusiveAmount - PrepaidAmount + PayableRoundingAmount "
        "gives 13550.00; off by -50.00" in error
    )
    assert "Nothing from this file was loaded" in error
    assert _q(warehouse, "select status, entity from audit.batches") == [("rejected", None)]
    assert _q(warehouse, "select count(*) from raw.invoice_documents") == [(0,)]


@pytest.mark.parametrize(
    "name", ["base-example.xml", "vat-category-E.xml", "se-invoice-sek.xml", "se-creditnote-sek.xml"]
)
def test_real_peppol_files_load(warehouse: str, frisk_env: Path, name: str) -> None:
    target = _landing(frisk_env) / name
    target.write_bytes((PEPPOL_DIR / name).read_bytes())
    r = load_invoice(target)
    assert (r["status"], r["outcome"], r["rows_quarantined"]) == ("loaded", "loaded", 0)
    (payable,) = _q(warehouse, "select payable_amount from raw.invoice_documents")[0]
    assert payable == D(r["payable_amount"])


def test_all_real_files_in_one_run(warehouse: str, frisk_env: Path) -> None:
    for p in PEPPOL_DIR.glob("*.xml"):
        (_landing(frisk_env) / p.name).write_bytes(p.read_bytes())
    results = load_pending(run_id="real")
    outcomes = {Path(r["file_name"]).name: r["outcome"] for r in results}
    # base-example.xml and Allowance-example.xml are two different invoices numbered Snippet1 by one supplier:
    # whichever comes second is a conflict. Files load in name order, so Allowance-example.xml wins.
    assert outcomes == {
        "Allowance-example.xml": "loaded",
        "base-creditnote-correction.xml": "loaded",
        "base-example.xml": "conflict",
        "se-creditnote-sek.xml": "loaded",
        "se-invoice-sek.xml": "loaded",
        "vat-category-E.xml": "loaded",
    }
    assert _q(warehouse, "select count(*) from raw.invoice_line_allowance_charges") == [(4,)]
    assert _q(warehouse, "select count(*) from raw.invoice_documents") == [(5,)]
