"""The payroll_ingest DAG under real Airflow (dag.test) into a real warehouse: one good and one rejected file."""

from __future__ import annotations

import shutil
from pathlib import Path

import psycopg
import pytest

from tests.conftest import FIXTURES, run_dag


@pytest.mark.slow
def test_dag_loads_good_file_and_fails_visibly_on_rejected_one(airflow_home: Path, warehouse: str,
                                                                frisk_env: Path) -> None:
    landing = frisk_env / "data" / "landing" / "payroll"
    shutil.copy(FIXTURES / "payroll" / "franvaro_2120009903_2024-05.csv", landing)
    (landing / "lonefil.csv").write_text("Namn;Datum;Orsak\nA;2024-01-01;Sjuk\n", encoding="utf-8")

    dagrun = run_dag("payroll_ingest")
    assert dagrun.state == "failed"  # the rejected file makes the run fail visibly

    states = {(ti.task_id, ti.map_index): ti.state for ti in dagrun.get_task_instances()}
    assert states[("list_pending", -1)] == "success"
    assert sorted(s for (t, _), s in states.items() if t == "load_file") == ["failed", "success"]
    assert states[("summary", -1)] == "success"  # the asset task ran despite the failure
    assert states[("fail_if_a_file_failed", -1)] == "failed"

    with psycopg.connect(warehouse) as conn:
        assert conn.execute("select count(*) from raw.payroll_absence").fetchone()[0] == 9
        batches = conn.execute("select file_name, status, run_id from audit.batches order by file_name").fetchall()
        assert batches == [("franvaro_2120009903_2024-05.csv", "loaded", dagrun.run_id),
                           ("lonefil.csv", "rejected", dagrun.run_id)]
    rejected = list((frisk_env / "data" / "rejected" / "payroll").glob("*lonefil.csv.error.txt"))
    assert rejected and "header not recognised" in rejected[0].read_text()
    assert not list(landing.iterdir())

    from airflow.models.asset import AssetEvent
    from airflow.utils.session import create_session

    with create_session() as session:
        events = session.query(AssetEvent).filter(AssetEvent.source_run_id == dagrun.run_id).all()
        assert [e.asset.uri for e in events] == ["frisk://warehouse/raw/payroll"]
        assert events[0].extra["loaded_batches"]


@pytest.mark.slow
def test_dag_with_nothing_to_load_succeeds_without_asset_event(airflow_home: Path, warehouse: str,
                                                               frisk_env: Path) -> None:
    dagrun = run_dag("payroll_ingest")
    assert dagrun.state == "success"
    states = {ti.task_id: ti.state for ti in dagrun.get_task_instances()}
    assert states["summary"] == "skipped" and states["fail_if_a_file_failed"] == "skipped"
