"""Crash safety: a loader killed (SIGKILL) in the middle of its COPY, and the warehouse's connections killed in the
middle of a dbt build, leave nothing half-done visible; the next run completes and equals an uninterrupted one."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pendulum
import psycopg
import pytest

from frisk.loading import _CopyPump
from tests.conftest import _db_url, run_dag
from tests.reliability_support import data_lines, deliver, fingerprint, generate_demo
from tests.test_payroll_perf import write_absence_file

pytestmark = pytest.mark.slow

NIGHT = pendulum.datetime(2025, 1, 15, 3, 30, tz="Europe/Stockholm")
BIG_ROWS = 300_000
# pg_stat_progress_copy counts the rows of the running COPY statement, and the loader's pump ends one every
# STATEMENT_ROWS or so: wait until a statement is half through
MID_STATEMENT_ROWS = _CopyPump.STATEMENT_ROWS // 2
# batch ids come from a sequence, which a rolled-back transaction still advances; quarantine ids and times too
RUN_COLUMNS = ("batch_id", "quarantine_id", "quarantined_at")


def _one(url: str, sql: str, params: tuple = ()) -> tuple:
    with psycopg.connect(url) as conn:
        return conn.execute(sql, params).fetchone()


def _wait_for_copy(url: str, proc: subprocess.Popen, timeout: float = 60) -> int:
    """Poll pg_stat_progress_copy until the loader's COPY has sent rows; returns the tuples processed so far.

    (The database is compared with current_database(): the embedded server's URL ends in ?host=..., not the name.)
    """
    deadline = time.monotonic() + timeout
    with psycopg.connect(url, autocommit=True) as conn:
        while time.monotonic() < deadline:
            assert proc.poll() is None, "the loader finished before it could be killed: make the file bigger"
            row = conn.execute(
                """select p.tuples_processed from pg_stat_progress_copy p join pg_stat_activity a using (pid)
                   where p.datname = current_database() and a.application_name = 'frisk-crash-test'
                     and p.tuples_processed > %s""", (MID_STATEMENT_ROWS,)).fetchone()
            if row:
                return row[0]
            time.sleep(0.002)
    raise AssertionError("the loader's COPY never showed up in pg_stat_progress_copy")


def _wait_gone(url: str, app: str, timeout: float = 30) -> None:
    """Until the server has noticed the dead client and rolled its transaction back."""
    deadline = time.monotonic() + timeout
    with psycopg.connect(url, autocommit=True) as conn:
        while conn.execute("select count(*) from pg_stat_activity where application_name = %s",
                           (app,)).fetchone()[0]:
            assert time.monotonic() < deadline, "the killed loader's backend is still there"
            time.sleep(0.05)


def _fresh_db(pg_server: str, template: str) -> str:
    name = f"frisk_crash_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(pg_server, autocommit=True) as conn:
        conn.execute(f'create database "{name}" template "{template}"')
    return name


def test_loader_killed_mid_copy_leaves_no_partial_batch(warehouse: str, frisk_env: Path, pg_server: str,
                                                        template_db: str, tmp_path: Path) -> None:
    from frisk.payroll.load import load_path

    landing = frisk_env / "data" / "landing" / "payroll"
    name = "franvaro_2120009903_2024-big.csv"
    original = write_absence_file(tmp_path / name, rows=BIG_ROWS, persons=2_000)
    big = landing / name
    os.link(original, big)  # load_path moves the landing copy away; the original stays for comparison

    env = {**os.environ, "PGAPPNAME": "frisk-crash-test"}
    code = f"from frisk.payroll.load import load_path; load_path({str(big)!r})"
    proc = subprocess.Popen([sys.executable, "-c", code], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        flowing = _wait_for_copy(warehouse, proc)
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL and 0 < flowing < BIG_ROWS
    _wait_gone(warehouse, "frisk-crash-test")

    # Nothing of the killed transaction is visible: no raw rows, no quarantine, no batch in any state
    # (a leftover 'loading' row would hold the unique index batches_once and block every later load).
    assert _one(warehouse, "select count(*) from raw.payroll_absence")[0] == 0
    assert _one(warehouse, "select count(*) from quarantine.rows")[0] == 0
    assert _one(warehouse, "select count(*) from audit.batches")[0] == 0
    assert big.exists(), "the file must still wait in landing"

    result = load_path(big)  # the next run
    assert (result.status, result.rows_read, result.rows_loaded + result.rows_quarantined) == \
        ("loaded", BIG_ROWS, data_lines(original))
    assert _one(warehouse, "select count(*), min(status), max(status) from audit.batches") == (1, "loaded", "loaded")

    # ... and equals an uninterrupted load of the same file into a fresh warehouse
    other_db = _fresh_db(pg_server, template_db)
    other = _db_url(pg_server, other_db)
    try:
        clean = tmp_path / "clean" / name
        clean.parent.mkdir()
        os.link(original, clean)
        assert load_path(clean, conninfo=other, move=False).status == "loaded"
        schemas = ("raw", "quarantine")
        assert fingerprint(warehouse, schemas, exclude_columns=RUN_COLUMNS) == \
            fingerprint(other, schemas, exclude_columns=RUN_COLUMNS)
    finally:
        with psycopg.connect(pg_server, autocommit=True) as conn:
            conn.execute(f'drop database if exists "{other_db}" with (force)')


class _BackendKiller(threading.Thread):
    """Once dbt has touched the build schema, terminate dbt's connections to the warehouse again and again for a few
    seconds, as a server crash does to its clients: whatever node runs then fails, and reconnecting threads die too.

    pg_stat_activity keeps a connection's last statement while it is idle, so the trigger does not depend on
    catching a statement in flight."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.url, self.killed, self.stop = url, 0, threading.Event()

    def run(self) -> None:
        dbt = """from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()
                 and application_name = 'dbt'"""
        with psycopg.connect(self.url, autocommit=True) as conn:
            while not self.stop.is_set():
                if conn.execute(f"select count(*) {dbt} and query ilike '%marts\\_build%'").fetchone()[0]:
                    break
                time.sleep(0.005)
            until = time.monotonic() + 5
            while time.monotonic() < until and not self.stop.is_set():
                self.killed += conn.execute(
                    f"select count(*) filter (where pg_terminate_backend(pid)) {dbt}").fetchone()[0]
                time.sleep(0.01)


def test_connections_killed_mid_build_leave_yesterdays_marts(airflow_home: Path, warehouse: str, frisk_env: Path,
                                                             tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from frisk.payroll.load import load_pending

    home = tmp_path / "frisk_home"
    home.mkdir()
    monkeypatch.setenv("FRISK_HOME", str(home))
    demo = tmp_path / "demo"
    generate_demo(demo)
    deliver(demo, frisk_env / "data" / "landing", "payroll")
    load_pending("setup")

    first = run_dag("warehouse_build", logical_date=NIGHT, mark_success_pattern="^docs$")
    assert str(first.state).endswith("success")
    yesterday = fingerprint(warehouse)
    assert yesterday["marts.fct_sick_spells"][0] > 0

    killer = _BackendKiller(warehouse)
    killer.start()
    try:
        crashed = run_dag("warehouse_build", logical_date=NIGHT, mark_success_pattern="^docs$")
    finally:
        killer.stop.set()
        killer.join(timeout=10)
    assert killer.killed > 0, "the build was never caught writing marts"
    states = {ti.task_id: ti.state for ti in crashed.get_task_instances()}
    assert str(crashed.state).endswith("failed") and states["dbt_build_aside"] == "failed", states
    assert states["publish"] != "success", states
    assert fingerprint(warehouse) == yesterday  # the published marts (and everything else) are untouched
    status = _one(warehouse, "select status from audit.builds where run_id = %s", (crashed.run_id,))
    assert status is None or status[0] in ("failed", "running")  # never 'published'

    again = run_dag("warehouse_build", logical_date=NIGHT, mark_success_pattern="^docs$")
    assert str(again.state).endswith("success")
    assert fingerprint(warehouse) == yesterday  # the recovered build equals the uninterrupted one
