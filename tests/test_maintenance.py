"""Retention and the privacy scan, on a real PostgreSQL and real files."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import psycopg
from fpdf import FPDF

from frisk.maintenance.privacy_scan import scan, scan_database, scan_files
from frisk.maintenance.retention import purge
from tests.conftest import sample_personnummer

PNR = sample_personnummer(0)
KEY = "a" * 64


def _batch(conn) -> int:
    return conn.execute(
        "insert into audit.batches (source, entity, file_name, file_sha256, delivery_key, status) "
        "values ('payroll', 'absence', 'f.csv', 'x', 'f.csv', 'loaded') returning batch_id").fetchone()[0]


def test_retention_purges_old_rows_and_audits(warehouse: str) -> None:
    with psycopg.connect(warehouse) as conn:
        b = _batch(conn)
        rows = [(1, "2018-01-01", "2018-01-05"), (2, "2024-03-01", "2024-03-03"), (3, "2015-01-01", None)]
        for line, start, end in rows:
            conn.execute(
                "insert into raw.payroll_absence (batch_id, line_no, employer_org_number, person_key, "
                "employment_id, absence_cause_code, absence_category, cause_is_known, from_date, to_date, "
                "extent_pct) values (%s, %s, '2120009903', %s, 'E1', 'SJK', 'sick_leave', true, %s, %s, 100)",
                (b, line, KEY, start, end))
        conn.commit()
    result = purge(today=dt.date(2026, 11, 22), conninfo=warehouse, run_id="t1")
    absence = next(r for r in result if r["table"] == "raw.payroll_absence")
    assert absence == {"table": "raw.payroll_absence", "cutoff_date": "2021-11-22", "rows_removed": 1}
    with psycopg.connect(warehouse) as conn:
        left = sorted(r[0] for r in conn.execute("select line_no from raw.payroll_absence"))
        assert left == [2, 3]  # the recent row and the open-ended one stay
        audit = conn.execute("select table_name, rows_removed from audit.retention_runs "
                             "where table_name = 'raw.payroll_absence'").fetchall()
        assert audit == [("raw.payroll_absence", 1)]


def test_scan_finds_a_leak_in_a_table_and_names_the_column(warehouse: str) -> None:
    assert scan_database(warehouse) == []
    with psycopg.connect(warehouse) as conn:
        b = _batch(conn)
        conn.execute("insert into quarantine.rows (batch_id, source, file_name, reason) "
                     "values (%s, 'payroll', 'f.csv', %s)", (b, f"bad row for {PNR}"))
        # hex keys and hashes with long digit runs are not numbers
        conn.execute("insert into quarantine.rows (batch_id, source, file_name, reason) "
                     "values (%s, 'payroll', 'f.csv', %s)", (b, "key ab" + PNR.replace("-", "") + "cd"))
    hits = scan_database(warehouse)
    assert [(h.where, h.count) for h in hits] == [("quarantine.rows.reason", 1)]
    assert PNR not in str(hits[0])


def test_scan_reads_logs_workbooks_and_pdfs(tmp_path: Path) -> None:
    clean, dirty = tmp_path / "clean", tmp_path / "dirty"
    clean.mkdir()
    dirty.mkdir()
    (clean / "run.log").write_text("loaded 120 rows, org 2120009903, batch 19\n")
    (dirty / "run.log").write_text(f"line 3: {PNR}\n")
    wb = openpyxl.Workbook()
    wb.active["B2"] = PNR.replace("-", "")
    wb.save(dirty / "pack.xlsx")
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.cell(text=f"Person {PNR}")
    pdf.output(str(dirty / "summary.pdf"))
    assert scan_files([clean]) == []
    where = sorted(h.where for h in scan_files([dirty]))
    assert any(w.endswith("run.log") for w in where)
    assert any("pack.xlsx!" in w for w in where)
    assert any("summary.pdf page 1" in w for w in where)


def test_scan_covers_everything_by_default(warehouse: str, frisk_env: Path, monkeypatch) -> None:
    monkeypatch.setenv("FRISK_HOME", str(frisk_env / "home"))
    logs = frisk_env / "home" / "logs"
    logs.mkdir(parents=True)
    (logs / "x.log").write_text(f"oops {PNR}")
    hits = scan(warehouse)
    assert [Path(h.where).name for h in hits] == ["x.log"]
