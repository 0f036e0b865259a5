"""The `frisk` command: drive the platform without knowing Airflow.

    frisk up                      start the embedded PostgreSQL (idempotent), create databases, migrate; print URL
    frisk url [--database NAME]   print a connection URL (psql "$(frisk url)")
    frisk run [--landing DIR]     one nightly run of all DAGs, then a summary; non-zero exit when anything failed
    frisk demo-data --out DIR --employees N --years Y --seed S
    frisk airflow start|stop|status   a local Airflow (API server + UI on :8080, scheduler, DAG processor)
    frisk docs [--serve]          build (and serve) the dbt docs
    frisk scan                    privacy scan: personnummer-shaped values in tables, logs, outbox
    frisk login NAME --employer ORG | --group G [--hr]   a BI/HR login with row-level scope
    frisk down                    stop local Airflow and the embedded PostgreSQL

FRISK_HOME, FRISK_LANDING_DIR, FRISK_OUTBOX_DIR and FRISK_WAREHOUSE_URL are honoured everywhere.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path


def _cmd_up(args: argparse.Namespace) -> int:
    from frisk import warehouse

    print(warehouse.up())
    return 0


def _cmd_url(args: argparse.Namespace) -> int:
    from frisk import warehouse

    print(warehouse.server_url(args.database))
    return 0


def _cmd_down(args: argparse.Namespace) -> int:
    from frisk import local_airflow, warehouse

    if local_airflow.stop():
        print("local Airflow stopped")
    print("embedded PostgreSQL stopped" if warehouse.stop_embedded() else "embedded PostgreSQL was not running")
    return 0


def _cmd_demo(args: argparse.Namespace) -> int:
    from frisk.demo import generate

    started = time.monotonic()
    summary = generate(Path(args.out), employees=args.employees, years=args.years, seed=args.seed)
    for key, value in summary.items():
        print(f"{key}: {value}")
    print(f"demo data written to {Path(args.out).resolve()} in {time.monotonic() - started:.1f} s")
    return 0


def _cmd_run(args: argparse.Namespace) -> int:
    from frisk import pipeline

    started = time.monotonic()
    report = pipeline.run_all(landing=args.landing, demo_employees=args.demo_employees,
                              demo_years=args.demo_years, logical_date=args.logical_date)
    print(pipeline.summary_text(report))
    print(f"total {time.monotonic() - started:.1f} s")
    return 0 if report.ok else 1


def _cmd_airflow(args: argparse.Namespace) -> int:
    from frisk import local_airflow

    if args.action == "start":
        url = local_airflow.start()
        print(f"Airflow UI and API: {url}  (user admin; password in {local_airflow.password_file()})")
        print("stop with: make stop")
    elif args.action == "stop":
        print("stopped" if local_airflow.stop() else "not running")
    else:
        status = local_airflow.status()
        for name, pid in status.items():
            print(f"{name}: {'running, pid ' + str(pid) if pid else 'not running'}")
    return 0


def _cmd_docs(args: argparse.Namespace) -> int:
    from frisk import docs

    index = docs.generate()
    print(f"dbt docs: {index}")
    if args.serve:
        docs.serve(port=args.port)
    return 0


def _cmd_scan(args: argparse.Namespace) -> int:
    from frisk.maintenance.privacy_scan import scan

    hits = scan()
    for hit in hits:
        print(f"FOUND {hit}")
    print(f"privacy scan: {len(hits)} location(s) with personnummer-shaped values")
    return 1 if hits else 0


def _cmd_login(args: argparse.Namespace) -> int:
    import getpass

    from frisk.security import apply_mart_security, create_login

    password = args.password or getpass.getpass(f"password for {args.login}: ")
    create_login(args.login, password, employer_org_number=args.employer, collaboration_group=args.group,
                 hr=args.hr)
    apply_mart_security()
    print(f"{'HR' if args.hr else 'BI'} login {args.login} bound to {args.employer or 'group ' + args.group}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="frisk", description=__doc__.split("\n\n")[0])
    parser.add_argument("-v", "--verbose", action="store_true")
    sub = parser.add_subparsers(dest="command", required=True)

    sub.add_parser("up", help="start the embedded PostgreSQL and print its URL").set_defaults(func=_cmd_up)
    p = sub.add_parser("url", help="print the warehouse connection URL")
    p.add_argument("--database", default="warehouse", choices=["warehouse", "airflow", "postgres"])
    p.set_defaults(func=_cmd_url)
    sub.add_parser("down", help="stop local Airflow and the embedded PostgreSQL").set_defaults(func=_cmd_down)

    p = sub.add_parser("run", help="one nightly run of all DAGs")
    p.add_argument("--landing", type=Path, default=None, help="landing folder (default FRISK_LANDING_DIR)")
    p.add_argument("--demo-employees", type=int, default=2000, help="size of demo data when landing is empty")
    p.add_argument("--demo-years", type=int, default=3)
    p.add_argument("--logical-date", default=None,
                   help="the night to run, ISO (e.g. 2026-11-21T03:00+01:00); default now. A past night gives that "
                        "night's marts again")
    p.set_defaults(func=_cmd_run)

    p = sub.add_parser("demo-data", help="generate a fictional municipality's landing files")
    p.add_argument("--out", required=True)
    p.add_argument("--employees", type=int, default=2000)
    p.add_argument("--years", type=int, default=3)
    p.add_argument("--seed", type=int, default=42)
    p.set_defaults(func=_cmd_demo)

    p = sub.add_parser("airflow", help="local Airflow services")
    p.add_argument("action", choices=["start", "stop", "status"])
    p.set_defaults(func=_cmd_airflow)

    sub.add_parser("scan", help="privacy scan of tables, logs and outbox").set_defaults(func=_cmd_scan)

    p = sub.add_parser("login", help="create a BI (or --hr) login bound to an employer or a group")
    p.add_argument("login")
    scope = p.add_mutually_exclusive_group(required=True)
    scope.add_argument("--employer", help="employer organisation number (10 digits)")
    scope.add_argument("--group", help="collaboration group")
    p.add_argument("--hr", action="store_true", help="HR login: person-level marts too")
    p.add_argument("--password", default=None, help="default: asked for")
    p.set_defaults(func=_cmd_login)

    p = sub.add_parser("docs", help="build (and serve) the dbt docs")
    p.add_argument("--serve", action="store_true")
    p.add_argument("--port", type=int, default=8081)
    p.set_defaults(func=_cmd_docs)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
