"""Run one DAG from dags/ once with `dag.test()` (Airflow's in-process runner) and exit 0 on success.

Used by `frisk run` in a subprocess per DAG, so every DAG starts with a clean Airflow import and its own log.
Usage: python -m frisk.dag_runner <dag_id> [--logical-date ISO]
"""

from __future__ import annotations

import argparse
import importlib.util
import sys

from frisk.config import DAGS_DIR


def load_dag(dag_id: str):
    path = DAGS_DIR / f"{dag_id}.py"
    spec = importlib.util.spec_from_file_location(f"frisk_dag_{dag_id}", path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"no DAG file {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    for value in vars(module).values():
        if getattr(value, "dag_id", None) == dag_id and hasattr(value, "test"):
            return value
    raise SystemExit(f"{path} defines no DAG with dag_id {dag_id!r}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="frisk.dag_runner")
    parser.add_argument("dag_id")
    parser.add_argument("--logical-date", default=None, help="ISO timestamp; default now")
    args = parser.parse_args(argv)
    dag = load_dag(args.dag_id)
    kwargs = {}
    if args.logical_date:
        import pendulum

        kwargs["logical_date"] = pendulum.parse(args.logical_date)
    run = dag.test(**kwargs)
    state = str(getattr(run, "state", "unknown"))
    print(f"FRISK_DAG_RESULT {args.dag_id} {state}", flush=True)
    return 0 if state.endswith("success") else 1


if __name__ == "__main__":
    sys.exit(main())
