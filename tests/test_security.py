"""BI access: roles, grants and row-level security, tested with real logins against PostgreSQL."""

from __future__ import annotations

import uuid
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest

from frisk.security import apply_mart_security, create_login

A, B = "2120009903", "2120009911"


def _as(url: str, login: str, password: str) -> str:
    parts = urlsplit(url)
    host = parts.netloc.split("@")[-1]
    return urlunsplit(parts._replace(netloc=f"{login}:{password}@{host}"))


@pytest.fixture
def marts(warehouse: str) -> str:
    with psycopg.connect(warehouse) as conn:
        conn.execute(psycopg.sql.SQL("""
            create schema if not exists marts;
            create table marts.rpt_unit (employer_org_number text, org_unit_code text, sick_pct numeric);
            create table marts.fct_person (employer_org_number text, person_key text, spells int);
            create table marts.rpt_regional (collaboration_group text, sick_pct numeric);
            insert into marts.rpt_unit values ({a}, 'U1', 5.1), ({b}, 'U9', 7.2);
            insert into marts.fct_person values ({a}, 'k1', 3), ({b}, 'k2', 1);
            insert into marts.rpt_regional values ('dalarna-syd', 6.0), ('other', 9.9);
            create view marts.fct_person_status as select *, spells > 1 as repeated from marts.fct_person;
            create table meta.employers (employer_org_number text, collaboration_group text);
            insert into meta.employers values ({a}, 'dalarna-syd'), ({b}, 'dalarna-syd');
        """).format(a=psycopg.sql.Literal(A), b=psycopg.sql.Literal(B)))
    assert apply_mart_security(conninfo=warehouse) == 4
    return warehouse


def _login(url: str, **scope) -> str:
    name = f"t_{uuid.uuid4().hex[:10]}"
    create_login(name, "secret", conninfo=url, **scope)
    return _as(url, name, "secret")


def test_bi_login_sees_only_its_employer_and_no_person_level_or_raw_tables(marts: str) -> None:
    url = _login(marts, employer_org_number=A)
    with psycopg.connect(url) as conn:
        assert conn.execute("select employer_org_number from marts.rpt_unit").fetchall() == [(A,)]
        for table in ("marts.fct_person", "marts.fct_person_status", "raw.payroll_absence", "quarantine.rows",
                      "audit.batches"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(f"select * from {table}")
            conn.rollback()
        assert conn.execute("select count(*) from marts.rpt_regional").fetchone()[0] == 0


def test_hr_login_reads_person_level_rows_of_its_employer_only(marts: str) -> None:
    url = _login(marts, employer_org_number=B, hr=True)
    with psycopg.connect(url) as conn:
        assert conn.execute("select person_key from marts.fct_person").fetchall() == [("k2",)]
        # a view of the marts reads its table as the login (security_invoker): the table's policy applies
        assert conn.execute("select person_key from marts.fct_person_status").fetchall() == [("k2",)]
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("select * from raw.payroll_personnel")


def test_group_login_sees_the_group_regional_aggregates_and_its_members(marts: str) -> None:
    url = _login(marts, collaboration_group="dalarna-syd")
    with psycopg.connect(url) as conn:
        assert conn.execute("select sick_pct from marts.rpt_regional").fetchall() == [(6.0,)]
        units = conn.execute("select employer_org_number from marts.rpt_unit order by 1").fetchall()
        assert units == [(A,), (B,)]


def test_unbound_member_of_bi_sees_nothing(marts: str) -> None:
    name = f"t_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(marts, autocommit=True) as conn:
        conn.execute(f"create role {name} login password 'x' in role frisk_bi")
    with psycopg.connect(_as(marts, name, "x")) as conn:
        assert conn.execute("select count(*) from marts.rpt_unit").fetchone()[0] == 0


def test_login_requires_exactly_one_scope(warehouse: str) -> None:
    with pytest.raises(ValueError):
        create_login("t_bad", "x", conninfo=warehouse)
    with pytest.raises(ValueError):
        create_login("Robert'); drop table x;--", "x", employer_org_number=A, conninfo=warehouse)
