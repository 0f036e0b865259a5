"""Ingest against the physical limit: the project's payroll load of absence files versus PostgreSQL's own COPY
(`psql \\copy`) of the same rows from an already-clean CSV, and versus pandas `DataFrame.to_sql`; plus the
ingest's peak memory per size and its scaling. All figures of one size are measured side by side in one run.
"""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import psycopg

from bench.common import WORK, demo_landing, fresh_database, run_measured

COLUMNS = ("employer_org_number, person_key, employment_id, absence_cause_code, absence_category, cause_is_known, "
           "from_date, to_date, extent_pct, hours")


def absence_files(landing: Path) -> list[Path]:
    # employer 1's canonical absence files: the project's own format, the common case
    return sorted((landing / "payroll").glob("absence_*.csv"))


def frisk_load(url: str, files: list[Path]) -> dict:
    code = f"""
import json, time
from frisk.payroll import load_path
t = time.perf_counter(); rows = 0
for f in {[str(f) for f in files]!r}:
    r = load_path(f, conninfo={url!r}, move=False)
    assert r.status == "loaded", r
    rows += r.rows_read
print(json.dumps({{"seconds": time.perf_counter() - t, "rows": rows}}))
"""
    return run_measured(code, env={"FRISK_PSEUDONYM_KEY": "bench-key"})


def export_clean_csv(url: str, target: Path) -> int:
    with psycopg.connect(url) as conn, target.open("wb") as f, conn.cursor() as cur:
        with cur.copy(f"COPY (select {COLUMNS} from raw.payroll_absence) TO STDOUT WITH (FORMAT csv)") as copy:
            for chunk in copy:
                f.write(chunk)
        return conn.execute("select count(*) from raw.payroll_absence").fetchone()[0]


def psql_copy(url: str, csv: Path) -> float:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from pgserver._commands import POSTGRES_BIN_PATH
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("drop table if exists public.copy_target")
        conn.execute("create table public.copy_target as select " + COLUMNS + " from raw.payroll_absence limit 0")
    started = time.perf_counter()
    subprocess.run([str(POSTGRES_BIN_PATH / "psql"), url, "-q", "-c",
                    f"\\copy public.copy_target ({COLUMNS}) from '{csv}' with (format csv)"], check=True)
    return time.perf_counter() - started


def pandas_to_sql(url: str, csv: Path) -> dict:
    code = f"""
import json, time
import pandas as pd
from sqlalchemy import create_engine
engine = create_engine({url.replace("postgresql://", "postgresql+psycopg://", 1)!r})
t = time.perf_counter()
names = [c.strip() for c in {COLUMNS!r}.split(",")]
for chunk in pd.read_csv({str(csv)!r}, names=names, chunksize=100_000):
    chunk.to_sql("pandas_target", engine, schema="public", if_exists="append", index=False, method="multi",
                 chunksize=5_000)  # 10 columns x 5,000 rows stays under the 65,535 bind parameters
print(json.dumps({{"seconds": time.perf_counter() - t}}))
"""
    return run_measured(code)


def run(server: str, sizes: list[int], years: int = 5) -> list[dict]:
    results = []
    for employees in sizes:
        print(f"ingest: {employees} employees x {years} years", flush=True)
        landing = demo_landing(employees, years)
        files = absence_files(landing)
        url = fresh_database(server, f"bench_ingest_{employees}")
        frisk = frisk_load(url, files)
        csv = WORK / f"clean_{employees}.csv"
        rows = export_clean_csv(url, csv)
        copy_s = psql_copy(url, csv)
        pandas = pandas_to_sql(url, csv) if employees <= 50_000 else None  # to_sql at 500k takes far too long
        row = {
            "employees": employees, "years": years, "files": len(files), "rows_read": frisk["rows"],
            "rows_loaded": rows, "frisk_s": round(frisk["seconds"], 2), "copy_s": round(copy_s, 2),
            "pandas_s": round(pandas["seconds"], 2) if pandas else None,
            "frisk_vs_copy": round(frisk["seconds"] / copy_s, 2),
            "pandas_vs_copy": round(pandas["seconds"] / copy_s, 2) if pandas else None,
            "frisk_peak_rss_mb": frisk["peak_rss_mb"],
            "frisk_rows_per_s": round(frisk["rows"] / frisk["seconds"]),
        }
        print("  " + json.dumps(row), flush=True)
        results.append(row)
        csv.unlink(missing_ok=True)
    return results
