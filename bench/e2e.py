"""End to end: one `frisk run` (every DAG, dag.test() in its own process) for a municipality of a given size.

    .venv/bin/python -m bench.e2e [--employees 50000] [--years 2]

The run gets its own FRISK_HOME (embedded PostgreSQL, Airflow home, logs), landing, archive and outbox under
bench/work/e2e_<employees>x<years>/, all made fresh. The demo landing tree is generated once per size (cached in
bench/work/demo_<employees>x<years>/, not part of the timed run) and copied into the run's landing folder, so the
run never generates data itself. Each stage's seconds come from the run's own summary (`frisk run` prints the
per-DAG seconds); rows loaded per source from its ingest lines. Writes bench/results/e2e.md and e2e.json.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from bench import common

# Lines of pipeline.summary_text we read back: "  DAG payroll_ingest    success     12.3 s" and
# "    payroll     loaded         files    5  rows read    123  loaded    120  quarantined      3".
DAG_LINE = re.compile(r"^\s+DAG (\S+)\s+(\S+)\s+([\d.]+) s$")
INGEST_LINE = re.compile(r"^\s+(\S+)\s+(\S+)\s+files\s+(\d+)\s+rows read\s+(\d+)\s+loaded\s+(\d+)\s+"
                         r"quarantined\s+(\d+)$")
PROGRESS_LINE = re.compile(r"^==> (\S+): (success|failed) in ([\d.]+) s", re.MULTILINE)
RUNNING_LINE = re.compile(r"^==> running DAG (\S+) \.\.\.", re.MULTILINE)
TOTAL_LINE = re.compile(r"^total ([\d.]+) s$")
NODE_LINE = re.compile(r"^\s+(model|test|seed|unit_test|snapshot)\s+(\S+)\s+(\d+)$")


def parse_summary(text: str) -> dict:
    """The per-DAG seconds, ingest counts, dbt node counts and total from `frisk run`'s output."""
    dags, ingest, nodes, total = [], [], [], None
    for line in text.splitlines():
        if m := DAG_LINE.match(line):
            dags.append({"dag": m[1], "state": m[2], "seconds": float(m[3])})
        elif m := INGEST_LINE.match(line):
            ingest.append({"source": m[1], "status": m[2], "files": int(m[3]), "rows_read": int(m[4]),
                           "rows_loaded": int(m[5]), "rows_quarantined": int(m[6])})
        elif m := NODE_LINE.match(line):
            nodes.append({"type": m[1], "status": m[2], "count": int(m[3])})
        elif m := TOTAL_LINE.match(line.strip()):
            total = float(m[1])
    return {"dags": dags, "ingest": ingest, "dbt_nodes": nodes, "total_s": total}


def _landing_size(landing: Path) -> dict:
    files = [p for p in landing.rglob("*") if p.is_file()]
    return {"files": len(files), "mb": round(sum(p.stat().st_size for p in files) / 1e6, 1),
            "per_folder": {d.name: len([p for p in d.iterdir() if p.is_file()])
                           for d in sorted(landing.iterdir()) if d.is_dir()}}


def run(employees: int = 50_000, years: int = 2, seed: int = 7, timeout_s: int = 3600) -> dict:
    source = common.demo_landing(employees, years, seed)
    work = common.WORK / f"e2e_{employees}x{years}"
    if work.exists():
        # a previous run's embedded server may still hold the data folder
        _down(work)
        shutil.rmtree(work)
    landing = work / "landing"
    shutil.copytree(source, landing)
    size = _landing_size(landing)
    env = {**os.environ, "FRISK_HOME": str(work / "home"), "FRISK_LANDING_DIR": str(landing),
           "FRISK_OUTBOX_DIR": str(work / "outbox")}
    for var in ("FRISK_WAREHOUSE_URL", "FRISK_AS_OF_DATE"):
        env.pop(var, None)
    log = work / "frisk_run.log"
    print(f"  e2e: frisk run for {employees:,} employees x {years} years ({size['files']} files, {size['mb']} MB);"
          f" output in {log}", flush=True)
    started = time.monotonic()
    timed_out = False
    with log.open("w", encoding="utf-8") as out:
        # its own session, so a run over the time limit is stopped with every DAG process it started
        proc = subprocess.Popen([sys.executable, "-m", "frisk.cli", "run", "--landing", str(landing)], env=env,
                                stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            timed_out = True
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=60)
    wall = time.monotonic() - started
    text = log.read_text(encoding="utf-8", errors="replace")
    parsed = parse_summary(text)
    if not parsed["dags"]:
        # no summary (the run was stopped): the DAGs that finished, from the progress lines
        parsed["dags"] = [{"dag": m[1], "state": m[2], "seconds": float(m[3])} for m in PROGRESS_LINE.finditer(text)]
        running = RUNNING_LINE.findall(text)
        if running and running[-1] not in {d["dag"] for d in parsed["dags"]}:
            done_s = sum(d["seconds"] for d in parsed["dags"])
            parsed["dags"].append({"dag": running[-1], "state": "stopped" if timed_out else "unfinished",
                                   "seconds": round(wall - done_s, 1)})
    # how long the run spent before the first DAG (warehouse start, migrations, airflow db migrate)
    dag_sum = sum(d["seconds"] for d in parsed["dags"])
    result = {"employees": employees, "years": years, "landing": size, "returncode": proc.returncode,
              "timed_out": timed_out, "timeout_s": timeout_s, "wall_s": round(wall, 1), "dag_sum_s": round(dag_sum, 1),
              "setup_s": round((parsed["total_s"] or wall) - dag_sum, 1), **parsed,
              "machine": common.machine()}
    _down(work)
    result["markdown"] = markdown(result)
    common.RESULTS.mkdir(parents=True, exist_ok=True)
    (common.RESULTS / "e2e.json").write_text(json.dumps(result, indent=2, default=str) + "\n")
    (common.RESULTS / "e2e.md").write_text(
        f"# End to end: one `frisk run`\n\nReproduce: `.venv/bin/python -m bench.e2e --employees {employees} "
        f"--years {years}`\n\n{result['markdown']}\n")
    return result


def _down(work: Path) -> None:
    env = {**os.environ, "FRISK_HOME": str(work / "home")}
    env.pop("FRISK_WAREHOUSE_URL", None)
    subprocess.run([sys.executable, "-m", "frisk.cli", "down"], env=env, capture_output=True, timeout=120)


def markdown(r: dict) -> str:
    total = r["total_s"] or r["wall_s"]
    m = r["machine"]
    lines = [f"Machine: {m['cores']} cores ({m['cpu']}), {m['memory_gb']} GB RAM, Python {m['python']}, "
             f"load average at the end {m['load_average']}.",
             f"Data: demo generator, {r['employees']:,} employees x {r['years']} years (two employers), "
             f"{r['landing']['files']} landing files, {r['landing']['mb']} MB "
             f"({', '.join(f'{k} {v}' for k, v in r['landing']['per_folder'].items())}).",
             f"`frisk run` exit code {r['returncode']}; total {total:.1f} s "
             f"({total / 60:.1f} min), of which {r['setup_s']:.1f} s before the first DAG "
             "(warehouse start, migrations, `airflow db migrate`)."
             + (f" **Stopped after {r['timeout_s']} s, before it finished.**" if r.get("timed_out") else ""), "",
             "| stage (DAG) | state | seconds | share of total |", "| --- | --- | ---: | ---: |"]
    for d in r["dags"]:
        lines.append(f"| {d['dag']} | {d['state']} | {d['seconds']:.1f} | {d['seconds'] / total:.0%} |")
    lines.append(f"| (set-up before the DAGs) | | {r['setup_s']:.1f} | {r['setup_s'] / total:.0%} |")
    lines += ["", "| source | status | files | rows read | rows loaded | quarantined |",
              "| --- | --- | ---: | ---: | ---: | ---: |"]
    for i in r["ingest"]:
        lines.append(f"| {i['source']} | {i['status']} | {i['files']} | {i['rows_read']:,} | {i['rows_loaded']:,} | "
                     f"{i['rows_quarantined']:,} |")
    loaded = sum(i["rows_loaded"] for i in r["ingest"])
    lines.append(f"| **all** | | {sum(i['files'] for i in r['ingest'])} | "
                 f"{sum(i['rows_read'] for i in r['ingest']):,} | **{loaded:,}** | "
                 f"{sum(i['rows_quarantined'] for i in r['ingest']):,} |")
    if r["dbt_nodes"]:
        lines += ["", "dbt nodes: " + ", ".join(f"{n['type']} {n['status']} {n['count']}" for n in r["dbt_nodes"])]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="bench.e2e")
    ap.add_argument("--employees", type=int, default=50_000)
    ap.add_argument("--years", type=int, default=2)
    ap.add_argument("--timeout", type=int, default=3600, help="stop the run after this many seconds")
    ap.add_argument("--keep", action="store_true", help="keep bench/work/e2e_* (default: delete it afterwards)")
    args = ap.parse_args(argv)
    common.RESULTS.mkdir(parents=True, exist_ok=True)
    r = run(args.employees, args.years, timeout_s=args.timeout)
    print(r["markdown"])
    if not args.keep:
        shutil.rmtree(common.WORK / f"e2e_{args.employees}x{args.years}", ignore_errors=True)
    return 0 if r["returncode"] == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
