"""Ingest against the physical limit: the project's payroll load of absence files versus PostgreSQL's own COPY
(`psql \\copy`) of the same rows from an already-clean CSV, and versus pandas `DataFrame.to_sql`; plus the
ingest's peak memory per size and its scaling. All figures of one size are measured side by side in one run.

    .venv/bin/python -m bench.ingest [--sizes 5000 50000 500000] [--repeat 2]

writes bench/results/ingest.md and ingest.json (`make bench` runs the same measurements through bench.run).

Two COPY baselines, both fed the very rows Frisk loaded (all columns, batch_id and line_no included):
  copy_same  into a table defined like raw.payroll_absence: primary key, check constraint and the foreign key to
             audit.batches. What PostgreSQL itself needs to land these rows where Frisk lands them: the headline.
  copy_bare  into a bare heap (no key, no constraint): the floor of the server alone.
`parse_s` is Frisk's parse (sniff, validate, pseudonymise, format) without any database: the Python side alone.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import subprocess
import time
import warnings
from pathlib import Path

import psycopg

from bench.common import RESULTS, WORK, fresh_database, machine, payroll_landing, run_measured, scratch_server

DATA_COLUMNS = ("employer_org_number, person_key, employment_id, absence_cause_code, absence_category, "
                "cause_is_known, from_date, to_date, extent_pct, hours")
COLUMNS = "batch_id, line_no, " + DATA_COLUMNS
TARGETS = {
    "copy_same": """create table public.copy_target (like raw.payroll_absence including all,
                        foreign key (batch_id) references audit.batches (batch_id))""",
    "copy_bare": "create table public.copy_target as select * from raw.payroll_absence limit 0",
}
PANDAS_MAX_EMPLOYEES = 50_000  # to_sql at 500,000 employees would take the better part of an hour


def absence_files(landing: Path) -> list[Path]:
    # employer 1's canonical absence files: the project's own format, the common case
    return sorted((landing / "payroll").glob("absence_*.csv"))


def frisk_load(url: str, files: list[Path], new_connections: bool = False) -> dict:
    """The files loaded one after the other in one process, as `load_pending` does (the loader keeps its
    connection between files); `new_connections`: each file on a new connection, as one Airflow task per file."""
    code = f"""
import json, time
from frisk.loading import connections
from frisk.payroll import load_path
t = time.perf_counter(); rows = loaded = 0
for f in {[str(f) for f in files]!r}:
    r = load_path(f, conninfo={url!r}, move=False)
    assert r.status == "loaded", r
    rows += r.rows_read; loaded += r.rows_loaded
    if {new_connections!r}:
        connections.close()
print(json.dumps({{"seconds": time.perf_counter() - t, "rows": rows, "loaded": loaded}}))
"""
    return run_measured(code, env={"FRISK_PSEUDONYM_KEY": "bench-key"})


def parse_only(files: list[Path]) -> dict:
    """The Python side alone: sniff and parse every file (validation, pseudonymisation, COPY text), no database."""
    code = f"""
import json, time
from pathlib import Path
from frisk.identity import Pseudonymiser
from frisk.payroll.parse import parse
from frisk.payroll.sniff import sniff
t = time.perf_counter(); rows = 0
for f in {[str(f) for f in files]!r}:
    gen = parse(Path(f), sniff(Path(f)), Pseudonymiser(b"bench-key"))
    for _ in gen:
        pass
print(json.dumps({{"seconds": time.perf_counter() - t}}))
"""
    return run_measured(code)


def export_clean_csv(url: str, target: Path) -> int:
    with psycopg.connect(url) as conn, target.open("wb") as f, conn.cursor() as cur:
        with cur.copy(f"COPY (select {COLUMNS} from raw.payroll_absence) TO STDOUT WITH (FORMAT csv)") as copy:
            for chunk in copy:
                f.write(chunk)
        return conn.execute("select count(*) from raw.payroll_absence").fetchone()[0]


def psql_copy(url: str, csv: Path, target: str) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from pgserver._commands import POSTGRES_BIN_PATH
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("drop table if exists public.copy_target")
        conn.execute(TARGETS[target])
        conn.execute("checkpoint")  # start each side from the same clean state of the WAL and buffers
    started = time.perf_counter()
    subprocess.run([str(POSTGRES_BIN_PATH / "psql"), url, "-q", "-v", "ON_ERROR_STOP=1", "-c",
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
                 chunksize=5_000)  # 12 columns x 5,000 rows stays under the 65,535 bind parameters
print(json.dumps({{"seconds": time.perf_counter() - t}}))
"""
    return run_measured(code)


def _checkpoint(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("checkpoint")


def measure_size(server: str, employees: int, years: int = 5, repeat: int = 2) -> dict:
    """Every figure of one size; each timed variant runs `repeat` times and keeps its best (least disturbed) run."""
    landing, how = payroll_landing(employees, years)
    files = absence_files(landing)
    name = f"bench_ingest_{employees}"
    frisk_runs, new_conn_runs = [], []
    for _ in range(repeat):
        for new_connections, runs in ((False, frisk_runs), (True, new_conn_runs)):
            url = fresh_database(server, name)  # an empty warehouse each time: every run loads the same files
            _checkpoint(url)
            runs.append(frisk_load(url, files, new_connections))
    frisk = min(frisk_runs, key=lambda r: r["seconds"])
    new_conn = min(new_conn_runs, key=lambda r: r["seconds"])
    parse = min((parse_only(files) for _ in range(repeat)), key=lambda r: r["seconds"])
    csv = WORK / f"clean_{employees}.csv"
    try:
        rows = export_clean_csv(url, csv)
        copy_same = min(psql_copy(url, csv, "copy_same") for _ in range(repeat))
        copy_bare = min(psql_copy(url, csv, "copy_bare") for _ in range(repeat))
        pandas = pandas_to_sql(url, csv) if employees <= PANDAS_MAX_EMPLOYEES else None
    finally:
        csv.unlink(missing_ok=True)
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'drop database if exists "{name}" with (force)')  # 500k leaves gigabytes otherwise
    seconds = frisk["seconds"]
    return {
        "employees": employees, "years": years, "data": how, "files": len(files), "rows_read": frisk["rows"],
        "rows_loaded": rows, "bytes": sum(f.stat().st_size for f in files),
        "frisk_s": round(seconds, 2), "frisk_runs_s": [round(r["seconds"], 2) for r in frisk_runs],
        "frisk_new_conn_s": round(new_conn["seconds"], 2),
        "frisk_new_conn_vs_copy": round(new_conn["seconds"] / copy_same, 2),
        "copy_s": round(copy_same, 2), "copy_bare_s": round(copy_bare, 2), "parse_s": round(parse["seconds"], 2),
        "pandas_s": round(pandas["seconds"], 2) if pandas else None,
        "frisk_vs_copy": round(seconds / copy_same, 2), "frisk_vs_bare": round(seconds / copy_bare, 2),
        "copy_vs_bare": round(copy_same / copy_bare, 2), "parse_vs_bare": round(parse["seconds"] / copy_bare, 2),
        "pandas_vs_copy": round(pandas["seconds"] / copy_same, 2) if pandas else None,
        "frisk_peak_rss_mb": frisk["peak_rss_mb"], "parse_peak_rss_mb": parse["peak_rss_mb"],
        "frisk_rows_per_s": round(frisk["rows"] / seconds),
    }


def run(server: str, sizes: list[int], years: int = 5, repeat: int = 2) -> list[dict]:
    results = []
    for employees in sizes:
        print(f"ingest: {employees} employees x {years} years", flush=True)
        row = measure_size(server, employees, years, repeat)
        print("  " + json.dumps(row), flush=True)
        results.append(row)
    return results


def markdown(report: dict) -> str:
    rows, m = report["ingest"], report["machine"]
    out = [
        f"# Ingest benchmark ({report['measured_at']})", "",
        f"Machine: {m['cores']} cores ({m['cpu']}), {m['memory_gb']} GB RAM, Linux {m['kernel']}, Python "
        f"{m['python']}, PostgreSQL {m.get('postgres', '?')} (embedded, default settings), load average at start "
        f"{m.get('load_average', '?')} (the machine is shared). Best of {report['repeat']} runs per figure.", "",
        "Employer 1's canonical absence files (one per year) of the demo world; seconds are wall-clock. Data: "
        + "; ".join(f"{r['employees']:,}: {r['data']}" for r in rows) + ".", "",
        "| employees x years | rows | MB | frisk load s | COPY same table s | **frisk / COPY** | frisk, new "
        "connection per file s | / COPY | COPY bare heap s | frisk / bare | parse only s | pandas to_sql s | "
        "pandas / COPY | frisk rows/s | frisk peak RSS MB |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in rows:
        pandas = f"{r['pandas_s']} | {r['pandas_vs_copy']}" if r["pandas_s"] is not None else "n/a | n/a"
        out.append(f"| {r['employees']:,} x {r['years']} | {r['rows_read']:,} | {r['bytes'] / 1e6:.0f} | "
                   f"{r['frisk_s']} | {r['copy_s']} | **{r['frisk_vs_copy']}** | {r.get('frisk_new_conn_s', 'n/a')} | "
                   f"{r.get('frisk_new_conn_vs_copy', 'n/a')} | {r['copy_bare_s']} | "
                   f"{r['frisk_vs_bare']} | {r['parse_s']} | {pandas} | {r['frisk_rows_per_s']:,} | "
                   f"{r['frisk_peak_rss_mb']} |")
    out += ["", "Scaling (goal: 10x the data in at most 10x the time; peak memory at most 1.5x):", ""]
    for a, b in zip(rows, rows[1:], strict=False):
        out.append(f"- {a['employees']:,} -> {b['employees']:,} employees: {b['rows_read'] / a['rows_read']:.1f}x "
                   f"the rows in {b['frisk_s'] / a['frisk_s']:.1f}x the time (COPY: "
                   f"{b['copy_s'] / a['copy_s']:.1f}x); peak memory {b['frisk_peak_rss_mb']:.0f} MB, "
                   f"{b['frisk_peak_rss_mb'] / a['frisk_peak_rss_mb']:.2f}x")
    if len(rows) > 2:
        a, b = rows[0], rows[-1]
        out.append(f"- {a['employees']:,} -> {b['employees']:,} employees: peak memory "
                   f"{b['frisk_peak_rss_mb'] / a['frisk_peak_rss_mb']:.2f}x")
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.ingest")
    parser.add_argument("--sizes", type=int, nargs="+", default=[5_000, 50_000, 500_000])
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--output", default="ingest", help="file name stem under bench/results/")
    args = parser.parse_args(argv)
    WORK.mkdir(parents=True, exist_ok=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    server = scratch_server()
    report = {"measured_at": dt.datetime.now().isoformat(timespec="seconds"), "machine": machine(server),
              "repeat": args.repeat}
    report["ingest"] = run(server, args.sizes, repeat=args.repeat)
    print(write(report, args.output))
    return 0


def write(report: dict, stem: str = "ingest") -> str:
    """bench/results/<stem>.json and .md from a report with machine, repeat and ingest; returns the markdown."""
    (RESULTS / f"{stem}.json").write_text(json.dumps(report, indent=2) + "\n")
    text = markdown(report)
    (RESULTS / f"{stem}.md").write_text(text)
    return text


if __name__ == "__main__":
    raise SystemExit(main())
