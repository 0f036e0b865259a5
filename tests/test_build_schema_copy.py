"""prepare_build_schema's copy of a published incremental mart keeps its rows, keys and indexes."""

from __future__ import annotations

import psycopg
import pytest
from psycopg import sql

from frisk import dbt_runner


def _indexes(conn: psycopg.Connection, schema: str) -> list[str]:
    rows = conn.execute("select indexdef from pg_indexes where schemaname = %s and tablename = 'copied' order by 1",
                        (schema,)).fetchall()
    return [r[0].replace(f" ON {schema}.copied ", " ON copied ") for r in rows]


def test_copy_keeps_rows_constraints_and_indexes(warehouse: str) -> None:
    pub, build = dbt_runner.PUBLISHED_SCHEMA, dbt_runner.BUILD_SCHEMA
    with psycopg.connect(warehouse) as conn:
        for schema in (pub, build):
            conn.execute(sql.SQL("create schema if not exists {}").format(sql.Identifier(schema)))
        conn.execute(sql.SQL("create table {} (a int primary key, b text not null, c date, unique (b, c), "
                             "check (a > 0))").format(sql.Identifier(pub, "copied")))
        conn.execute(sql.SQL('create index "a Name" on {} (c desc) where c is not null').format(
            sql.Identifier(pub, "copied")))
        conn.execute(sql.SQL("insert into {} values (1, 'x', '2024-01-01'), (2, 'y', null)").format(
            sql.Identifier(pub, "copied")))
        dbt_runner._copy_table(conn, "copied")
        rows = sql.SQL("select a, b, c from {} order by a")
        assert (conn.execute(rows.format(sql.Identifier(build, "copied"))).fetchall()
                == conn.execute(rows.format(sql.Identifier(pub, "copied"))).fetchall())
        assert _indexes(conn, build) == _indexes(conn, pub)
        assert len(_indexes(conn, build)) == 3
        constraints = "select contype from pg_constraint where conrelid = %s::regclass order by 1"
        assert (conn.execute(constraints, (f"{build}.copied",)).fetchall()
                == conn.execute(constraints, (f"{pub}.copied",)).fetchall())
        for bad in ("(1, 'z', null)", "(3, 'x', '2024-01-01')", "(0, 'q', null)"):  # key, unique, check
            with pytest.raises(psycopg.errors.IntegrityError), conn.transaction():
                conn.execute(sql.SQL("insert into {} values " + bad).format(sql.Identifier(build, "copied")))
