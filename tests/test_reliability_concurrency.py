"""Concurrency: two ingest runs started at the same moment, in two processes, over the same landing files load
every file exactly once (the unique index on audit.batches and the invoice advisory lock decide, not timing)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from tests.bad_inputs import FK_HEADER, FK_ROWS, _workbook
from tests.reliability_support import data_lines, fingerprint, generate_demo

pytestmark = pytest.mark.slow

# Both processes wait for the same go file, so they really start together, then load every pending file.
RUNNER = """
import json, sys, time
from pathlib import Path
go = Path(sys.argv[1])
while not go.exists():
    time.sleep(0.001)
if sys.argv[3] == "payroll":
    from frisk.payroll.load import load_pending
elif sys.argv[3] == "invoices":
    from frisk.invoices.load import load_pending
else:  # FK Excel files dropped by hand into landing/statistics
    from frisk.statistics.load import load_pending
results = [r if isinstance(r, dict) else r.as_dict() for r in load_pending(run_id=sys.argv[2])]
print(json.dumps([{k: r.get(k) for k in ("file_name", "status")} for r in results]))
"""
SOURCES = {"payroll": ("payroll",), "invoices": ("invoices", "payments"), "statistics": ("statistics",)}
TABLES = {"payroll": "raw.payroll_absence", "invoices": "raw.invoice_lines", "statistics": "raw.fk_statistics"}
FK_DROPS = 12


def _fk_drops(target: Path) -> None:
    """Manual FK drops: small workbooks, each with other values (so each has its own SHA-256)."""
    target.mkdir(parents=True)
    for i in range(FK_DROPS):
        rows = [[*r[:6], round(r[6] + i / 10, 1)] for r in FK_ROWS]
        _workbook([("Data", [FK_HEADER, *rows])])(target / f"fk_drop_{i:02d}.xlsx")


def _start(go: Path, run_id: str, what: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", RUNNER, str(go), run_id, what], env=dict(os.environ),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.mark.parametrize("what", ["payroll", "invoices", "statistics"])
def test_two_runs_at_once_load_each_file_once(what: str, warehouse: str, frisk_env: Path, tmp_path: Path) -> None:
    """A file the other run moved away between `pending()` and the read is skipped by frisk.load_guard (before
    the fix it raised FileNotFoundError out of the invoice and statistics loaders)."""
    landing = frisk_env / "data" / "landing"
    demo = tmp_path / "demo"
    if what == "statistics":
        _fk_drops(demo / "statistics")
    else:
        generate_demo(demo, employees=400)
    files = []
    for source in SOURCES[what]:
        for f in sorted((demo / source).iterdir()):
            files.append(landing / source / f.name)
            files[-1].write_bytes(f.read_bytes())
    expected_rows = sum(data_lines(p) for p in files if p.suffix == ".csv")

    go = tmp_path / "go"
    procs = [_start(go, "run-a", what), _start(go, "run-b", what)]
    go.touch()
    outs = [p.communicate(timeout=300) for p in procs]
    reported: dict[str, list[str]] = {}
    for p, (out, err) in zip(procs, outs, strict=True):
        assert p.returncode == 0, err[-3000:]
        for r in json.loads(out.strip().splitlines()[-1]):
            reported.setdefault(r["file_name"], []).append(r["status"])
    # each file is reported loaded by exactly one run: the run that committed it also says so, even when the other
    # run moved the file away in the instant between that commit and its own archive step
    assert {f: st.count("loaded") for f, st in reported.items()} == {p.name: 1 for p in files}, reported

    with psycopg.connect(warehouse) as conn:
        per_file = conn.execute(
            """select file_name, count(*) filter (where status = 'loaded'), count(*)
               from audit.batches group by file_name""").fetchall()
        runs = {r for (r,) in conn.execute("select distinct run_id from audit.batches")}
        csv_rows = conn.execute("select coalesce(sum(rows_read), 0) from audit.batches "
                                "where file_name like '%%.csv'").fetchone()[0]
    # every file has exactly one batch, and it is loaded: the other run skipped it or never saw it
    assert sorted(f for f, _, _ in per_file) == sorted(p.name for p in files)
    assert all((loaded, total) == (1, 1) for _, loaded, total in per_file), per_file
    assert csv_rows == expected_rows  # rows in: every data line of every delimited file, read once
    assert not [p for p in landing.rglob("*") if p.is_file()]
    archived = [p.name.split("__", 1)[1] for p in (frisk_env / "data" / "archive").rglob("*") if p.is_file()]
    assert sorted(archived) == sorted(p.name for p in files)  # each file archived once, none lost
    assert runs <= {"run-a", "run-b"}
    assert fingerprint(warehouse, ("raw",))[TABLES[what]][0] > 0
    if what == "statistics":
        assert fingerprint(warehouse, ("raw",))[TABLES[what]][0] == FK_DROPS * len(FK_ROWS)
