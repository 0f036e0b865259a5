"""Warehouse build: the incremental night versus a full refresh, and the full build's scaling with the data.

    .venv/bin/python -m bench.build [--sizes 5000 50000] [--years 2] [--repeat 1]

Per size, in its own database on the benchmark's embedded PostgreSQL (bench/work/home):
  1. demo landing data (frisk.demo.generate, cached per size; data up to day D) loaded with the project's own
     loaders: frisk.payroll.load_pending, frisk.invoices.load_pending, frisk.statistics.load_all (not timed here;
     bench.ingest and bench.e2e measure loading). The GX batch gate is not run: staging keeps every batch with
     status 'loaded', which an ungated batch has, so the build sees the same rows.
  2. night N: frisk.dbt_runner.build_aside(as_of=D+1, full_refresh=True), then publish() (this full build is
     the scaling figure: 10x the employees should take at most 10x the time).
  3. one new day of absence data: a small extra payroll file (new one-day sick absences on D+1 for about 1 % of
     employer 1's recently absent employees) loaded with frisk.payroll.load_pending.
  4. night N+1, side by side on the same data: build_aside(as_of=D+2) incremental (published incremental marts
     copied in, only the look-back window recomputed) and build_aside(as_of=D+2, full_refresh=True). Each starts
     after a VACUUM (ANALYZE) of the database, the work autovacuum does in the day between two nights (without it
     the night ran beside autovacuum on the previous build's tables). Goal: incremental at most 0.1x the full
     refresh. With --repeat N the pair runs N times, each time in a fresh copy of the database as it was before
     the first (CREATE DATABASE ... TEMPLATE), so every incremental night is the same night; the ratio is that of
     the median incremental night to the median full refresh, and every run's time is reported.
The orchestrated build versus a plain `dbt build` is bench.warehouse_build's (bench.run runs it in a subprocess).
Writes bench/results/build.md and build.json (--out NAME: NAME.md and NAME.json).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import shutil
import threading
import time
from pathlib import Path

import psycopg

from bench import common

RAW_TABLES = ("payroll_personnel", "payroll_absence", "invoice_lines", "payments", "fk_statistics")


def _data_end(employees: int, years: int) -> dt.date:
    summary = json.loads((common.WORK / f"demo_{employees}x{years}" / ".done").read_text())
    return dt.date.fromisoformat(summary["period"]["to"])


def new_day_file(source: Path, landing: Path, day: dt.date, count: int) -> tuple[Path, int]:
    """Write landing/payroll/absence_<org>_<day>.csv: one-day sick absences on `day` for up to `count` employees
    of the first employer who were absent in the last 30 days before it (so still employed), picked from the
    demo landing tree `source` (landing's own files are archived by now). Returns (path, rows)."""
    files = sorted((source / "payroll").glob("absence_*.csv"))
    if not files:
        raise RuntimeError(f"no canonical absence file in {source / 'payroll'}")
    latest = files[-1]  # absence_<org>_<year>.csv: the last year
    recent: dict[tuple[str, str], list[str]] = {}
    with latest.open(encoding="utf-8", newline="") as f:
        reader = csv.reader(f)
        header = next(reader)
        i_to, i_pnr, i_emp = header.index("to_date"), header.index("personnummer"), header.index("employment_id")
        i_from = header.index("from_date")
        for row in reader:
            # an open absence has no to_date; the demo also writes a few malformed rows on purpose (skipped)
            try:
                last = dt.date.fromisoformat(row[i_to] or row[i_from])
            except (ValueError, IndexError):
                continue
            if (day - last).days <= 30:
                recent.setdefault((row[i_pnr], row[i_emp]), row)
    keep = list(recent.values())[:count]
    org = latest.name.split("_")[1]
    target = landing / "payroll" / f"absence_{org}_{day.isoformat()}.csv"
    with target.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(header)
        for row in keep:
            new = dict(zip(header, row, strict=True))
            new.update(absence_cause="SJK", from_date=day.isoformat(), to_date=day.isoformat(), extent_pct="100",
                       hours="8.00")
            writer.writerow([new[h] for h in header])
    return target, len(keep)


def _free_bytes(path: Path) -> int:
    """Free bytes on the file system that holds `path`, or would hold it (bench/work is made by the first run)."""
    while not path.exists() and path != path.parent:
        path = path.parent
    return shutil.disk_usage(path).free


class _LeastFreeDisk:
    """The least free disk on the server's file system while the block runs, sampled every `every` seconds by a
    thread: a build's peak footprint (its tables, the copies a full refresh makes beside the old ones, sorts
    spilled to temporary files, WAL) is what decides whether a larger size fits on a machine."""

    def __init__(self, path: Path, every: float = 1.0) -> None:
        self.path, self.every = path, every
        self.start = self.least = _free_bytes(path)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.wait(self.every):
            self.least = min(self.least, _free_bytes(self.path))

    def __enter__(self) -> _LeastFreeDisk:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.least = min(self.least, _free_bytes(self.path))


def _gb(n: int) -> float:
    return round(n / 1024**3, 2)


def _database_gb(url: str) -> float:
    with psycopg.connect(url) as conn:
        return _gb(conn.execute("select pg_database_size(current_database())").fetchone()[0])


def _timed_build(run_id: str, as_of: dt.date, full_refresh: bool, url: str, target: Path) -> dict:
    from frisk import dbt_runner

    started = time.monotonic()
    with _LeastFreeDisk(common.WORK) as disk:
        res = dbt_runner.build_aside(run_id, as_of=as_of.isoformat(), full_refresh=full_refresh,
                                     warehouse_url=url, target_path=target)
    seconds = time.monotonic() - started
    if not res.success:
        raise RuntimeError(f"build {run_id} failed: {res.message}")
    nodes = sorted(res.nodes, key=lambda n: n.seconds, reverse=True)
    return {"run_id": run_id, "seconds": round(seconds, 2), "nodes": len(res.nodes),
            "node_seconds": round(sum(n.seconds for n in res.nodes), 2),
            # what the build took of the disk at its peak, beyond what was used before it; and the database after
            "peak_disk_gb": _gb(disk.start - disk.least), "disk_free_gb_least": _gb(disk.least),
            "database_gb_after": _database_gb(url),
            "slowest": [{"node": n.unique_id, "seconds": round(n.seconds, 2), "rows": n.rows_affected}
                        for n in nodes[:6]]}


def _as_next_night(url: str) -> float:
    """VACUUM (ANALYZE) the database: what autovacuum does in the day between two nights. Timed right after night N
    (or after the incremental night), a build ran beside autovacuum's workers on the tables the previous build
    wrote, millions of rows at 50,000 employees: the same night took 15-20 s. Returns the seconds it took."""
    started = time.monotonic()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("vacuum (analyze)")
    return round(time.monotonic() - started, 1)


def run_size(server: str, employees: int, years: int = 2, repeat: int = 1, progress=lambda row: None) -> dict:
    """One size; `progress(row)` is called after each step with what is measured so far (the run may be cut)."""
    os.environ.setdefault("FRISK_PSEUDONYM_KEY", "bench-key")
    # The demo world's monthly FHV invoices outgrow the default 10 MiB limit above about 200,000 employees
    # (8,000-9,000 lines, 10-12 MB at 225,000): loaded all, as a municipality that size would after raising it.
    os.environ.setdefault("FRISK_XML_MAX_BYTES", str(64 * 1024 * 1024))
    source = common.demo_landing(employees, years)
    end = _data_end(employees, years)
    work = common.WORK / f"build_{employees}x{years}"
    shutil.rmtree(work, ignore_errors=True)
    landing = work / "landing"
    shutil.copytree(source, landing)
    url = common.fresh_database(server, f"bench_build_{employees}")
    free_at_start = _free_bytes(common.WORK)
    os.environ["FRISK_LANDING_DIR"] = str(landing)
    os.environ["FRISK_WAREHOUSE_URL"] = url
    from frisk import dbt_runner, invoices, payroll, statistics, warehouse

    print(f"  build {employees:,} x {years}: loading demo data (data up to {end})", flush=True)
    t = time.monotonic()
    loaded = [*payroll.load_pending("bench-load"), *invoices.load_pending("bench-load"),
              *statistics.load_all("bench-load")]
    load_s = time.monotonic() - t
    bad = [r for r in loaded if r["status"] not in ("loaded", "skipped")]
    if bad:
        raise RuntimeError(f"demo data did not load: {bad[:3]}")
    with warehouse.connect() as conn:
        raw_rows = {tab: conn.execute(f"select count(*) from raw.{tab}").fetchone()[0] for tab in RAW_TABLES}
    row: dict = {"employees": employees, "years": years, "data_end": end.isoformat(), "raw_rows": raw_rows,
                 "xml_max_bytes": int(os.environ["FRISK_XML_MAX_BYTES"]),
                 "raw_rows_total": sum(raw_rows.values()), "load_s": round(load_s, 1),
                 "database_gb_loaded": _database_gb(url), "disk_free_gb_before_builds": _gb(_free_bytes(
                     common.WORK)),
                 "load_average_before_builds": [round(x, 2) for x in os.getloadavg()]}
    target = work / "dbt_target"
    night_n = end + dt.timedelta(days=1)
    print(f"  loaded {row['raw_rows_total']:,} raw rows in {load_s:.1f} s; night N full build", flush=True)
    row["full_night_n"] = _timed_build(f"bench-{employees}-n", night_n, True, url, target)
    print(f"  night N full build {row['full_night_n']['seconds']} s", flush=True)
    progress(row)
    dbt_runner.publish(row["full_night_n"]["run_id"], conninfo=url)

    extra, extra_rows = new_day_file(source, landing, night_n, max(10, employees // 100))
    res = payroll.load_path(extra, run_id="bench-new-day").as_dict()
    if res["status"] != "loaded":
        raise RuntimeError(f"the new day's file did not load: {res}")
    row["new_day_rows"] = res.get("rows_loaded", extra_rows)
    night_n1 = night_n + dt.timedelta(days=1)
    name = f"bench_build_{employees}"
    if repeat > 1:
        # every repeat starts from this state (night N published, the new day loaded): the database is set aside
        # and each pair of nights runs in a copy under the original name (the fingerprinted models' fingerprints
        # name their relations, database included, so a copy under another name would rebuild the invoice chain)
        common.rename_database(server, name, f"{name}_n")
    incr, full = [], []
    for i in range(repeat):
        if repeat > 1:
            common.clone_database(server, f"{name}_n", name)
        row.setdefault("vacuum_before_n1_s", []).append(_as_next_night(url))
        incr.append(_timed_build(f"bench-{employees}-n1-incr-{i}", night_n1, False, url, target))
        row["incremental_runs_s"] = [r["seconds"] for r in incr]
        row["incremental_n1"] = _median_run(incr)
        print(f"  night N+1 incremental {incr[-1]['seconds']} s", flush=True)
        progress(row)
        row["vacuum_before_n1_s"].append(_as_next_night(url))
        full.append(_timed_build(f"bench-{employees}-n1-full-{i}", night_n1, True, url, target))
        row["full_runs_s"] = [r["seconds"] for r in full]
        row["full_refresh_n1"] = _median_run(full)
        row["incremental_vs_full"] = round(row["incremental_n1"]["seconds"] / row["full_refresh_n1"]["seconds"], 3)
        print(f"  night N+1 full refresh {full[-1]['seconds']} s", flush=True)
        progress(row)
    if repeat > 1:
        with psycopg.connect(server, autocommit=True) as conn:
            conn.execute(f'drop database if exists "{name}_n" with (force)')
    builds = [row["full_night_n"], *incr, *full]
    # the most disk the size took at once, from its empty database on (with --repeat, the set-aside copy too)
    row["peak_footprint_gb"] = round(_gb(free_at_start) - min(b["disk_free_gb_least"] for b in builds), 2)
    return row


def disk_shortfall(server: str, done: list[dict], employees: int, years: int) -> str | None:
    """Why `employees` would not fit on the disk, or None. The estimate scales the largest size measured so far
    in this run (its peak footprint) by the employees, as the footprint grew here: 4.5x the employees from 50,000
    to 225,000 x 5 took 4.5x the disk at the peak, the night N+1 full refresh (8.9 -> 40.3 GB). The database the
    size replaces counts as free. Without a measured size there is nothing to scale."""
    measured = [r for r in done if "peak_footprint_gb" in r and r["years"] == years]
    if not measured:
        return None
    ref = max(measured, key=lambda r: r["employees"])
    need = ref["peak_footprint_gb"] * employees / ref["employees"]
    free = _free_bytes(common.WORK)
    with psycopg.connect(server) as conn:
        free += conn.execute("select coalesce(sum(pg_database_size(datname)), 0) from pg_database where datname = %s",
                             (f"bench_build_{employees}",)).fetchone()[0]
    if need <= _gb(free):
        return None
    return (f"{employees:,} x {years} would need about {need:.0f} GB of disk at its peak ({ref['peak_footprint_gb']} "
            f"GB at {ref['employees']:,}, scaled by the employees) and {_gb(free)} GB is free, counting the database "
            f"it replaces: not started (free disk in {common.WORK}, or pass --no-disk-check)")


def _median_run(runs: list[dict]) -> dict:
    """The run of median time (the lower middle one of an even number): what a night usually takes on this VM,
    where single nights vary by 1-2 s and full refreshes by 10-40 s."""
    ordered = sorted(runs, key=lambda r: r["seconds"])
    return ordered[(len(ordered) - 1) // 2]


def _scaling(results: list[dict]) -> list[dict]:
    out = []
    for a, b in zip(results, results[1:], strict=False):
        item = {"from": a["employees"], "to": b["employees"],
                "data_ratio": round(b["raw_rows_total"] / a["raw_rows_total"], 2)}
        for key, name in (("full_night_n", "full_n_time_ratio"), ("full_refresh_n1", "full_n1_time_ratio")):
            if key in a and key in b:
                item[name] = round(b[key]["seconds"] / a[key]["seconds"], 2)
        out.append(item)
    return out


def run(server: str, sizes: tuple[int, ...] | list[int] = (5_000, 50_000), years: int = 2, repeat: int = 1,
        write: bool = True, out: str = "build", disk_check: bool = True) -> dict:
    """All sizes; with `write`, bench/results/<out>.md and <out>.json are rewritten after every step."""
    report = {"measured_at": dt.datetime.now().isoformat(timespec="seconds"), "machine": common.machine(server),
              "sizes": [], "scaling": [], "complete": False}

    def save(row: dict | None = None) -> None:
        if row is not None and row not in report["sizes"]:
            report["sizes"].append(row)
        report["scaling"] = _scaling(report["sizes"])
        report["markdown"] = markdown(report)
        if write:
            common.RESULTS.mkdir(parents=True, exist_ok=True)
            (common.RESULTS / f"{out}.json").write_text(json.dumps(report, indent=2, default=str) + "\n")
            again = "" if out == "build" else f" --out {out}"
            (common.RESULTS / f"{out}.md").write_text(
                "# Warehouse build: incremental night and scaling\n\nReproduce: `.venv/bin/python -m bench.build "
                f"--sizes {' '.join(map(str, sizes))} --years {years} --repeat {repeat}{again}`\n\n"
                f"{report['markdown']}\n")

    for n in sizes:
        short = disk_shortfall(server, report["sizes"], n, years) if disk_check else None
        if short:
            # stop with what was measured rather than hours later, when PostgreSQL cannot extend a file
            report["stopped"] = short
            save()
            raise SystemExit(f"bench.build: {short}")
        save(run_size(server, n, years, repeat, progress=save))
    report["complete"] = True
    save()
    return report


def markdown(r: dict) -> str:
    m = r["machine"]
    lines = [f"Measured {r['measured_at']}: {m['cores']} cores ({m['cpu']}), {m['memory_gb']} GB RAM, Python "
             f"{m['python']}, embedded PostgreSQL {m.get('postgres', '?')}, load average at the start "
             f"{m['load_average']}. Demo data x {r['sizes'][0]['years']} years.",
             "",
             "| employees x years | raw rows | night N full build s | new-day rows | N+1 incremental s | "
             "N+1 full refresh s | **incremental / full** |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]

    def sec(s: dict, key: str) -> str:
        return str(s[key]["seconds"]) if key in s else "n/a"

    for s in r["sizes"]:
        ratio = f"**{s['incremental_vs_full']}**" if "incremental_vs_full" in s else "n/a"
        lines.append(f"| {s['employees']:,} x {s['years']} | {s['raw_rows_total']:,} | {sec(s, 'full_night_n')} "
                     f"| {s.get('new_day_rows', 'n/a')} | {sec(s, 'incremental_n1')} | {sec(s, 'full_refresh_n1')} "
                     f"| {ratio} |")
    runs = [s for s in r["sizes"] if len(s.get("incremental_runs_s", [])) > 1]
    if runs:
        lines += ["", "Each pair of nights N+1 ran in a fresh copy of the database; the table gives the median runs:",
                  ""]
        lines += [f"- {s['employees']:,} x {s['years']}: incremental "
                  f"{', '.join(map(str, s['incremental_runs_s']))} s; full refresh "
                  f"{', '.join(map(str, s.get('full_runs_s', [])))} s" for s in runs]
    disk = [s for s in r["sizes"] if "peak_disk_gb" in s.get("full_night_n", {})]
    if disk:
        lines += ["", "Disk: the database after loading and after each build, and the most disk a build took "
                  "beyond what was in use when it started (sampled every second: tables, a full refresh's copies "
                  "beside the old ones, temporary files, WAL):", ""]
        for s in disk:
            parts = [f"{label} {s[key]['database_gb_after']} GB (peak +{s[key]['peak_disk_gb']} GB)"
                     for label, key in (("night N", "full_night_n"), ("N+1 incremental", "incremental_n1"),
                                        ("N+1 full refresh", "full_refresh_n1")) if key in s]
            lines.append(f"- {s['employees']:,} x {s['years']}: loaded {s['database_gb_loaded']} GB; after "
                         + "; ".join(parts) + f"; {s['disk_free_gb_before_builds']} GB free before the builds")
    lines += ["", "Scaling of the full build (goal: 10x the data in at most 10x the time):", ""]
    for s in r["scaling"]:
        lines.append(f"- {s['from']:,} -> {s['to']:,} employees: {s['data_ratio']}x the raw rows in "
                     f"{s.get('full_n_time_ratio', 'n/a')}x the time (night N full build), "
                     f"{s.get('full_n1_time_ratio', 'n/a')}x (night N+1 full refresh)")
    if not r.get("complete", True):
        lines += ["", "**The run was cut before it finished: the figures above are what it measured.**"]
    if r.get("stopped"):
        lines += ["", f"**Stopped before the next size:** {r['stopped']}."]
    big = r["sizes"][-1] if r["sizes"] else {}
    for label, key in (("night N full build", "full_night_n"), ("night N+1 full refresh", "full_refresh_n1"),
                       ("night N+1 incremental", "incremental_n1")):
        if key not in big:
            continue
        lines += ["", f"Slowest nodes at {big['employees']:,} employees, {label} "
                  f"({big[key]['nodes']} nodes, {big[key]['node_seconds']} s summed over nodes):", ""]
        for n in big[key]["slowest"]:
            lines.append(f"- {n['node']}: {n['seconds']} s" + (f", {n['rows']:,} rows" if n["rows"] else ""))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="bench.build")
    ap.add_argument("--sizes", type=int, nargs="+", default=[5_000, 50_000])
    ap.add_argument("--years", type=int, default=5)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--no-disk-check", action="store_true",
                    help="start every size even when the disk looks too small for it (see disk_shortfall)")
    ap.add_argument("--out", default="build",
                    help="results file name: bench/results/<out>.md and .json (default build, the run of record)")
    args = ap.parse_args(argv)
    common.RESULTS.mkdir(parents=True, exist_ok=True)
    server = common.scratch_server()
    report = run(server, args.sizes, args.years, args.repeat, out=args.out, disk_check=not args.no_disk_check)
    print(report["markdown"])
    for n in args.sizes:
        shutil.rmtree(common.WORK / f"build_{n}x{args.years}", ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
