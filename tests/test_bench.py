"""The benchmark helpers that turn a run into figures: `frisk run` summary parsing and the new-day payroll file."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

from bench.build import new_day_file
from bench.e2e import PROGRESS_LINE, parse_summary

HEADER = "employer_org_number,personnummer,employment_id,absence_cause,from_date,to_date,extent_pct,hours\n"


def test_parse_summary_reads_dag_seconds_ingest_rows_and_total() -> None:
    # the same f-strings as frisk.pipeline.summary_text and frisk.cli._cmd_run
    text = "\n".join([
        "==> payroll_ingest: success in 11.5 s (log: x)",
        f"  DAG {'payroll_ingest':<26} {'success':<8} {11.5:7.1f} s",
        f"  DAG {'warehouse_build':<26} {'failed':<8} {321.0:7.1f} s",
        f"    {'payroll':<11} {'loaded':<14} files {6:>4}  rows read {503305:>9}  loaded {502118:>9}  "
        f"quarantined {1187:>6}",
        f"    {'model':<12} {'success':<8} {36:>5}",
        "total 400.2 s",
    ])
    parsed = parse_summary(text)
    assert parsed["dags"] == [{"dag": "payroll_ingest", "state": "success", "seconds": 11.5},
                              {"dag": "warehouse_build", "state": "failed", "seconds": 321.0}]
    assert parsed["ingest"] == [{"source": "payroll", "status": "loaded", "files": 6, "rows_read": 503305,
                                 "rows_loaded": 502118, "rows_quarantined": 1187}]
    assert parsed["dbt_nodes"] == [{"type": "model", "status": "success", "count": 36}]
    assert parsed["total_s"] == 400.2
    assert [m[1] for m in PROGRESS_LINE.finditer(text)] == ["payroll_ingest"]


def test_new_day_file_takes_recent_employments_only(tmp_path: Path) -> None:
    source, landing = tmp_path / "source", tmp_path / "landing"
    (source / "payroll").mkdir(parents=True)
    (landing / "payroll").mkdir(parents=True)
    rows = [
        "2120009903,P-RECENT-1,1,SJK,2026-11-10,2026-11-12,100,8.00",
        "2120009903,P-RECENT-1,1,SJK,2026-11-15,2026-11-15,50,4.00",  # same employment: once
        "2120009903,P-OPEN,2,SJK,2026-11-01,,100,8.00",  # open absence: from_date counts
        "2120009903,P-OLD,3,SJK,2026-01-10,2026-01-12,100,8.00",  # long ago: maybe no longer employed
        "2120009903,P-BAD,4,SJK,not-a-date,,100,8.00",  # malformed rows are skipped
    ]
    (source / "payroll" / "absence_2120009903_2026.csv").write_text(HEADER + "\n".join(rows) + "\n")
    path, n = new_day_file(source, landing, dt.date(2026, 11, 22), count=10)
    assert path == landing / "payroll" / "absence_2120009903_2026-11-22.csv"
    with path.open(newline="") as f:
        out = list(csv.DictReader(f))
    assert n == 2
    assert [r["personnummer"] for r in out] == ["P-RECENT-1", "P-OPEN"]
    assert {(r["from_date"], r["to_date"], r["absence_cause"]) for r in out} == {("2026-11-22", "2026-11-22", "SJK")}
    assert new_day_file(source, landing, dt.date(2026, 11, 22), count=1)[1] == 1
