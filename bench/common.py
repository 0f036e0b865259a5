"""Shared pieces of the benchmarks: a scratch embedded PostgreSQL, demo data per size, machine description."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import psycopg

BENCH_DIR = Path(__file__).resolve().parent
WORK = BENCH_DIR / "work"
RESULTS = BENCH_DIR / "results"


def machine() -> dict:
    mem_kb = 0
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal"):
                mem_kb = int(line.split()[1])
    cpu = "unknown"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return {"cores": os.cpu_count(), "memory_gb": round(mem_kb / 1024 / 1024, 1), "cpu": cpu,
            "python": platform.python_version(), "kernel": platform.release()}


def scratch_server() -> str:
    """URL (postgres database) of the benchmark's own embedded server under bench/work/home."""
    os.environ["FRISK_HOME"] = str(WORK / "home")
    os.environ.pop("FRISK_WAREHOUSE_URL", None)
    from frisk import warehouse

    return warehouse.server_url("postgres")


def fresh_database(server: str, name: str) -> str:
    from frisk.warehouse import _with_database, migrate

    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'drop database if exists "{name}" with (force)')
        conn.execute(f'create database "{name}"')
    url = _with_database(server, name)
    migrate(url)
    return url


def demo_landing(employees: int, years: int = 5, seed: int = 7) -> Path:
    """Generate (once, cached) the demo landing tree for a size."""
    landing = WORK / f"demo_{employees}x{years}" / "landing"
    done = landing.parent / ".done"
    if not done.exists():
        from frisk.demo import generate

        started = time.monotonic()
        summary = generate(landing, employees=employees, years=years, seed=seed)
        summary["seconds"] = round(time.monotonic() - started, 1)
        done.write_text(json.dumps(summary, default=str))
        print(f"  generated demo data for {employees} employees x {years} years in {summary['seconds']} s",
              flush=True)
    return landing


def run_measured(code: str, env: dict | None = None) -> dict:
    """Run Python code in a fresh interpreter; it must print one JSON object. Adds peak RSS in MB."""
    wrapper = code + (
        "\nimport resource, json as _j\n"
        "print('PEAK_RSS_MB', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)\n"
    )
    proc = subprocess.run([sys.executable, "-c", wrapper], capture_output=True, text=True,
                          env={**os.environ, **(env or {})})
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr[-1500:])
    result: dict = {}
    for line in proc.stdout.splitlines():
        if line.startswith("PEAK_RSS_MB"):
            result["peak_rss_mb"] = round(float(line.split()[1]), 1)
        elif line.startswith("{"):
            result.update(json.loads(line))
    return result
