"""dbt's environment from a warehouse URL: connection fields, session settings and the number of threads."""

from __future__ import annotations

import os

import pytest

from frisk.dbt_env import dbt_environ, default_threads


def test_connection_fields_from_a_socket_url() -> None:
    env = dbt_environ("postgresql://frisk:s%40lt@/warehouse_x?host=/tmp/pg&port=5433")
    assert (env["FRISK_DBT_HOST"], env["FRISK_DBT_PORT"], env["FRISK_DBT_USER"], env["FRISK_DBT_PASSWORD"],
            env["FRISK_DBT_DBNAME"]) == ("/tmp/pg", "5433", "frisk", "s@lt", "warehouse_x")


def test_threads_are_the_usable_cores_plus_one_unless_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FRISK_DBT_THREADS", raising=False)
    assert default_threads() == len(os.sched_getaffinity(0)) + 1
    assert dbt_environ("postgresql://u@localhost/w")["FRISK_DBT_THREADS"] == str(default_threads())
    monkeypatch.setenv("FRISK_DBT_THREADS", "1")
    assert dbt_environ("postgresql://u@localhost/w")["FRISK_DBT_THREADS"] == "1"


def test_an_incremental_night_runs_without_parallel_workers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FRISK_DBT_NIGHT_PARALLEL_WORKERS", raising=False)
    monkeypatch.delenv("FRISK_DBT_WORK_MEM", raising=False)
    assert dbt_environ("postgresql://u@localhost/w")["PGOPTIONS"] == "-c work_mem=128MB"
    night = dbt_environ("postgresql://u@localhost/w", incremental_night=True)["PGOPTIONS"]
    assert night == "-c work_mem=128MB -c max_parallel_workers_per_gather=0"
    monkeypatch.setenv("FRISK_DBT_NIGHT_PARALLEL_WORKERS", "2")
    assert dbt_environ("postgresql://u@localhost/w", incremental_night=True)["PGOPTIONS"].endswith(
        "max_parallel_workers_per_gather=2")
    monkeypatch.setenv("FRISK_DBT_NIGHT_PARALLEL_WORKERS", "all")
    with pytest.raises(ValueError, match="FRISK_DBT_NIGHT_PARALLEL_WORKERS"):
        dbt_environ("postgresql://u@localhost/w", incremental_night=True)


def test_the_night_settings_reach_the_server(warehouse: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """PGOPTIONS is read by libpq when a session starts, as dbt-postgres' connections do: a night's sessions have
    no parallel workers, a full refresh's keep the server's setting."""
    import psycopg

    monkeypatch.delenv("PGOPTIONS", raising=False)
    with psycopg.connect(warehouse) as conn:
        server_setting = conn.execute("show max_parallel_workers_per_gather").fetchone()[0]
    assert server_setting != "0"  # else the night's setting would not be seen
    for night, workers in ((True, "0"), (False, server_setting)):
        monkeypatch.setenv("PGOPTIONS", dbt_environ(warehouse, incremental_night=night)["PGOPTIONS"])
        with psycopg.connect(warehouse) as conn:
            assert conn.execute("show work_mem").fetchone()[0] == "128MB"
            assert conn.execute("show max_parallel_workers_per_gather").fetchone()[0] == workers
