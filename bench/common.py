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


def machine(server: str | None = None) -> dict:
    """Cores, memory, CPU, versions and the load average when the run started (the machine may be shared)."""
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
    info = {"cores": os.cpu_count(), "memory_gb": round(mem_kb / 1024 / 1024, 1), "cpu": cpu,
            "python": platform.python_version(), "kernel": platform.release(),
            "load_average": [round(x, 2) for x in os.getloadavg()]}
    if server:
        with psycopg.connect(server) as conn:
            info["postgres"] = conn.execute("show server_version").fetchone()[0]
    return info


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


def clone_database(server: str, template: str, name: str) -> str:
    """`name` dropped and made again as a file copy of `template` (which must have no sessions); its URL."""
    from frisk.warehouse import _with_database

    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'drop database if exists "{name}" with (force)')
        conn.execute(f'create database "{name}" template "{template}" strategy file_copy')
    return _with_database(server, name)


def rename_database(server: str, name: str, new_name: str) -> None:
    """`name` renamed to `new_name` (dropped first if it exists). Sessions on `name` are ended: this process's
    loaders may keep a pooled one, and autovacuum may have started there."""
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'drop database if exists "{new_name}" with (force)')
        conn.execute("select pg_terminate_backend(pid) from pg_stat_activity where datname = %s and pid <> "
                     "pg_backend_pid()", (name,))
        conn.execute(f'alter database "{name}" rename to "{new_name}"')


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


def payroll_landing(employees: int, years: int = 5, seed: int = 7) -> tuple[Path, str]:
    """(landing folder, how it was made) with employer 1's payroll files for `employees` employments.

    Up to `frisk.demo.MAX_EMPLOYEES` (about 225,000: what Skatteverket's test-number ranges hold, see
    frisk/demo/personnummer.py) that is the demo generator's own output. Above, the smallest number of tiles of at
    most that size is used: the demo world of employees / tiles is repeated `tiles` times into each file, every
    tile's employment ids made distinct (so no row repeats) and rows kept grouped per employee. A person comes back
    one tile (millions of rows) later; the loader's caches (10,000 entries) have long forgotten them by then, so
    each costs the same validation and HMAC as a new person would.
    """
    from frisk.demo import MAX_EMPLOYEES

    if employees <= MAX_EMPLOYEES:
        return demo_landing(employees, years, seed), "demo generator"
    tiles = -(-employees // MAX_EMPLOYEES)
    base_size = employees // tiles
    base = demo_landing(base_size, years, seed)
    landing = WORK / f"tiled_{employees}x{years}_{tiles}" / "landing"
    done = landing.parent / ".done"
    how = f"demo generator at {base_size:,} distinct employees, tiled {tiles}x"
    if not done.exists():
        started = time.monotonic()
        (landing / "payroll").mkdir(parents=True, exist_ok=True)
        for source in sorted((base / "payroll").glob("absence_*.csv")):
            _tile(source, landing / "payroll" / source.name, tiles)
        done.write_text(json.dumps({"seconds": round(time.monotonic() - started, 1), "how": how}))
        print(f"  tiled {base_size} employees x {tiles} in {time.monotonic() - started:.1f} s", flush=True)
    return landing, how


def _tile(source: Path, target: Path, tiles: int) -> None:
    with source.open(encoding="utf-8", newline="") as f:
        header, body = f.readline(), f.read()
    rows = body.splitlines(keepends=True)
    emp = header.rstrip("\r\n").split(",").index("employment_id")
    with target.open("w", encoding="utf-8", newline="") as out:
        out.write(header)
        for tile in range(tiles):
            for row in rows:
                cells = row.split(",")
                if len(cells) > emp and tile:
                    cells[emp] = f"{cells[emp]}-{tile}"  # a distinct employment of the same person
                out.write(",".join(cells))


# The child's own peak resident memory. Not getrusage's ru_maxrss: Linux keeps it across execve, and the
# subprocess (started with vfork) takes the parent's peak into it at the exec, so a child of a benchmark that had
# just generated a demo world reported that world's 189 MB as the loader's peak. VmHWM is the high-water mark of
# the process's own memory since the exec; ru_maxrss only where there is no /proc.
_PEAK_RSS = """
import json as _j, resource as _r
try:
    with open('/proc/self/status') as _f:
        _kb = next(int(_l.split()[1]) for _l in _f if _l.startswith('VmHWM:'))
except (OSError, StopIteration):
    _kb = _r.getrusage(_r.RUSAGE_SELF).ru_maxrss
print('PEAK_RSS_MB', _kb / 1024)
"""


def run_measured(code: str, env: dict | None = None) -> dict:
    """Run Python code in a fresh interpreter; it must print one JSON object. Adds its peak RSS in MB."""
    wrapper = code + "\n" + _PEAK_RSS
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
