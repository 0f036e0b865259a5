"""Concurrency: two ingest runs started at the same moment, in two processes, over the same landing files load
every file exactly once (the unique index on audit.batches and the invoice advisory lock decide, not timing)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

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
else:
    from frisk.invoices.load import load_pending
results = [r if isinstance(r, dict) else r.as_dict() for r in load_pending(run_id=sys.argv[2])]
print(json.dumps([{k: r.get(k) for k in ("file_name", "status")} for r in results]))
"""
SOURCES = {"payroll": ("payroll",), "invoices": ("invoices", "payments")}


def _start(go: Path, run_id: str, what: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", RUNNER, str(go), run_id, what], env=dict(os.environ),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.mark.parametrize("what", [
    "payroll",
    pytest.param("invoices", marks=pytest.mark.xfail(strict=True, raises=AssertionError, reason=(
        "invoices: a file the other run archives between pending() and load_file's sha256_file() raises "
        "FileNotFoundError out of frisk.invoices.load.load_path (data stays consistent, but the run crashes)"))),
])
def test_two_runs_at_once_load_each_file_once(what: str, warehouse: str, frisk_env: Path, tmp_path: Path) -> None:
    landing = frisk_env / "data" / "landing"
    demo = tmp_path / "demo"
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
    for p, (_out, err) in zip(procs, outs, strict=True):
        assert p.returncode == 0, err[-3000:]

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
    table = "raw.payroll_absence" if what == "payroll" else "raw.invoice_lines"
    assert fingerprint(warehouse, ("raw",))[table][0] > 0
