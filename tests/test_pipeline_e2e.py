"""`frisk run` end to end: demo data -> every DAG -> marts, extracts, a clean privacy scan; and a second run of
the same night leaves every table identical (idempotency)."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import uuid
from pathlib import Path

import psycopg
import pytest

from tests.conftest import TEST_KEY, _db_url
from tests.reliability_support import fingerprint

pytestmark = pytest.mark.slow

SCHEMAS = ("raw", "quarantine", "staging", "intermediate", "marts", "meta")


@pytest.fixture
def run_env(pg_server: str, tmp_path: Path) -> dict[str, str]:
    names = {k: f"e2e_{k}_{uuid.uuid4().hex[:8]}" for k in ("warehouse", "airflow")}
    with psycopg.connect(pg_server, autocommit=True) as conn:
        for name in names.values():
            conn.execute(f'create database "{name}"')
    env = {
        **os.environ,
        "FRISK_HOME": str(tmp_path / "home"),
        "FRISK_LANDING_DIR": str(tmp_path / "data" / "landing"),
        "FRISK_OUTBOX_DIR": str(tmp_path / "data" / "outbox"),
        "FRISK_WAREHOUSE_URL": _db_url(pg_server, names["warehouse"]),
        "FRISK_AIRFLOW_DB_URL": _db_url(pg_server, names["airflow"]).replace("postgresql://",
                                                                             "postgresql+psycopg2://", 1),
        "FRISK_PSEUDONYM_KEY": TEST_KEY,
    }
    return env


# Both runs are the same night: the build's as-of date comes from the logical date (Europe/Stockholm), so a run
# that crosses midnight would otherwise be a different night with different marts.
NIGHT = dt.datetime.now().strftime("%Y-%m-%dT03:00:00+01:00")


def _frisk_run(env: dict[str, str]) -> subprocess.CompletedProcess:
    exe = Path(sys.executable).parent / "frisk"
    return subprocess.run([str(exe), "run", "--demo-employees", "300", "--demo-years", "2", "--logical-date", NIGHT],
                          env=env, capture_output=True, text=True, timeout=1500)


def test_frisk_run_end_to_end_and_again(run_env: dict[str, str], tmp_path: Path) -> None:
    first = _frisk_run(run_env)
    assert first.returncode == 0, first.stdout[-6000:] + first.stderr[-3000:]
    out = first.stdout
    assert "RESULT: OK" in out
    for word in ("payroll", "invoices", "statistics", "Meeting extracts", "GX Data Docs", "dbt docs"):
        assert word in out, word
    url = run_env["FRISK_WAREHOUSE_URL"]
    with psycopg.connect(url) as conn:
        loaded = dict(conn.execute("select source, sum(rows_loaded) from audit.batches "
                                   "where status = 'loaded' group by source").fetchall())
        assert loaded.get("payroll", 0) > 1000 and loaded.get("invoices", 0) > 0
        for mart in ("fct_sick_spells", "rpt_sick_leave_key_figures", "fct_grant_eligibility"):
            assert conn.execute(f"select count(*) from marts.{mart}").fetchone()[0] > 0, mart
    packs = list((tmp_path / "data" / "outbox").glob("**/manifest.json"))
    assert packs, "no meeting pack written"

    before = fingerprint(url, SCHEMAS)
    second = _frisk_run(run_env)
    assert second.returncode == 0, second.stdout[-6000:]
    assert fingerprint(url, SCHEMAS) == before
