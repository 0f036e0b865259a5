"""The generic loader: one transaction per file, once per SHA-256, rows in = loaded + quarantined."""

from __future__ import annotations

from pathlib import Path

import psycopg

from frisk.loading import FileInfo, FileRejected, Quarantined, Row, load_file
from tests.conftest import sample_personnummer

COLUMNS = {"raw.payments": ("line_no", "invoice_number", "supplier_org_number", "paid_date", "amount")}


def _parse(path: Path, info: FileInfo):
    n = 0
    for n, line in enumerate(path.read_text().splitlines()[1:], start=2):
        inv, amount = line.split(";")
        if not amount.replace(".", "").isdigit():
            yield Quarantined(n, "belopp", f"not a number: {amount!r}", {"fakturanummer": inv})
        else:
            yield Row("raw.payments", (n, inv, "5560360793", "2025-01-31", amount))
    return n - 1


def _sniff(path: Path) -> FileInfo:
    if "garbage" in path.read_text():
        raise FileRejected("line 1: header not recognised")
    return FileInfo(entity="payment")


def _load(path: Path, url: str, move: bool = True):
    return load_file(path, source="payments", columns=COLUMNS, primary_table="raw.payments",
                     sniff=_sniff, parse=_parse, conninfo=url, move=move)


def test_load_quarantine_skip_and_reject(warehouse: str, frisk_env: Path) -> None:
    landing = frisk_env / "data" / "landing" / "payments"
    f = landing / "pay.csv"
    f.write_text("fakturanummer;belopp\nA1;100.00\nA2;x12\nA3;50.50\n")
    r = _load(f, warehouse)
    assert (r.status, r.rows_read, r.rows_loaded, r.rows_quarantined) == ("loaded", 3, 2, 1)
    assert not f.exists() and Path(r.moved_to).exists()

    f.write_text("fakturanummer;belopp\nA1;100.00\nA2;x12\nA3;50.50\n")  # the same bytes again
    assert _load(f, warehouse).status == "skipped"

    bad = landing / "bad.csv"
    bad.write_text("garbage " + sample_personnummer(0))
    r = _load(bad, warehouse)
    assert r.status == "rejected" and "header" in r.error
    error_txt = Path(r.moved_to + ".error.txt").read_text()
    assert "line 1" in error_txt

    with psycopg.connect(warehouse) as conn:
        assert conn.execute("select count(*) from raw.payments").fetchone()[0] == 2
        q = conn.execute("select line_no, field, reason from quarantine.rows").fetchall()
        assert q == [(3, "belopp", "not a number: 'x12'")]
        statuses = conn.execute("select status from audit.batches order by batch_id").fetchall()
        assert [s for (s,) in statuses] == ["loaded", "rejected"]
