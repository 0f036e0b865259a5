"""`make bench`: every benchmark, side by side in one run, results written to bench/results/.

Usage: python -m bench.run [--sizes 5000 50000 500000] [--skip-e2e] [--skip-build]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json

from bench import common, ingest


def ratio_table(rows: list[dict]) -> str:
    lines = ["| employees x years | rows | frisk load s | psql \\copy s | frisk / COPY | pandas to_sql s | "
             "pandas / COPY | frisk rows/s | frisk peak RSS MB |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for r in rows:
        lines.append(f"| {r['employees']:,} x {r['years']} | {r['rows_read']:,} | {r['frisk_s']} | {r['copy_s']} | "
                     f"**{r['frisk_vs_copy']}** | {r['pandas_s'] if r['pandas_s'] is not None else 'n/a'} | "
                     f"{r['pandas_vs_copy'] if r['pandas_vs_copy'] is not None else 'n/a'} | "
                     f"{r['frisk_rows_per_s']:,} | {r['frisk_peak_rss_mb']} |")
    return "\n".join(lines)


def scaling(rows: list[dict]) -> list[str]:
    out = []
    for a, b in zip(rows, rows[1:], strict=False):
        size = b["rows_read"] / a["rows_read"]
        out.append(f"- {a['employees']:,} -> {b['employees']:,} employees: {size:.1f}x the rows in "
                   f"{b['frisk_s'] / a['frisk_s']:.1f}x the time; peak memory "
                   f"{b['frisk_peak_rss_mb'] / a['frisk_peak_rss_mb']:.2f}x")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.run")
    parser.add_argument("--sizes", type=int, nargs="+", default=[5_000, 50_000, 500_000])
    parser.add_argument("--skip-e2e", action="store_true")
    parser.add_argument("--skip-build", action="store_true")
    args = parser.parse_args(argv)

    common.WORK.mkdir(parents=True, exist_ok=True)
    common.RESULTS.mkdir(parents=True, exist_ok=True)
    server = common.scratch_server()
    report = {"measured_at": dt.datetime.now().isoformat(timespec="seconds"), "machine": common.machine()}
    report["ingest"] = ingest.run(server, args.sizes)
    if not args.skip_build:
        from bench import build

        report["build"] = build.run(server)
    if not args.skip_e2e:
        from bench import e2e

        report["e2e"] = e2e.run(server, employees=50_000)

    (common.RESULTS / "results.json").write_text(json.dumps(report, indent=2, default=str))
    md = [f"# Benchmark results ({report['measured_at']})", "",
          f"Machine: {report['machine']}", "", "## Ingest: payroll absence files vs PostgreSQL COPY", "",
          ratio_table(report["ingest"]), "", *scaling(report["ingest"])]
    if "build" in report:
        md += ["", "## Warehouse build", "", report["build"].get("markdown", "")]
    if "e2e" in report:
        md += ["", "## End to end", "", report["e2e"].get("markdown", "")]
    (common.RESULTS / "latest.md").write_text("\n".join(md) + "\n")
    print("\n".join(md))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
