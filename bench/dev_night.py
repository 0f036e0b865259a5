"""Development harness for the incremental night (issue 11, item 3b): the same nights as bench.build, repeatable.

    .venv/bin/python -m bench.dev_night [--employees 5000] [--years 5] [--renew] [--compare] [--repeat 1]

Databases on the benchmark's embedded server (bench/work/home), per size:
  dev_raw_<n>x<y>    the demo data loaded with the project's loaders (made once)
  dev_n_<n>x<y>      a copy of it at night N: build_aside(as_of=D+1, full_refresh=True) + publish(), then the new
                     day's file loaded (bench.build.new_day_file) and the database vacuumed and analyzed (as
                     bench.build does before night N+1); made again with --renew or when missing. Built
                     under the name dev_run_<n>x<y> and renamed: the fingerprinted_table hashes include dbt's
                     relation names, which include the database, so the invoice chain stays KEPT in the copies
  dev_run_<n>x<y>    a fresh copy of dev_n (CREATE DATABASE ... TEMPLATE) for every timed night N+1:
                     build_aside(as_of=D+2) incremental, not published, so every run starts from the same state
With --compare the incremental night's marts are kept aside (schema cmp_incr) and a full refresh of the same
night is built; every mart is compared with it, EXCEPT both ways.

The dbt project's fingerprint of the published build is set to the current one in each copy, so that a changed
project does not turn the night into a full refresh (the deploy guard). A changed intermediate or incremental
mart model is part of its rules fingerprint and makes everyone dirty: use --renew after such a change so night N
is built with the same code (and do not edit the dbt project while a night is being timed: dbt parses it when
the night starts). Prints the wall time, the node time summed (per resource type), and the slowest nodes; keeps
the night's run_results.json and compiled SQL (compiled_incremental/, to EXPLAIN against dev_run_<n>x<y>) under
bench/work/dev_night_<n>x<y>/.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import time
from pathlib import Path

import psycopg

from bench import build, common


def _conn(server: str, autocommit: bool = True) -> psycopg.Connection:
    return psycopg.connect(server, autocommit=autocommit)


def _exists(server: str, name: str) -> bool:
    with _conn(server) as c:
        return c.execute("select 1 from pg_database where datname = %s", (name,)).fetchone() is not None


def _state_file(employees: int, years: int) -> Path:
    return common.WORK / f"dev_night_{employees}x{years}" / "state.json"


def ensure_raw(server: str, employees: int, years: int) -> None:
    name = f"dev_raw_{employees}x{years}"
    if _exists(server, name):
        return
    source = common.demo_landing(employees, years)
    landing = common.WORK / f"dev_night_{employees}x{years}" / "landing"
    shutil.rmtree(landing, ignore_errors=True)
    shutil.copytree(source, landing)
    url = common.fresh_database(server, name + "_tmp")
    os.environ["FRISK_LANDING_DIR"] = str(landing)
    os.environ["FRISK_WAREHOUSE_URL"] = url
    from frisk import invoices, payroll, statistics

    t = time.monotonic()
    loaded = [*payroll.load_pending("dev-load"), *invoices.load_pending("dev-load"),
              *statistics.load_all("dev-load")]
    bad = [r for r in loaded if r["status"] not in ("loaded", "skipped")]
    if bad:
        raise RuntimeError(f"demo data did not load: {bad[:3]}")
    print(f"loaded the demo data into {name} in {time.monotonic() - t:.1f} s", flush=True)
    # the loaders' pooled connections may still be open: rename_database ends them first
    common.rename_database(server, name + "_tmp", name)


def renew_night_n(server: str, employees: int, years: int) -> dict:
    from frisk import dbt_runner, payroll, warehouse

    ensure_raw(server, employees, years)
    name = f"dev_n_{employees}x{years}"
    # built under the run's database name: dbt's relation names (in the fingerprinted_table hashes) include it
    run_name = f"dev_run_{employees}x{years}"
    url = common.clone_database(server, f"dev_raw_{employees}x{years}", run_name)
    # the raw copy was loaded with the migrations of its day: the project's may be newer
    warehouse.migrate(url)
    work = common.WORK / f"dev_night_{employees}x{years}"
    target = work / "dbt_target"
    end = build._data_end(employees, years)
    night_n = end + dt.timedelta(days=1)
    t = time.monotonic()
    res = dbt_runner.build_aside("dev-n", as_of=night_n.isoformat(), full_refresh=True, warehouse_url=url,
                                 target_path=target)
    if not res.success:
        raise RuntimeError(f"night N failed: {res.message}")
    dbt_runner.publish("dev-n", conninfo=url)
    print(f"night N (full build + publish) in {time.monotonic() - t:.1f} s", flush=True)
    landing = work / "landing"
    (landing / "payroll").mkdir(parents=True, exist_ok=True)
    os.environ["FRISK_LANDING_DIR"] = str(landing)
    os.environ["FRISK_WAREHOUSE_URL"] = url
    extra, _rows = build.new_day_file(common.demo_landing(employees, years), landing, night_n,
                                      max(10, employees // 100))
    loaded = payroll.load_path(extra, run_id="dev-new-day").as_dict()
    if loaded["status"] != "loaded":
        raise RuntimeError(f"the new day's file did not load: {loaded}")
    # as bench.build does before each night N+1 (the day's autovacuum): every copy starts vacuumed and analyzed
    print(f"vacuum (analyze) before night N+1: {build._as_next_night(url)} s", flush=True)
    common.rename_database(server, run_name, name)
    state = {"night_n": night_n.isoformat(), "night_n1": (night_n + dt.timedelta(days=1)).isoformat(),
             "project_fingerprint": dbt_runner.project_fingerprint(), "new_day_rows": loaded.get("rows_loaded"),
             "built_at": dt.datetime.now().isoformat(timespec="seconds")}
    _state_file(employees, years).write_text(json.dumps(state, indent=2))
    return state


# run history, not a function of the data (as in tests/test_dbt_sick_leave_incremental.py)
RUN_COLUMNS = {"fct_absence_signals": ("first_reported_on", "evaluated_on")}


def compare_marts(url: str, left: str = "cmp_incr", right: str = "marts_build") -> list[str]:
    """Tables of `right` whose rows differ from `left`'s (EXCEPT both ways, counted as multisets; the signals'
    run-history columns left out)."""
    differ = []
    with psycopg.connect(url) as c:
        tables = [r[0] for r in c.execute(
            "select table_name from information_schema.tables where table_schema = %s order by 1", (right,))]
        for t in tables:
            cols = [r[0] for r in c.execute(
                "select column_name from information_schema.columns where table_schema = %s and table_name = %s "
                "order by ordinal_position", (right, t)) if r[0] not in RUN_COLUMNS.get(t, ())]
            collist = ", ".join(f'"{x}"' for x in cols)
            a = c.execute(f'select count(*) from (select {collist} from {left}."{t}" except all '
                          f'select {collist} from {right}."{t}") x').fetchone()[0]
            b = c.execute(f'select count(*) from (select {collist} from {right}."{t}" except all '
                          f'select {collist} from {left}."{t}") x').fetchone()[0]
            n = c.execute(f'select count(*) from {right}."{t}"').fetchone()[0]
            status = "identical" if a == b == 0 else f"DIFFERENT (incr-only {a}, full-only {b})"
            print(f"  {t}: {n} rows, {status}")
            if a or b:
                differ.append(t)
    return differ


def night(server: str, employees: int, years: int, compare: bool, top: int) -> dict:
    from frisk import dbt_runner

    state = json.loads(_state_file(employees, years).read_text())
    url = common.clone_database(server, f"dev_n_{employees}x{years}", f"dev_run_{employees}x{years}")
    now_fp = dbt_runner.project_fingerprint()
    if now_fp != state["project_fingerprint"]:
        print("note: the dbt project changed since night N was built (a changed rules-fingerprinted model makes "
              "everyone dirty; --renew builds night N again)", flush=True)
    with psycopg.connect(url) as c:
        c.execute("update audit.builds set project_fingerprint = %s where status = 'published'", (now_fp,))
    target = common.WORK / f"dev_night_{employees}x{years}" / "dbt_target"
    load = os.getloadavg()[0]
    cpu0 = time.process_time()
    t = time.monotonic()
    res = dbt_runner.build_aside("dev-n1-incr", as_of=state["night_n1"], warehouse_url=url, target_path=target)
    wall = time.monotonic() - t
    if not res.success:
        raise RuntimeError(f"incremental night failed: {res.message}")
    tests = [n for n in res.nodes if n.resource_type in ("test", "unit_test")]
    out = {"seconds": round(wall, 2), "node_seconds": round(sum(n.seconds for n in res.nodes), 2),
           "test_seconds": round(sum(n.seconds for n in tests), 2), "nodes": len(res.nodes),
           "python_cpu_s": round(time.process_time() - cpu0, 2), "load_before": round(load, 2),
           "full_refresh": res.full_refresh}
    out["kept"] = res.models_kept
    shutil.copy(target / "run_results.json", target.parent / "run_results_incremental.json")
    shutil.rmtree(target.parent / "compiled_incremental", ignore_errors=True)
    shutil.copytree(target / "compiled", target.parent / "compiled_incremental")  # the night's SQL, to EXPLAIN
    by_kind: dict[str, float] = {}
    for n in res.nodes:
        kind = n.resource_type if n.resource_type != "test" else (
            "test_staging" if ".stg_" in n.unique_id or "_stg_" in n.unique_id else "test")
        by_kind[kind] = round(by_kind.get(kind, 0.0) + n.seconds, 2)
    out["node_seconds_by_kind"] = by_kind
    print(f"night N+1 incremental: {out}", flush=True)
    for n in sorted(res.nodes, key=lambda n: n.seconds, reverse=True)[:top]:
        print(f"  {n.seconds:6.2f}  {n.unique_id}  {n.rows_affected if n.rows_affected is not None else ''}")
    if compare:
        with psycopg.connect(url) as c:
            c.execute("drop schema if exists cmp_incr cascade")
            c.execute("alter schema marts_build rename to cmp_incr")
        t = time.monotonic()
        full = dbt_runner.build_aside("dev-n1-full", as_of=state["night_n1"], full_refresh=True,
                                      warehouse_url=url, target_path=target)
        out["full_refresh_seconds"] = round(time.monotonic() - t, 2)
        if not full.success:
            raise RuntimeError(f"full refresh failed: {full.message}")
        print(f"night N+1 full refresh: {out['full_refresh_seconds']} s; ratio "
              f"{out['seconds'] / out['full_refresh_seconds']:.3f}", flush=True)
        out["differ"] = compare_marts(url)
        print("all marts identical" if not out["differ"] else f"DIFFERENT: {out['differ']}", flush=True)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="bench.dev_night")
    ap.add_argument("--employees", type=int, default=5000)
    ap.add_argument("--years", type=int, default=5)
    ap.add_argument("--renew", action="store_true", help="build night N again with the current code")
    ap.add_argument("--compare", action="store_true", help="also a full refresh, every mart compared")
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--top", type=int, default=20)
    args = ap.parse_args(argv)
    os.environ.setdefault("FRISK_PSEUDONYM_KEY", "bench-key")
    (common.WORK / f"dev_night_{args.employees}x{args.years}").mkdir(parents=True, exist_ok=True)
    server = common.scratch_server()
    if args.renew or not _state_file(args.employees, args.years).exists() or not _exists(
            server, f"dev_n_{args.employees}x{args.years}"):
        renew_night_n(server, args.employees, args.years)
    # dbt's import (about 2 s) is not part of a night: in bench.build night N+1 runs in the process of night N
    from dbt.cli.main import dbtRunner  # noqa: F401

    for i in range(args.repeat):
        night(server, args.employees, args.years, args.compare and i == 0, args.top)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
