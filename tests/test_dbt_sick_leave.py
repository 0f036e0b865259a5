"""The sick-leave warehouse (issue 6) end to end: hand-built raw rows in a real PostgreSQL, one `dbt build`.

Scenario (employer A = 2120009903, as of 2024-06-30; 8 h/day = 40 h/week, Mon-Fri, calendar from 2024-01-01):
- p1 (woman, 34): six short spells; the first built from overlapping and adjacent periods (Jan 8-14, 85.71 %),
  the second a re-illness continuation (starts 4 days after); a VAB day that is not sick leave; a May spell in
  a batch the quality gate rejected (ignored).
- p2 (man, 54, 6 h/day): open-ended 50 % spell from March 1, ongoing on the as-of date (122 days).
- p3 (woman, 64): first delivered as Feb 1-29, then corrected (same delivery key) to Feb 1-5 with 20 reported
  hours.
- p4: hourly paid (no schedule): has a spell, but is outside the key-figure population.
- 13 colleagues with no absence (10 women born 1985, 3 men born 1965) so the employer is not a small group.
Employer B has two employees: every figure suppressed.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest

from frisk.config import DBT_PROJECT_DIR, REPO_ROOT

EMP_A, EMP_B = "2120009903", "2120009911"
AS_OF = "2024-06-30"
D = dt.date.fromisoformat

PERSONNEL_COLS = (
    "line_no",
    "employer_org_number",
    "person_key",
    "birth_year",
    "sex",
    "employment_id",
    "org_unit_code",
    "org_unit_name",
    "sector",
    "weekly_hours",
    "employment_start",
)
ABSENCE_COLS = (
    "line_no",
    "employer_org_number",
    "person_key",
    "employment_id",
    "absence_cause_code",
    "absence_category",
    "cause_is_known",
    "from_date",
    "to_date",
    "extent_pct",
    "hours",
)


# --------------------------------------------------------------------------------------------------- helpers
def add_batch(
    conn: psycopg.Connection,
    source: str,
    entity: str,
    delivery_key: str,
    employer: str | None,
    status: str = "loaded",
) -> int:
    return conn.execute(
        """insert into audit.batches (source, entity, file_name, file_sha256, delivery_key,
                                      employer_org_number,
                                      status, finished_at)
           values (%s, %s, %s, %s, %s, %s, %s, now()) returning batch_id""",
        (source, entity, delivery_key, uuid.uuid4().hex, delivery_key, employer, status),
    ).fetchone()[0]


def add_rows(
    conn: psycopg.Connection, table: str, cols: tuple[str, ...], batch_id: int, rows: list[tuple]
) -> None:
    sql = f"insert into {table} (batch_id, {', '.join(cols)}) values ({', '.join(['%s'] * (len(cols) + 1))})"
    for i, r in enumerate(rows, start=1):
        conn.execute(sql, (batch_id, i, *r))


def sick(
    employer: str,
    person: str,
    employment: str,
    start: str,
    end: str | None,
    extent: float = 100,
    hours: float | None = None,
    category: str = "sick_leave",
) -> tuple:
    code = {"sick_leave": "SJK", "child_care": "VAB"}[category]
    return (employer, person, employment, code, category, True, start, end, extent, hours)


def staff(
    employer: str,
    person: str,
    birth_year: int,
    sex: str,
    employment: str,
    unit: str,
    weekly_hours: float | None,
    sector: str = "care",
) -> tuple:
    return (
        employer,
        person,
        birth_year,
        sex,
        employment,
        unit,
        f"Enhet {unit}",
        sector,
        weekly_hours,
        "2020-01-01",
    )


def load_scenario(conn: psycopg.Connection) -> None:
    people = [
        staff(EMP_A, "pk_p1", 1990, "K", "E1", "U1", 40),
        staff(EMP_A, "pk_p2", 1970, "M", "E2", "U1", 30),
        staff(EMP_A, "pk_p3", 1960, "K", "E3", "U2", 40, "school"),
        staff(EMP_A, "pk_p4", 1995, "M", "E4", "U2", None),
    ]
    people += [staff(EMP_A, f"pk_w{i}", 1985, "K", f"EW{i}", "U3", 40) for i in range(10)]
    people += [staff(EMP_A, f"pk_m{i}", 1965, "M", f"EM{i}", "U3", 40) for i in range(3)]
    b = add_batch(conn, "payroll", "personnel", "personal_A.csv", EMP_A)
    add_rows(conn, "raw.payroll_personnel", PERSONNEL_COLS, b, people)
    b = add_batch(conn, "payroll", "personnel", "personal_B.csv", EMP_B)
    add_rows(
        conn,
        "raw.payroll_personnel",
        PERSONNEL_COLS,
        b,
        [staff(EMP_B, "pk_b1", 1980, "K", "B1", "BU", 40), staff(EMP_B, "pk_b2", 1980, "M", "B2", "BU", 40)],
    )

    b = add_batch(conn, "payroll", "absence", "franvaro_A_1.csv", EMP_A)
    add_rows(
        conn,
        "raw.payroll_absence",
        ABSENCE_COLS,
        b,
        [
            sick(EMP_A, "pk_p1", "E1", "2024-01-08", "2024-01-10"),
            sick(EMP_A, "pk_p1", "E1", "2024-01-10", "2024-01-12"),  # overlaps the previous row
            sick(EMP_A, "pk_p1", "E1", "2024-01-13", "2024-01-14", 50),  # adjacent (weekend, 50 %)
            sick(EMP_A, "pk_p1", "E1", "2024-01-18", "2024-01-19"),  # 4 days after: re-illness
            sick(EMP_A, "pk_p1", "E1", "2024-01-29", "2024-01-29"),
            sick(EMP_A, "pk_p1", "E1", "2024-02-05", "2024-02-05", category="child_care"),
            sick(EMP_A, "pk_p1", "E1", "2024-02-12", "2024-02-12"),
            sick(EMP_A, "pk_p1", "E1", "2024-03-04", "2024-03-04"),
            sick(EMP_A, "pk_p1", "E1", "2024-04-08", "2024-04-09"),
            sick(EMP_A, "pk_p2", "E2", "2024-03-01", None, 50),
            sick(EMP_A, "pk_p4", "E4", "2024-04-01", "2024-04-03"),
        ],
    )
    b = add_batch(conn, "payroll", "absence", "franvaro_A_p3.csv", EMP_A)
    add_rows(
        conn, "raw.payroll_absence", ABSENCE_COLS, b, [sick(EMP_A, "pk_p3", "E3", "2024-02-01", "2024-02-29")]
    )
    b = add_batch(conn, "payroll", "absence", "franvaro_A_p3.csv", EMP_A)  # the corrected re-delivery
    add_rows(
        conn,
        "raw.payroll_absence",
        ABSENCE_COLS,
        b,
        [sick(EMP_A, "pk_p3", "E3", "2024-02-01", "2024-02-05", hours=20)],
    )
    b = add_batch(conn, "payroll", "absence", "franvaro_A_bad.csv", EMP_A, status="gate_rejected")
    add_rows(
        conn, "raw.payroll_absence", ABSENCE_COLS, b, [sick(EMP_A, "pk_p1", "E1", "2024-05-01", "2024-05-31")]
    )
    b = add_batch(conn, "payroll", "absence", "franvaro_B.csv", EMP_B)
    add_rows(
        conn, "raw.payroll_absence", ABSENCE_COLS, b, [sick(EMP_B, "pk_b1", "B1", "2024-01-02", "2024-01-03")]
    )

    load_statistics(conn)


def load_statistics(conn: psycopg.Connection) -> None:
    b_old = add_batch(conn, "statistics", "fk", "fk_2024-03.xlsx", None)
    b_new = add_batch(conn, "statistics", "fk", "fk_2024-04.xlsx", None)
    sql = """insert into raw.fk_statistics (batch_id, source_file, sheet, row_no, period_month, region_level,
                                            region_code, region_name, age_band, sex, measure, value)
             values (%s, 'f.xlsx', 's', %s, %s, %s, %s, %s, %s, %s, 'sjukpenningtal_1_0', %s)"""
    rows = [
        ("riket", "00", "Riket", 10.3),
        ("lan", "20", "20 Dalarnas län", 11.1),
        ("kommun", "2080", "2080 Frisköping", 12.4),
        ("kommun", "1421", "1421 Orust", 9.9),
    ]
    for i, (level, code, name, value) in enumerate(rows, start=1):
        conn.execute(sql, (b_old, i, "2024-03-01", level, code, name, "Samtliga 16-64 år", "T", value - 1))
        conn.execute(sql, (b_new, i, "2024-03-01", level, code, name, "Samtliga 16-64 år", "T", value))
        conn.execute(sql, (b_new, 100 + i, "2024-03-01", level, code, name, "30-39 år", "T", value + 5))
    b = add_batch(conn, "statistics", "kolada", "kolada_N00090.json", None)
    for muni, value in [
        ("2080", 7.9),
        ("2081", 8.4),
        ("2085", 6.5),
        ("0020", 8.0),
        ("0000", 7.5),
        ("0180", 7.0),
    ]:
        conn.execute(
            """insert into raw.kolada_values (batch_id, kpi, municipality_id, period_year, gender, value)
                        values (%s, 'N00090', %s, 2023, 'T', %s)""",
            (b, muni, value),
        )


def run_dbt(url: str, target: Path, *args: str, as_of: str = AS_OF) -> subprocess.CompletedProcess:
    from frisk.dbt_env import dbt_environ

    env = {**os.environ, **dbt_environ(url, target), "FRISK_AS_OF_DATE": as_of}
    env.pop("FRISK_MARTS_SCHEMA", None)
    proc = subprocess.run(
        [str(REPO_ROOT / ".venv" / "bin" / "dbt"), *args, "--project-dir", str(DBT_PROJECT_DIR)],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-2000:]
    return proc


def new_database(pg_server: str, template_db: str) -> str:
    from frisk.warehouse import _with_database

    name = f"frisk_sl_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(pg_server, autocommit=True) as conn:
        conn.execute(f'create database "{name}" template "{template_db}"')
    return _with_database(pg_server, name)


def drop_database(pg_server: str, url: str) -> None:
    name = url.rsplit("/", 1)[1].split("?")[0]
    with psycopg.connect(pg_server, autocommit=True) as conn:
        conn.execute(f'drop database if exists "{name}" with (force)')


def weekdays(start: str, end: str) -> int:
    d, n = D(start), 0
    while d <= D(end):
        n += d.isoweekday() <= 5
        d += dt.timedelta(days=1)
    return n


# --------------------------------------------------------------------------------------------------- fixture
@pytest.fixture(scope="module")
def built(pg_server: str, template_db: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    """The scenario loaded and built once: seeds, models, data tests and unit tests of the sick_leave tag."""
    url = new_database(pg_server, template_db)
    with psycopg.connect(url) as conn:
        load_scenario(conn)
    proc = run_dbt(url, tmp_path_factory.mktemp("dbt"), "build", "--select", "+tag:sick_leave")
    yield {"url": url, "log": proc.stdout}
    drop_database(pg_server, url)


def q(built: dict, sql: str, *params) -> list[tuple]:
    """Rows with numerics as floats, so expected values can be written as plain numbers."""
    with psycopg.connect(built["url"]) as conn:
        rows = conn.execute(sql, params).fetchall()
    return [tuple(float(v) if isinstance(v, Decimal) else v for v in r) for r in rows]


# --------------------------------------------------------------------------------------------------- tests
def test_build_ran_unit_tests_and_data_tests(built: dict) -> None:
    log = built["log"]
    assert "ERROR=0" in log and "WARN=0" in log
    # the dbt unit tests ran inside the build (spell merging, re-illness, hours, key figures, suppression)
    for name in (
        "int_sick_spells::merges_overlapping_and_adjacent_periods",
        "int_sick_spells_reillness::links_spells_within_gap",
        "int_sick_leave_days::sick_hours_from_schedule_and_reported_hours",
        "int_employment_month_hours::month_hours_count_working_days",
        "int_employment_open_month_hours::open_month_stops_on_the_as_of_date",
        "rpt_sick_leave_key_figures::all_seven_key_figures",
        "rpt_sick_leave_key_figures::small_groups_suppressed",
    ):
        assert any(name in line and "PASS" in line for line in log.splitlines()), name


def test_staging_keeps_only_current_loaded_batches(built: dict) -> None:
    rows = q(
        built,
        "select person_key, from_date, to_date, reported_hours from staging.stg_payroll__absence "
        "where person_key in ('pk_p3') or from_date = '2024-05-01'",
    )
    # the superseded Feb 1-29 delivery and the gate-rejected May row are gone; raw still has both
    assert rows == [("pk_p3", D("2024-02-01"), D("2024-02-05"), 20)]
    assert q(built, "select count(*) from raw.payroll_absence")[0][0] == 15


def test_spells_merge_overlap_adjacency_and_extent(built: dict) -> None:
    rows = q(
        built,
        """select start_date, end_date, length_days, length_band, avg_extent_pct, sick_hours,
                              continues_previous_spell, is_ongoing
                       from marts.fct_sick_spells where person_key = 'pk_p1' order by start_date""",
    )
    assert [r[0] for r in rows] == [
        D(x) for x in ("2024-01-08", "2024-01-18", "2024-01-29", "2024-02-12", "2024-03-04", "2024-04-08")
    ]
    first = rows[0]
    # Jan 8-12 at 100 %, Jan 13-14 (weekend) at 50 %: 7 days, day-weighted extent 600/7, 5 workdays x 8 h
    assert first[1:6] == (D("2024-01-14"), 7, "1-14", pytest.approx(85.71), 40)
    assert [r[6] for r in rows] == [
        False,
        True,
        False,
        False,
        False,
        False,
    ]  # re-illness: 4 days after Jan 14
    assert not any(r[7] for r in rows)


def test_reillness_episode_and_milestones(built: dict) -> None:
    (first_id,) = q(
        built,
        "select spell_id from marts.fct_sick_spells where person_key='pk_p1' and start_date='2024-01-08'",
    )[0]
    (episode,) = q(
        built,
        "select episode_id from marts.fct_sick_spells where person_key='pk_p1' and start_date='2024-01-18'",
    )[0]
    assert episode == first_id
    p2 = q(
        built,
        """select end_date, is_ongoing, length_days, length_band, avg_extent_pct, sick_hours,
                            day_8_reached_on, day_14_reached_on, day_30_reached_on, day_60_reached_on,
                            day_90_reached_on, day_180_reached_on, last_milestone_day
                     from marts.fct_sick_spells where person_key = 'pk_p2'""",
    )
    assert p2 == [
        (
            None,
            True,
            122,
            "90-179",
            50,
            weekdays("2024-03-01", AS_OF) * 6 * 0.5,
            D("2024-03-08"),
            D("2024-03-14"),
            D("2024-03-30"),
            D("2024-04-29"),
            D("2024-05-29"),
            None,
            90,
        )
    ]


def test_hours_reported_hours_and_population(built: dict) -> None:
    assert q(
        built, "select length_days, sick_hours from marts.fct_sick_spells where person_key = 'pk_p3'"
    ) == [(5, 20)]
    # hourly paid: the spell exists (HR signals) but has no scheduled hours, so no sick hours
    assert q(
        built, "select length_days, sick_hours from marts.fct_sick_spells where person_key = 'pk_p4'"
    ) == [(3, 0)]
    assert q(built, "select count(*) from marts.fct_sick_leave_monthly where employees = 0")[0][0] == 0


def test_monthly_fact(built: dict) -> None:
    rows = q(
        built,
        """select employees, scheduled_hours, sick_hours, long_term_sick_hours, spells_started
                       from marts.fct_sick_leave_monthly
                       where employer_org_number = %s and org_unit_code = 'U1' and month_start = '2024-03-01'
                         and sex = 'M' and age_band = '>=50'""",
        EMP_A,
    )
    march = weekdays("2024-03-01", "2024-03-31")
    assert rows == [(1, march * 6, march * 3, march * 3, 1)]
    rows = q(
        built,
        """select sum(employees), sum(sick_hours), sum(spells_started) from marts.fct_sick_leave_monthly
                       where employer_org_number = %s and month_start = '2024-01-01'""",
        EMP_A,
    )
    assert rows == [(16, 64, 3)]  # p1: 40 + 16 + 8 h in January, three spells started
    assert q(built, "select max(month_start) from marts.fct_sick_leave_monthly")[0][0] == D("2024-06-01")


def test_key_figures_and_suppression(built: dict) -> None:
    cols = (
        "employees",
        "sick_leave_pct",
        "long_term_share_pct",
        "women_sick_leave_pct",
        "men_sick_leave_pct",
        "age_29_or_younger_sick_leave_pct",
        "age_30_49_sick_leave_pct",
        "age_50_or_older_sick_leave_pct",
        "is_suppressed",
        "women_suppressed",
        "men_suppressed",
        "age_29_or_younger_suppressed",
        "age_30_49_suppressed",
        "age_50_or_older_suppressed",
        "is_complete_year",
    )
    row = dict(
        zip(
            cols,
            q(
                built,
                f"""select {", ".join(cols)} from marts.rpt_sick_leave_key_figures
                                      where employer_org_number = %s and report_year = 2024
                                        and group_level = 'employer'""",
                EMP_A,
            )[0],
            strict=True,
        )
    )
    workdays = weekdays("2024-01-01", AS_OF)  # 130
    p2_sick = weekdays("2024-03-01", AS_OF) * 3
    total_sick = 96 + p2_sick + 20  # p1, p2, p3
    total_sched = 15 * workdays * 8 + workdays * 6
    assert row["employees"] == 16  # the hourly-paid p4 is outside the population
    assert float(row["sick_leave_pct"]) == round(100 * total_sick / total_sched, 2)
    assert float(row["long_term_share_pct"]) == round(100 * p2_sick / total_sick, 2)
    assert float(row["women_sick_leave_pct"]) == round(100 * (96 + 20) / (12 * workdays * 8), 2)
    assert float(row["age_30_49_sick_leave_pct"]) == round(100 * 96 / (11 * workdays * 8), 2)
    # 4 men, 0 aged <=29 and 5 aged >=50: groups of 10 or fewer are null and flagged
    assert (row["men_sick_leave_pct"], row["men_suppressed"]) == (None, True)
    assert (row["age_29_or_younger_sick_leave_pct"], row["age_29_or_younger_suppressed"]) == (None, True)
    assert (row["age_50_or_older_sick_leave_pct"], row["age_50_or_older_suppressed"]) == (None, True)
    assert (row["is_suppressed"], row["women_suppressed"], row["age_30_49_suppressed"]) == (
        False,
        False,
        False,
    )
    assert row["is_complete_year"] is False
    small = q(
        built,
        """select group_level, group_code, is_suppressed, sick_leave_pct, sick_hours
                        from marts.rpt_sick_leave_key_figures
                        where (employer_org_number = %s and group_level = 'org_unit' and group_code = 'U1')
                           or employer_org_number = %s order by 1, 2""",
        EMP_A,
        EMP_B,
    )
    assert small == [
        ("employer", "ALL", True, None, None),
        ("org_unit", "BU", True, None, None),
        ("org_unit", "U1", True, None, None),
        ("sector", "care", True, None, None),
    ]


def test_absence_signals(built: dict) -> None:
    rows = q(
        built,
        """select person_key, rule_id, signal_date, occasions_in_window, milestone_day, first_reported_on
                       from marts.fct_absence_signals order by person_key, rule_id, signal_date""",
    )
    expected = [
        ("pk_p1", "repeated_3_in_183", D(d), n, None, D(d))
        for d, n in (("2024-01-29", 3), ("2024-02-12", 4), ("2024-03-04", 5), ("2024-04-09", 6))
    ]
    expected.append(("pk_p1", "repeated_6_in_365", D("2024-04-09"), 6, None, D("2024-04-09")))
    expected += [
        ("pk_p2", f"long_spell_day_{m}", D(d), None, m, D(d))
        for m, d in ((14, "2024-03-14"), (30, "2024-03-30"), (60, "2024-04-29"), (90, "2024-05-29"))
    ]
    assert rows == expected


def test_public_benchmark(built: dict) -> None:
    fk = q(
        built,
        """select comparison, region_code, value from marts.rpt_public_benchmark
                     where employer_org_number = %s and indicator = 'fk_sjukpenningtal_1_0'
                       and period_start = '2024-03-01' order by comparison""",
        EMP_A,
    )
    # the latest FK delivery wins; the all-ages band only; another kommun (1421) is not this employer's
    assert fk == [("kommun", "2080", 12.4), ("lan", "20", 11.1), ("riket", "00", 10.3)]
    kolada = q(
        built,
        """select comparison, region_code, value from marts.rpt_public_benchmark
                         where employer_org_number = %s and indicator = 'kolada_N00090' and source = 'kolada'
                         order by comparison, region_code""",
        EMP_A,
    )
    assert kolada == [
        ("lan", "0020", 8.0),
        ("lan_municipality", "2081", 8.4),
        ("lan_municipality", "2085", 6.5),
        ("peer", "2081", 8.4),
        ("riket", "0000", 7.5),
        ("self", "2080", 7.9),
    ]
    own = q(
        built,
        """select value, is_suppressed from marts.rpt_public_benchmark
                      where employer_org_number = %s and indicator = 'own_sick_leave_pct'
                        and period_start = '2024-01-01'""",
        EMP_A,
    )
    assert own == [(round(100 * 64 / (16 * 23 * 8 - 23 * 2), 2), False)]  # 15 x 8 h + 6 h a day, 23 workdays
    own_year = q(
        built,
        """select value from marts.rpt_public_benchmark where employer_org_number = %s
                           and indicator = 'kolada_N00090' and comparison = 'own'""",
        EMP_A,
    )
    (figure,) = q(
        built,
        "select sick_leave_pct from marts.rpt_sick_leave_key_figures where employer_org_number = %s "
        "and report_year = 2024 and group_level = 'employer'",
        EMP_A,
    )[0]
    assert own_year == [(figure,)]


def test_marts_refuse_rows_that_break_their_row_rules(built: dict) -> None:
    # accepted values and rules on a row's own columns are check constraints of the enforced contracts, so a row
    # that breaks one can never be written (a test would only find it after, scanning the whole table each night)
    with psycopg.connect(built["url"]) as conn:
        checks = {r[0]: r[1] for r in conn.execute(
            "select c.conrelid::regclass::text, count(*) from pg_constraint c "
            "join pg_namespace n on n.oid = c.connamespace where n.nspname = 'marts' and c.contype = 'c' "
            "group by 1")}
        assert checks["marts.fct_sick_spells"] == 2 and checks["marts.fct_absence_signals"] == 1
        assert checks["marts.rpt_sick_leave_key_figures"] == 3  # two rules on the row, one on group_level
        for sql in ("update marts.fct_absence_signals set signal_type = 'short' where ctid = "
                    "(select min(ctid) from marts.fct_absence_signals)",
                    "update marts.fct_sick_spells set avg_extent_pct = 120 where ctid = "
                    "(select min(ctid) from marts.fct_sick_spells)"):
            with pytest.raises(psycopg.errors.CheckViolation):
                conn.execute(sql)
            conn.rollback()
