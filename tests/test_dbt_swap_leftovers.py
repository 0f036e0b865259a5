"""A failed build leaves no relation of dbt's interrupted table swaps behind (frisk.dbt_runner)."""

from __future__ import annotations

import psycopg

from frisk.dbt_runner import _drop_swap_leftovers


def test_swap_leftovers_are_dropped_and_nothing_else(warehouse: str) -> None:
    with psycopg.connect(warehouse, autocommit=True) as conn:
        conn.execute("create schema if not exists intermediate")
        conn.execute("create table intermediate.int_x (a int)")
        conn.execute("create table intermediate.int_x__dbt_backup (a int)")
        conn.execute("create view intermediate.int_y__dbt_tmp as select 1 as a")
        conn.execute("create table intermediate.int_zz_dbt_backup (a int)")  # single underscores: not dbt's
    _drop_swap_leftovers(warehouse)
    with psycopg.connect(warehouse) as conn:
        names = {r[0] for r in conn.execute(
            "select relname from pg_class where relnamespace = 'intermediate'::regnamespace and relkind in ('r', 'v')")}
    assert {"int_x", "int_zz_dbt_backup"} <= names
    assert not names & {"int_x__dbt_backup", "int_y__dbt_tmp"}
