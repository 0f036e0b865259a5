"""`make bench`: every benchmark, side by side in one run, results written to bench/results/.

    python -m bench.run [--quick] [--skip-ingest] [--skip-build] [--skip-warehouse-build] [--skip-e2e]
                        [--ingest-sizes ...] [--build-sizes ...] [--e2e-employees N] [--years-build Y]

Parts, in this order (each also runnable alone, see bench/README.md):
  ingest            bench.ingest: payroll load vs COPY vs pandas, memory, scaling (5 years of data)
  build             bench.build: incremental night vs full refresh, full-build scaling (5 years of data)
  warehouse_build   bench.warehouse_build in a subprocess (its own embedded server): plain `dbt build` vs the
                    orchestrated build
  e2e               bench.e2e: one `frisk run` for a municipality (5 years of data), per-DAG share
--quick runs the small sizes only (ingest 5,000; build 5,000; e2e 5,000; warehouse_build --repeat 1), a few
minutes in all. Writes bench/results/latest.md and latest.json, and each part's own result files.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import time

from bench import common


def _warehouse_build(quick: bool) -> dict:
    """bench.warehouse_build runs in its own process: it starts and stops its own embedded server."""
    cmd = [sys.executable, "-m", "bench.warehouse_build"] + (["--repeat", "1"] if quick else [])
    started = time.monotonic()
    proc = subprocess.run(cmd, cwd=common.BENCH_DIR.parent, capture_output=True, text=True)
    result_md = common.RESULTS / "warehouse_build.md"
    out = {"returncode": proc.returncode, "seconds": round(time.monotonic() - started, 1)}
    if proc.returncode != 0:
        out["error"] = proc.stderr[-2000:]
        out["markdown"] = f"bench.warehouse_build failed (exit {proc.returncode}); see its output."
    else:
        # the module's own report, minus its title (latest.md has its own headings)
        out["markdown"] = "\n".join(result_md.read_text(encoding="utf-8").splitlines()[2:])
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="bench.run")
    ap.add_argument("--quick", action="store_true", help="small sizes only (a few minutes)")
    ap.add_argument("--skip-ingest", action="store_true")
    ap.add_argument("--skip-build", action="store_true")
    ap.add_argument("--skip-warehouse-build", action="store_true")
    ap.add_argument("--skip-e2e", action="store_true")
    ap.add_argument("--ingest-sizes", type=int, nargs="+", default=None)
    ap.add_argument("--build-sizes", type=int, nargs="+", default=None)
    ap.add_argument("--years-build", type=int, default=5, help="years of demo data for build and e2e")
    ap.add_argument("--e2e-employees", type=int, default=None)
    ap.add_argument("--e2e-timeout", type=int, default=3600, help="stop the e2e run after this many seconds")
    ap.add_argument("--keep-work", action="store_true", help="keep generated data in bench/work/")
    args = ap.parse_args(argv)
    ingest_sizes = args.ingest_sizes or ([5_000] if args.quick else [5_000, 50_000, 500_000])
    build_sizes = args.build_sizes or ([5_000] if args.quick else [5_000, 50_000])
    e2e_employees = args.e2e_employees or (5_000 if args.quick else 50_000)

    common.WORK.mkdir(parents=True, exist_ok=True)
    common.RESULTS.mkdir(parents=True, exist_ok=True)
    server = common.scratch_server()
    report: dict = {"measured_at": dt.datetime.now().isoformat(timespec="seconds"),
                    "machine": common.machine(server), "quick": args.quick}
    md = [f"# Benchmark results ({report['measured_at']}{', --quick' if args.quick else ''})", "",
          "Machine: {cores} cores ({cpu}), {memory_gb} GB RAM, Python {python}, embedded PostgreSQL "
          "{postgres}, load average at the start {load_average} (the machine is shared).".format(
              **{"postgres": "?", **report["machine"]}), ""]

    def save() -> None:
        # after every part, so a run cut short still leaves what it measured
        (common.RESULTS / "latest.json").write_text(json.dumps(report, indent=2, default=str) + "\n")
        (common.RESULTS / "latest.md").write_text("\n".join(md) + "\n")

    if not args.skip_ingest:
        from bench import ingest

        report["ingest"] = ingest.run(server, ingest_sizes)
        # results/ingest.* as `python -m bench.ingest` writes them, like build and e2e write theirs
        text = ingest.write({"measured_at": report["measured_at"], "machine": report["machine"], "repeat": 2,
                             "ingest": report["ingest"]})
        md += ["## Ingest: payroll absence files vs PostgreSQL COPY", "", *text.splitlines()[4:], ""]
        save()
    if not args.skip_build:
        from bench import build

        # three pairs of nights N+1, each in a fresh copy of the database: single nights vary by 1-2 s on a VM
        report["build"] = build.run(server, build_sizes, years=args.years_build, repeat=1 if args.quick else 3)
        md += ["## Warehouse build: incremental night and scaling", "", report["build"]["markdown"], ""]
        save()
    md += ["## Warehouse build: plain `dbt build` vs the orchestrated build", ""]
    if not args.skip_warehouse_build:
        report["warehouse_build"] = _warehouse_build(args.quick)
        md += [report["warehouse_build"]["markdown"], ""]
    else:
        recorded = common.RESULTS / "warehouse_build.md"
        md += ["Not re-run in this run (--skip-warehouse-build); the recorded result of "
               "`python -m bench.warehouse_build`:", "",
               *(recorded.read_text(encoding="utf-8").splitlines()[2:] if recorded.exists() else ["(none recorded)"]),
               ""]
    save()
    if not args.skip_e2e:
        from bench import e2e

        report["e2e"] = e2e.run(e2e_employees, years=args.years_build, timeout_s=args.e2e_timeout)
        md += ["## End to end: one `frisk run`", "", report["e2e"]["markdown"], ""]
        save()

    print("\n".join(md))
    from frisk import warehouse

    # the build part pointed FRISK_WAREHOUSE_URL at its own database; the server to stop is bench/work/home's
    os.environ.pop("FRISK_WAREHOUSE_URL", None)
    warehouse.stop_embedded()
    if not args.keep_work:
        # the generated data (up to a gigabyte) is cheap to make again; the embedded server's folder stays
        for path in common.WORK.iterdir():
            if path.is_dir() and path.name != "home":
                shutil.rmtree(path, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
