"""Shared fixtures: a real PostgreSQL (embedded pgserver, one server per test session) and isolated state.

Each test that asks for `warehouse` gets its own database, cloned from a migrated template in milliseconds, with
FRISK_WAREHOUSE_URL pointing at it, plus its own FRISK_HOME, landing and outbox folders and a fixed pseudonym key.
"""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

FIXTURES = Path(__file__).parent / "fixtures"
TEST_KEY = "frisk-test-pseudonym-key"


@pytest.fixture(scope="session")
def pg_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """URL (without database) of a PostgreSQL server for the session: $FRISK_TEST_PG_URL or an embedded one."""
    external = os.environ.get("FRISK_TEST_PG_URL")
    if external:
        yield external
        return
    import shutil
    import tempfile

    # Not under pytest's basetemp: pytest prunes old basetemp folders, which would pull the data directory from
    # under a server that another pytest process (a second checkout, a helper) still runs.
    home = Path(tempfile.mkdtemp(prefix="frisk-pg-"))
    os.environ["FRISK_HOME"] = str(home)
    os.environ.pop("FRISK_WAREHOUSE_URL", None)
    from frisk import warehouse

    url = warehouse.server_url("postgres")
    yield url
    warehouse.stop_embedded()
    shutil.rmtree(home, ignore_errors=True)
    # pgserver logs from an atexit hook, after pytest has closed its capture streams
    logging.getLogger("pgserver").disabled = True


def _db_url(server_url: str, db: str) -> str:
    from frisk.warehouse import _with_database

    return _with_database(server_url, db)


@pytest.fixture(scope="session")
def template_db(pg_server: str) -> str:
    """A database with every migration applied, used as the template for per-test databases."""
    name = f"frisk_template_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(pg_server, autocommit=True) as conn:
        conn.execute(f'create database "{name}"')
    from frisk.warehouse import migrate

    migrate(_db_url(pg_server, name))
    return name


@pytest.fixture
def frisk_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Isolated FRISK_HOME, landing and outbox folders and a fixed pseudonym key (no database)."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("FRISK_LANDING_DIR", str(tmp_path / "data" / "landing"))
    monkeypatch.setenv("FRISK_OUTBOX_DIR", str(tmp_path / "data" / "outbox"))
    monkeypatch.setenv("FRISK_PSEUDONYM_KEY", TEST_KEY)
    for source in ("payroll", "invoices", "payments", "statistics"):
        (tmp_path / "data" / "landing" / source).mkdir(parents=True)
    return tmp_path


@pytest.fixture
def warehouse(pg_server: str, template_db: str, frisk_env: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A fresh, migrated warehouse database for one test; FRISK_WAREHOUSE_URL points at it."""
    name = f"frisk_test_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(pg_server, autocommit=True) as conn:
        conn.execute(f'create database "{name}" template "{template_db}"')
    url = _db_url(pg_server, name)
    monkeypatch.setenv("FRISK_WAREHOUSE_URL", url)
    yield url
    with psycopg.connect(pg_server, autocommit=True) as conn:
        conn.execute(f'drop database if exists "{name}" with (force)')


@pytest.fixture(scope="session")
def airflow_home(pg_server: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated Airflow metadata database for the session, configured in this process's environment.

    Import airflow (or DAG files) only inside tests that use this fixture: Airflow reads its configuration at
    import time.
    """
    import subprocess
    import sys

    home = tmp_path_factory.mktemp("airflow")
    name = f"airflow_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(pg_server, autocommit=True) as conn:
        conn.execute(f'create database "{name}"')
    from frisk.airflow_env import airflow_environ

    meta = _db_url(pg_server, name).replace("postgresql://", "postgresql+psycopg2://", 1)
    os.environ["FRISK_HOME"] = str(home)
    # airflow_environ() resolves the warehouse URL; unset, that would start a second embedded server in
    # this home. The value is dropped below (per-test fixtures set the real one): any session URL will do.
    placeholder = "FRISK_WAREHOUSE_URL" not in os.environ
    if placeholder:
        os.environ["FRISK_WAREHOUSE_URL"] = _db_url(pg_server, "postgres")
    env = airflow_environ(metadata_url=meta)
    if placeholder:
        del os.environ["FRISK_WAREHOUSE_URL"]
    for k in ("FRISK_WAREHOUSE_URL", "FRISK_LANDING_DIR", "FRISK_OUTBOX_DIR"):
        env.pop(k)  # per-test fixtures set these
    os.environ.update(env)
    airflow = Path(sys.executable).parent / "airflow"
    subprocess.run([str(airflow), "db", "migrate"], check=True, capture_output=True, env=os.environ.copy())
    return home


def run_dag(dag_id: str, **kwargs):
    """Run one DAG from dags/ with `dag.test()` in this process; returns the DagRun."""
    from frisk.dag_runner import load_dag

    return load_dag(dag_id).test(**kwargs)


def sample_personnummer(index: int = 0, form: str = "separated_long") -> str:
    """A valid personnummer from the personnummer/meta test data (never typed into test code, so the repo's
    privacy scan of committed files stays clean)."""
    import json

    cases = json.loads((FIXTURES / "personnummer" / "list.json").read_text())
    valid = [c for c in cases if c["valid"] and c["type"] == "ssn"]
    return valid[index][form]
