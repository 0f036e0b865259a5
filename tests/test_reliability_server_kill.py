"""Crash safety at the deepest level: PostgreSQL itself is killed (SIGKILL to the postmaster) in the middle of a
warehouse build. After a restart (crash recovery), the published marts are yesterday's, and the next build
completes and equals an uninterrupted one. Runs on a private embedded server, never the session's."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil
import psycopg
import pytest

from tests.conftest import TEST_KEY
from tests.reliability_support import deliver, fingerprint, generate_demo

pytestmark = pytest.mark.slow
AS_OF = "2025-01-15"


def _py(code: str, env: dict, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=timeout)


def _build(run_id: str, url: str, target: Path, publish: bool) -> str:
    return (f"from frisk import dbt_runner\n"
            f"r = dbt_runner.build_aside({run_id!r}, as_of={AS_OF!r}, warehouse_url={url!r}, "
            f"target_path=__import__('pathlib').Path({str(target)!r}))\n"
            f"assert r.success, r.message\n"
            + (f"dbt_runner.publish({run_id!r}, conninfo={url!r})\n" if publish else ""))


def _postgres_processes(pgdata: Path) -> list[psutil.Process]:
    found = []
    for proc in psutil.process_iter(["name", "cmdline"]):
        cmd = proc.info.get("cmdline") or []
        if proc.info.get("name") == "postgres" and str(pgdata) in " ".join(cmd):
            found.append(proc)
    return found


def test_postgres_killed_mid_build_leaves_yesterdays_marts(tmp_path: Path) -> None:
    home = Path(tempfile.mkdtemp(prefix="frisk-kill-"))  # short path: the unix socket lives in it
    env = {**os.environ, "FRISK_HOME": str(home), "FRISK_PSEUDONYM_KEY": TEST_KEY,
           "FRISK_LANDING_DIR": str(tmp_path / "landing")}
    env.pop("FRISK_WAREHOUSE_URL", None)
    up = "from frisk import warehouse; print(warehouse.up())"
    try:
        started = _py(up, env)
        assert started.returncode == 0, started.stderr[-2000:]
        url = started.stdout.strip().splitlines()[-1]
        env["FRISK_WAREHOUSE_URL"] = url
        demo = tmp_path / "demo"
        generate_demo(demo)
        deliver(demo, tmp_path / "landing", "payroll")
        loaded = _py("from frisk.payroll import load_pending; print(len(load_pending('setup')))", env)
        assert loaded.returncode == 0, loaded.stderr[-2000:]

        night = _py(_build("night-1", url, tmp_path / "t1", publish=True), env)
        assert night.returncode == 0, night.stderr[-3000:]
        yesterday = fingerprint(url)
        assert yesterday["marts.fct_sick_spells"][0] > 0

        # the next build, killed with the server under it once dbt writes into the build-aside schema
        build = subprocess.Popen([sys.executable, "-c", _build("night-2", url, tmp_path / "t2", publish=True)],
                                 env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 180
        with psycopg.connect(url, autocommit=True) as conn:
            while time.monotonic() < deadline and build.poll() is None:
                busy = conn.execute("select count(*) from pg_stat_activity where application_name = 'dbt' "
                                    "and query ilike '%marts\\_build%'").fetchone()[0]
                if busy:
                    break
                time.sleep(0.01)
        assert build.poll() is None, "the build finished before it could be interrupted"
        postmaster = int((home / "pgdata" / "postmaster.pid").read_text().splitlines()[0])
        os.kill(postmaster, signal.SIGKILL)
        assert build.wait(timeout=180) != 0, "a build whose server died must fail"
        for proc in _postgres_processes(home / "pgdata"):  # backends notice the dead postmaster and exit
            proc.wait(timeout=60)

        restarted = _py(up, {**env, "FRISK_WAREHOUSE_URL": ""})  # crash recovery on start
        log = home / "pgdata" / "log"
        assert restarted.returncode == 0, restarted.stderr[-1500:] + (log.read_text()[-3000:] if log.exists() else "")
        # nothing of the killed night is visible (but a backup table dbt had not dropped yet when the server died)
        assert fingerprint(url, without_dbt_leftovers=True) == yesterday
        with psycopg.connect(url) as conn:
            status = conn.execute("select status from audit.builds where run_id = 'night-2'").fetchone()
        assert status is None or status[0] != "published"

        again = _py(_build("night-3", url, tmp_path / "t3", publish=True), env)
        assert again.returncode == 0, again.stderr[-3000:]
        assert fingerprint(url) == yesterday  # the recovered build equals the uninterrupted one, leftovers dropped
    finally:
        _py("from frisk import warehouse; warehouse.stop_embedded()", {**env, "FRISK_WAREHOUSE_URL": ""})
        shutil.rmtree(home, ignore_errors=True)
