"""One nightly run of every DAG in dependency order, and the summary a data engineer reads afterwards.

`frisk run` = start the warehouse, migrate Airflow's metadata, make demo data when the landing folder is empty,
run payroll_ingest, invoice_ingest, public_statistics_ingest, warehouse_build and meeting_extract (each with
`dag.test()` in its own process, logs under FRISK_HOME/logs/), then print what happened from the audit tables.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from frisk import warehouse
from frisk.config import LANDING_SOURCES, settings

DAG_ORDER = (
    "payroll_ingest", "invoice_ingest", "public_statistics_ingest", "warehouse_build", "meeting_extract",
    "warehouse_maintenance",
)

# A DAG is skipped in `frisk run` when a DAG it needs failed in the same run.
REQUIRES = {"meeting_extract": ("warehouse_build",)}


@dataclass
class DagOutcome:
    dag_id: str
    state: str
    seconds: float
    log_file: Path


@dataclass
class RunReport:
    started_at: dt.datetime
    dags: list[DagOutcome] = field(default_factory=list)
    demo_generated: bool = False

    @property
    def ok(self) -> bool:
        return all(d.state == "success" for d in self.dags)


def landing_is_empty(landing: Path) -> bool:
    return not any(
        p.is_file() and not p.name.startswith(".")
        for source in LANDING_SOURCES
        for p in (landing / source).glob("*")
    )


def _say(msg: str) -> None:
    print(f"==> {msg}", flush=True)


def prepare(echo=_say) -> dict[str, str]:
    """Warehouse up, migrations applied, Airflow metadata migrated. Returns the Airflow environment."""
    from frisk.airflow_env import airflow_bin, airflow_environ

    url = warehouse.up()
    echo(f"warehouse ready: {url}")
    env = {**os.environ, **airflow_environ()}
    t = time.monotonic()
    proc = subprocess.run([str(airflow_bin()), "db", "migrate"], env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout[-4000:] + proc.stderr[-4000:])
        raise SystemExit("airflow db migrate failed")
    echo(f"airflow metadata ready ({time.monotonic() - t:.1f} s)")
    return env


def run_dag(dag_id: str, env: dict[str, str], log_dir: Path, logical_date: str | None = None) -> DagOutcome:
    log_dir.mkdir(parents=True, exist_ok=True)
    log_file = log_dir / f"{dag_id}.log"
    started = time.monotonic()
    cmd = [sys.executable, "-m", "frisk.dag_runner", dag_id]
    if logical_date:
        cmd += ["--logical-date", logical_date]
    with log_file.open("w", encoding="utf-8") as log:
        proc = subprocess.run(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)
    state = "success" if proc.returncode == 0 else "failed"
    return DagOutcome(dag_id, state, time.monotonic() - started, log_file)


def run_all(landing: Path | None = None, demo_employees: int = 2000, demo_years: int = 3,
            logical_date: str | None = None) -> RunReport:
    """One nightly run. `logical_date` (ISO) pins the night, so running a past night again gives that night's marts
    (the build's as-of date is the logical date in Europe/Stockholm); default: now."""
    if landing is not None:
        os.environ["FRISK_LANDING_DIR"] = str(Path(landing).resolve())
    cfg = settings()
    report = RunReport(started_at=dt.datetime.now(dt.UTC))
    env = prepare()
    # Demo data only for a landing folder that never received anything (nothing waiting, nothing archived).
    if landing_is_empty(cfg.landing_dir) and landing_is_empty(cfg.archive_dir):
        from frisk.demo import generate

        t = time.monotonic()
        summary = generate(cfg.landing_dir, employees=demo_employees, years=demo_years, seed=42)
        report.demo_generated = True
        _say(f"demo landing data generated in {cfg.landing_dir} ({time.monotonic() - t:.1f} s): "
             + ", ".join(f"{k} {v}" for k, v in summary.items() if isinstance(v, int | float)))
    log_dir = cfg.home / "logs" / report.started_at.strftime("%Y%m%dT%H%M%S")
    for dag_id in DAG_ORDER:
        failed_need = [d.dag_id for d in report.dags if d.dag_id in REQUIRES.get(dag_id, ()) and d.state != "success"]
        if failed_need:
            # nothing new to extract from: the marts were not published tonight (yesterday's stay in place)
            report.dags.append(DagOutcome(dag_id, "skipped", 0.0, log_dir / f"{dag_id}.log"))
            _say(f"{dag_id}: skipped, because {', '.join(failed_need)} failed")
            continue
        _say(f"running DAG {dag_id} ...")
        outcome = run_dag(dag_id, env, log_dir, logical_date)
        report.dags.append(outcome)
        _say(f"{dag_id}: {outcome.state} in {outcome.seconds:.1f} s (log: {outcome.log_file})")
    return report


def _rows(conn, sql: str, params: tuple = ()) -> list[tuple]:
    try:
        return conn.execute(sql, params).fetchall()
    except Exception:  # a table another part has not created yet: report nothing rather than fail the summary
        conn.rollback()
        return []


def summary_text(report: RunReport) -> str:
    cfg = settings()
    since = report.started_at
    lines = ["", "=" * 78, "Frisk nightly run: summary", "=" * 78]
    for d in report.dags:
        lines.append(f"  DAG {d.dag_id:<26} {d.state:<8} {d.seconds:7.1f} s")
    with warehouse.connect() as conn:
        lines.append("")
        lines.append("  Ingest (files and rows per source since the run started)")
        rows = _rows(conn, """
            select source, status, count(*), coalesce(sum(rows_read), 0), coalesce(sum(rows_loaded), 0),
                   coalesce(sum(rows_quarantined), 0)
            from audit.batches where started_at >= %s group by source, status order by source, status""", (since,))
        if not rows:
            lines.append("    no new files (everything in landing was already loaded)")
        for source, status, files, read, loaded, quarantined in rows:
            lines.append(f"    {source:<11} {status:<14} files {files:>4}  rows read {read:>9}  "
                         f"loaded {loaded:>9}  quarantined {quarantined:>6}")
        nodes = _rows(conn, """
            select resource_type, status, count(*) from audit.dbt_nodes where finished_at >= %s
            group by resource_type, status order by resource_type, status""", (since,))
        if nodes:
            lines.append("")
            lines.append("  Warehouse build (dbt nodes)")
            for rtype, status, n in nodes:
                lines.append(f"    {rtype:<12} {status:<8} {n:>5}")
        checks = _rows(conn, """
            select severity, success, count(*) from audit.checks where checked_at >= %s
            group by severity, success order by severity, success""", (since,))
        if checks:
            lines.append("")
            lines.append("  Quality checks (Great Expectations)")
            for severity, success, n in checks:
                lines.append(f"    {severity:<9} {'passed' if success else 'FAILED':<7} {n:>5}")
        builds = _rows(conn, "select run_id, status, message from audit.builds where started_at >= %s", (since,))
        for run_id, status, message in builds:
            lines.append(f"    build {run_id}: {status}{' - ' + message if message else ''}")
    manifests = sorted(cfg.outbox_dir.glob("**/manifest.json")) if cfg.outbox_dir.exists() else []
    fresh = [m for m in manifests if dt.datetime.fromtimestamp(m.stat().st_mtime, dt.UTC) >= since]
    files = 0
    for m in fresh:
        with contextlib.suppress(OSError, ValueError):
            files += len(json.loads(m.read_text(encoding="utf-8")).get("files", []))
    lines.append("")
    lines.append(f"  Meeting extracts: {len(fresh)} pack(s), {files} file(s) written")
    lines.append("")
    lines.append("  Where to look")
    lines.append(f"    warehouse URL  {warehouse.server_url('warehouse')}")
    lines.append(f"    landing        {cfg.landing_dir}")
    lines.append(f"    outbox         {cfg.outbox_dir}")
    from frisk.dbt_runner import docs_index

    dbt_docs = docs_index()
    lines.append(f"    dbt docs       {dbt_docs or '(not built)'}")
    gx_docs = _gx_docs_index()
    lines.append(f"    GX Data Docs   {gx_docs or '(not built)'}")
    lines.append(f"    DAG logs       {report.dags[0].log_file.parent if report.dags else '-'}")
    lines.append("")
    lines.append("  RESULT: " + ("OK, every DAG succeeded" if report.ok else
                                 "FAILED: " + ", ".join(d.dag_id for d in report.dags if d.state != "success")))
    lines.append("=" * 78)
    return "\n".join(lines)


def _gx_docs_index() -> Path | None:
    try:
        from frisk.quality import data_docs_index  # provided by the quality gates
    except ImportError:
        return None
    try:
        return data_docs_index()
    except Exception:
        return None
