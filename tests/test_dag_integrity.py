"""Every DAG file in dags/ imports cleanly under real Airflow and follows the house rules."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

PARSE_BUDGET_SECONDS = 30.0


@pytest.fixture(scope="module")
def dagbag(airflow_home: Path):
    from airflow.dag_processing.dagbag import DagBag

    from frisk.config import DAGS_DIR

    started = time.monotonic()
    bag = DagBag(dag_folder=str(DAGS_DIR))
    return bag, time.monotonic() - started


def test_every_dag_file_imports_without_errors(dagbag) -> None:
    from frisk.config import DAGS_DIR

    bag, _ = dagbag
    assert bag.import_errors == {}
    files = {p.name for p in DAGS_DIR.glob("*.py") if not p.name.startswith("_")}
    found = {Path(d.fileloc).name for d in bag.dags.values()}
    assert files and files <= found, f"DAG files without a DAG: {sorted(files - found)}"
    assert "warehouse_build" in bag.dags


def test_whole_folder_parses_within_budget(dagbag) -> None:
    _, seconds = dagbag
    assert seconds < PARSE_BUDGET_SECONDS, f"dags/ took {seconds:.1f} s to parse"


def test_every_dag_has_owner_tags_retries_and_docs(dagbag) -> None:
    bag, _ = dagbag
    problems = []
    for dag_id, dag in bag.dags.items():
        if not dag.tags:
            problems.append(f"{dag_id}: no tags")
        if not (dag.doc_md or "").strip():
            problems.append(f"{dag_id}: no doc_md")
        for t in dag.tasks:
            if not t.owner or t.owner == "airflow":
                problems.append(f"{dag_id}.{t.task_id}: owner {t.owner!r}")
        if (dag.default_args or {}).get("retries") is None:
            problems.append(f"{dag_id}: no retries in default_args")
    assert problems == []


def test_warehouse_build_wiring(dagbag) -> None:
    bag, _ = dagbag
    dag = bag.dags["warehouse_build"]
    order = ["gate_new_batches", "dbt_build_aside", "check_marts", "publish", "docs"]
    for up, down in zip(order, order[1:], strict=False):
        assert down in dag.get_task(up).downstream_task_ids
    assert [o.uri for o in dag.get_task("publish").outlets] == ["frisk://warehouse/marts"]
    assert "AssetOrTime" in type(dag.timetable).__name__
    assert dag.default_args["on_failure_callback"].__class__.__name__ == "FriskNotifier"
