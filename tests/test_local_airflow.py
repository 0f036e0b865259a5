"""`make airflow`: a real local Airflow (API server, scheduler, DAG processor, triggerer) on the embedded
PostgreSQL, checked through its REST API and its UI in headless Chromium."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.airflow_server]

DAG_IDS = {"payroll_ingest", "invoice_ingest", "public_statistics_ingest", "warehouse_build", "meeting_extract"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=20) as resp:
        return json.loads(resp.read())


def _post(url: str, body: dict) -> dict:
    req = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=20) as resp:
        return json.loads(resp.read())


@pytest.fixture
def local_airflow(warehouse: str, pg_server: str, frisk_env: Path, monkeypatch: pytest.MonkeyPatch):
    import uuid

    import psycopg

    from frisk import local_airflow
    from tests.conftest import _db_url

    name = f"airflow_local_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(pg_server, autocommit=True) as conn:
        conn.execute(f'create database "{name}"')
    monkeypatch.setenv("FRISK_AIRFLOW_DB_URL", _db_url(pg_server, name).replace("postgresql://",
                                                                                 "postgresql+psycopg2://", 1))
    monkeypatch.setenv("FRISK_HOME", str(frisk_env / "home"))
    # Unpaused at creation, every DAG would start its latest scheduled run at once (a real dbt build among
    # them) on the test machine's two cores, and the triggered run would queue behind its DAG's scheduled one
    # (max_active_runs=1) for as long as that takes, or its 15-minute retry delay. Manual runs only, here.
    monkeypatch.setenv("AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE", "False")
    port = _free_port()
    url = local_airflow.start(port=port, wait_seconds=240)
    try:
        yield url
    finally:
        local_airflow.stop()
        assert not any(local_airflow.status().values())


def test_dags_listed_triggered_and_visible_in_the_ui(local_airflow: str, tmp_path: Path) -> None:
    api = f"{local_airflow}/api/v2"
    deadline = time.monotonic() + 180
    dags: set[str] = set()
    while time.monotonic() < deadline:
        dags = {d["dag_id"] for d in _get(f"{api}/dags?limit=100")["dags"]}
        if dags >= DAG_IDS:
            break
        time.sleep(3)
    assert dags >= DAG_IDS, f"DAGs missing from the API: {DAG_IDS - dags}"
    errors = _get(f"{api}/importErrors")
    assert errors["total_entries"] == 0, errors

    run = _post(f"{api}/dags/public_statistics_ingest/dagRuns", {"logical_date": None})
    run_id = run["dag_run_id"]
    state = run["state"]
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and state not in ("success", "failed"):
        time.sleep(3)
        state = _get(f"{api}/dags/public_statistics_ingest/dagRuns/{run_id}")["state"]
    if state != "success":
        from frisk import local_airflow as services

        runs = _get(f"{api}/dags/public_statistics_ingest/dagRuns")["dag_runs"]
        tasks = _get(f"{api}/dags/public_statistics_ingest/dagRuns/{run_id}/taskInstances")["task_instances"]
        pytest.fail(f"triggered run ended {state}; health {_get(f'{api}/monitor/health')}; "
                    f"runs {[(r['dag_run_id'], r['run_type'], r['state']) for r in runs]}; "
                    f"tasks {[(t['task_id'], t['state']) for t in tasks]}\n"
                    f"--- scheduler.log ---\n{services.log_tail('scheduler', 60)}")

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.skip("Debian's chromium is not installed (make system-deps installs it)")
    profile = tmp_path / "chromium-profile"
    cmd = [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync",
           f"--user-data-dir={profile}", "--virtual-time-budget=20000", "--dump-dom", f"{local_airflow}/dags"]
    dom = subprocess.run(cmd, capture_output=True, text=True, timeout=120).stdout
    for dag_id in DAG_IDS:
        assert dag_id in dom, f"{dag_id} not shown in the UI's DAG list"
