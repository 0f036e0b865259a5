"""dbt's environment from a warehouse URL: connection fields, work_mem and the number of threads."""

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
