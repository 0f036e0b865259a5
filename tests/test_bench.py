"""The benchmark helpers that turn a run into figures: `frisk run` summary parsing, the new-day payroll file, the
disk a build takes and a measured child's peak memory."""

from __future__ import annotations

import csv
import datetime as dt
import os
import shutil
import time
from pathlib import Path

import pytest

from bench import common
from bench.build import _LeastFreeDisk, disk_shortfall, markdown, new_day_file
from bench.common import run_measured
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


def test_least_free_disk_sees_a_file_written_and_removed_inside_the_block(tmp_path: Path) -> None:
    blob = tmp_path / "blob"
    free_before = shutil.disk_usage(tmp_path).free
    with _LeastFreeDisk(tmp_path, every=0.02) as disk:
        with blob.open("wb") as f:
            f.write(os.urandom(64 * 1024 * 1024))
            f.flush()
            os.fsync(f.fileno())
        time.sleep(0.3)  # several samples while the file exists
        blob.unlink()
    # the block's peak, though the file was gone when it ended (other writers on a shared disk may move it a little)
    assert free_before - disk.least >= 48 * 1024 * 1024
    assert not disk._thread.is_alive()


def test_markdown_reports_the_disk_per_size() -> None:
    build = {"seconds": 10.0, "nodes": 3, "node_seconds": 12.0, "slowest": [], "peak_disk_gb": 1.5,
             "database_gb_after": 6.7}
    size = {"employees": 50_000, "years": 5, "raw_rows_total": 1_209_429, "database_gb_loaded": 0.3,
            "disk_free_gb_before_builds": 40.0, "full_night_n": build, "incremental_n1": {**build, "peak_disk_gb": 0.2},
            "full_refresh_n1": build, "incremental_vs_full": 0.1}
    text = markdown({"measured_at": "now", "machine": {"cores": 2, "cpu": "x", "memory_gb": 24, "python": "3.11",
                                                       "load_average": [0, 0, 0]},
                     "sizes": [size], "scaling": []})
    assert ("- 50,000 x 5: loaded 0.3 GB; after night N 6.7 GB (peak +1.5 GB); N+1 incremental 6.7 GB (peak +0.2 GB); "
            "N+1 full refresh 6.7 GB (peak +1.5 GB); 40.0 GB free before the builds") in text


def test_disk_shortfall_scales_the_largest_measured_size(pg_server: str, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    # as in a fresh clone: bench/work is made by the first run, so the free disk is that of the nearest folder
    monkeypatch.setattr(common, "WORK", tmp_path / "bench" / "work")
    free_gb = shutil.disk_usage(tmp_path).free / 1024**3
    small = {"employees": 5_000, "years": 5, "peak_footprint_gb": free_gb * 1000}  # not the reference: smaller
    fits = {"employees": 50_000, "years": 5, "peak_footprint_gb": 0.001}
    assert disk_shortfall(pg_server, [], 500_000, 5) is None  # nothing measured yet: nothing to scale
    assert disk_shortfall(pg_server, [small, fits], 500_000, 5) is None  # 0.01 GB
    other_years = {"employees": 50_000, "years": 2, "peak_footprint_gb": free_gb}
    assert disk_shortfall(pg_server, [fits, other_years], 500_000, 5) is None
    too_big = {"employees": 50_000, "years": 5, "peak_footprint_gb": round(free_gb / 5, 2)}  # x10: twice the disk
    why = disk_shortfall(pg_server, [small, too_big], 500_000, 5)
    assert why is not None
    assert why.startswith(f"500,000 x 5 would need about {too_big['peak_footprint_gb'] * 10:.0f} GB of disk")
    assert "at 50,000, scaled by the employees" in why and "--no-disk-check" in why


def test_run_measured_reports_the_childs_own_peak_not_the_parents() -> None:
    # the parent holds 256 MB (touched, so resident) while the child runs: the child's peak must not include it, as
    # ru_maxrss did (the parent's peak is taken into it at the exec)
    ballast = bytearray(256 * 1024 * 1024)
    ballast[::4096] = b"\x01" * len(ballast[::4096])
    idle = run_measured("import json; print(json.dumps({'ok': 1}))")
    busy = run_measured("import json; x = bytearray(64 * 1024 * 1024); x[::4096] = b'\\x01' * len(x[::4096]); "
                        "print(json.dumps({'ok': 1}))")
    assert ballast[0] == 1 and idle["ok"] == busy["ok"] == 1
    assert idle["peak_rss_mb"] < 100
    assert 64 < busy["peak_rss_mb"] < idle["peak_rss_mb"] + 100
