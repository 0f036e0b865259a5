"""Outage: the warehouse is unreachable when the nightly ingest starts. Tasks are retried, then fail with a message
that says what is wrong (not just a traceback); nothing moves out of landing. When the warehouse is back, the next
run loads every file exactly once, with nothing lost."""

from __future__ import annotations

import datetime as dt
import importlib.util
import socket
from pathlib import Path

import psycopg
import pytest

from tests.reliability_support import data_lines, deliver, generate_demo

pytestmark = pytest.mark.slow


def _closed_port() -> int:
    """A local TCP port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _dead_url() -> str:
    return f"postgresql://frisk:s3cret-pw@127.0.0.1:{_closed_port()}/warehouse?connect_timeout=2"


def _payroll_dag():
    """The payroll_ingest DAG with its retry delay cut to zero (the retries themselves are the DAG's own)."""
    from frisk.config import DAGS_DIR

    spec = importlib.util.spec_from_file_location("dag_payroll_outage", DAGS_DIR / "payroll_ingest.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    dag = module.dag_object
    for task in dag.tasks:
        task.retry_delay = dt.timedelta(0)
    return dag


def test_loader_names_the_problem_and_keeps_the_file(frisk_env: Path, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    from frisk.payroll.load import WarehouseUnavailable, load_path

    demo = tmp_path / "demo"
    generate_demo(demo, employees=20)
    (f, *_) = deliver(demo, frisk_env / "data" / "landing", "payroll")
    monkeypatch.setenv("FRISK_WAREHOUSE_URL", _dead_url())
    with pytest.raises(WarehouseUnavailable) as err:
        load_path(f)
    msg = str(err.value)
    assert f.name in msg and "127.0.0.1" in msg and "could not be reached" in msg and "stays in landing" in msg
    assert "s3cret-pw" not in msg  # the password is not echoed
    assert f.exists() and not (frisk_env / "data" / "archive").exists()


def test_dag_retries_fails_clearly_then_recovers_fully(airflow_home: Path, warehouse: str, frisk_env: Path,
                                                       tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    demo = tmp_path / "demo"
    generate_demo(demo)
    files = deliver(demo, frisk_env / "data" / "landing", "payroll")
    monkeypatch.setenv("FRISK_WAREHOUSE_URL", _dead_url())

    down = _payroll_dag().test()
    assert str(down.state).endswith("failed")
    loads = [ti for ti in down.get_task_instances() if ti.task_id == "load_file"]
    assert len(loads) == len(files)
    assert all(ti.state == "failed" and ti.try_number == 3 for ti in loads), \
        [(ti.state, ti.try_number) for ti in loads]  # the first try and the DAG's two retries
    assert all(f.exists() for f in files), "no file may leave landing while nothing was loaded"

    monkeypatch.setenv("FRISK_WAREHOUSE_URL", warehouse)  # the warehouse is back
    up = _payroll_dag().test()
    assert str(up.state).endswith("success")
    with psycopg.connect(warehouse) as conn:
        batches = conn.execute("select file_name, status, rows_read, rows_loaded + rows_quarantined "
                               "from audit.batches order by file_name").fetchall()
        raw = conn.execute("select (select count(*) from raw.payroll_absence) "
                           "+ (select count(*) from raw.payroll_personnel)").fetchone()[0]
        quarantined = conn.execute("select count(*) from quarantine.rows").fetchone()[0]
    lines = {f.name: data_lines(demo / "payroll" / f.name) for f in files}
    assert batches == sorted((name, "loaded", n, n) for name, n in lines.items())  # each file once, every row
    assert raw + quarantined == sum(lines.values())
    assert not any(f.exists() for f in files)
