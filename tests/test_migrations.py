"""Migrations that upgrade an existing warehouse: what they change in a database built by an earlier release."""

from __future__ import annotations

import psycopg

from frisk.warehouse import migrate

DROP_CALENDAR = "056_drop_scheduled_hours.sql"


def test_upgrade_drops_the_day_calendar_no_model_builds(warehouse: str) -> None:
    # a warehouse built before the calendar table was dropped from the dbt project: dbt leaves a removed model's
    # table in place (47 million rows at 50,000 employees x 5 years), so the migration removes it
    with psycopg.connect(warehouse) as conn:
        conn.execute("create schema if not exists intermediate")
        conn.execute("create table intermediate.int_scheduled_hours (employment_id text, work_date date)")
        conn.execute("insert into intermediate.int_scheduled_hours values ('E1', date '2024-01-08')")
        conn.execute("delete from meta.schema_migrations where name = %s", (DROP_CALENDAR,))
    assert migrate(warehouse) == [DROP_CALENDAR]
    with psycopg.connect(warehouse) as conn:
        assert conn.execute("select to_regclass('intermediate.int_scheduled_hours')").fetchone()[0] is None
        # a warehouse that never had the table (a new one, or one dbt has not built yet) migrates all the same
        conn.execute("drop schema intermediate cascade")
        conn.execute("delete from meta.schema_migrations where name = %s", (DROP_CALENDAR,))
    assert migrate(warehouse) == [DROP_CALENDAR]
