"""The warehouse_build DAG end to end under real Airflow (dag.test) on PostgreSQL, and the publish guard."""

from __future__ import annotations

from pathlib import Path

import pendulum
import psycopg
import pytest

from frisk.identity import luhn_ok
from tests.conftest import run_dag
from tests.warehouse_build_data import (
    EMPLOYERS,
    add_batch,
    bad_absence_batch,
    marts_snapshot,
    seed_world,
)

NIGHT = pendulum.datetime(2025, 1, 15, 3, 30, tz="Europe/Stockholm")


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private FRISK_HOME per test: the GX working copy, Data Docs and dbt target live there."""
    h = tmp_path / "frisk_home"
    h.mkdir()
    monkeypatch.setenv("FRISK_HOME", str(h))
    return h


def _one(url: str, sql: str, params: tuple = ()) -> tuple:
    with psycopg.connect(url) as conn:
        return conn.execute(sql, params).fetchone()


@pytest.mark.slow
def test_dag_publishes_marts_and_a_bad_batch_stops_at_the_gate(
    airflow_home: Path, warehouse: str, home: Path
) -> None:
    seed_world(warehouse)
    run1 = run_dag("warehouse_build", logical_date=NIGHT)
    assert str(run1.state).endswith("success")

    with psycopg.connect(warehouse) as conn:
        build = conn.execute("select status, models_built, tests_passed, tests_failed from audit.builds").fetchall()
        assert len(build) == 1 and build[0][0] == "published" and build[0][1] > 0 and build[0][3] == 0
        nodes = conn.execute("select resource_type, status, rows_affected from audit.dbt_nodes").fetchall()
        gates = conn.execute("select outcome, count(*) from audit.batch_gates group by 1").fetchall()
        mart_checks = conn.execute("select count(*) from audit.checks where target like 'marts.%%'").fetchone()[0]
        grants = conn.execute("select has_schema_privilege('frisk_bi', 'marts', 'usage')").fetchone()[0]
    assert {t for t, _, _ in nodes} >= {"model", "test", "seed"}
    assert all(s in ("success", "pass", "warn", "skipped", "no-op") for _, s, _ in nodes)
    assert any(r and r > 0 for t, _, r in nodes if t == "model")  # row counts surfaced from dbt
    assert dict(gates) == {"passed": 10}
    assert mart_checks > 0 and grants
    before = marts_snapshot(warehouse)
    assert before and sum(len(v) for v in before.values()) > 0
    assert (home / "dbt" / "target" / "index.html").exists()
    assert (home / "gx" / "uncommitted" / "data_docs" / "local_site" / "index.html").exists()

    # The next night a delivery with a to-date before its from-date and a date in 1890 arrives.
    bad = bad_absence_batch(warehouse)
    # same night again (same as-of date); the docs were checked above, so skip regenerating them
    run2 = run_dag("warehouse_build", logical_date=NIGHT, mark_success_pattern="^docs$")
    assert str(run2.state).endswith("success")
    status, error = _one(warehouse, "select status, error from audit.batches where batch_id = %s", (bad,))
    assert status == "gate_rejected"
    assert "franvaro_2120009903_bad.csv" in error and "to_date>=from_date" in error and "lines 5" in error
    builds = _one(warehouse, "select count(*) filter (where status = 'published') from audit.builds")[0]
    assert builds == 2  # the second night was built and published too ...
    assert marts_snapshot(warehouse) == before  # ... and it is exactly the first night: the batch stayed out


def _pnr_shaped() -> str:
    """A personnummer-shaped number with a valid check digit, made at test time (never committed)."""
    base = "121212121"
    check = next(d for d in "0123456789" if luhn_ok(base + d))
    return f"19{base[:6]}-{base[6:]}{check}"


@pytest.mark.slow
def test_a_failing_mart_check_leaves_the_previous_marts(warehouse: str, home: Path, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    from frisk import dbt_runner
    from frisk.quality import check_marts, gate_new_batches

    weighed: list[dict | None] = []  # what each dbt invocation's critical path was weighed with (dbt_schedule)
    real = dbt_runner.critical_path_first

    def recording(threads: int, seconds: dict | None = None):
        weighed.append(seconds)
        return real(threads, seconds)

    monkeypatch.setattr(dbt_runner, "critical_path_first", recording)
    seed_world(warehouse)
    target = tmp_path / "target"
    assert all(r["outcome"] == "passed" for r in gate_new_batches("n1", as_of="2025-01-15", build_docs=False))
    first = dbt_runner.build_aside("n1", as_of="2025-01-15", warehouse_url=warehouse, target_path=target)
    assert first.success and first.full_refresh  # nothing published yet: a full refresh
    assert check_marts(dbt_runner.BUILD_SCHEMA, "n1", build_docs=False).success
    dbt_runner.publish("n1")
    before = marts_snapshot(warehouse)

    # A payroll delivery whose unit code holds a personnummer slips past the gate (marked gated by hand):
    # the mart check is the second line of defence.
    with psycopg.connect(warehouse) as conn:
        b = add_batch(conn, "payroll", "personnel", "personal_leak.csv", EMPLOYERS[0])
        conn.execute(
            """insert into raw.payroll_personnel
               select %s, line_no, employer_org_number, person_key, birth_year, sex, is_coordination_number,
                      employment_id, %s, org_unit_name, sector, occupation, employment_rate_pct, weekly_hours,
                      employment_start, employment_end
               from raw.payroll_personnel where batch_id = 1""", (b, _pnr_shaped()))
        conn.execute("insert into audit.batch_gates (batch_id, outcome) values (%s, 'passed')", (b,))
        conn.execute("update audit.batches set delivery_key = %s where batch_id = %s",
                     ("personal_2120009903_2024.csv", b))  # a corrected re-delivery of the first file
    build = dbt_runner.build_aside("n2", as_of="2025-01-15", warehouse_url=warehouse, target_path=target)
    assert build.success and not build.full_refresh  # the project n1 published: incremental
    # the first build had no earlier one to weigh its nodes with; the second is weighed with the first's seconds
    assert weighed[0] == {} and weighed[-1] == {n.unique_id: round(n.seconds, 3) for n in first.nodes}
    check = check_marts(dbt_runner.BUILD_SCHEMA, "n2", build_docs=True)
    assert not check.success
    assert any("pnr_shaped__org_unit_code" in m for m in check.critical_failed)
    assert marts_snapshot(warehouse) == before  # nothing was published
    with psycopg.connect(warehouse) as conn:
        observed = " ".join(r[0] or "" for r in conn.execute("select observed from audit.checks"))
    docs_text = "".join(p.read_text(errors="ignore") for p in (home / "gx").rglob("*.json"))
    assert _pnr_shaped() not in observed and _pnr_shaped() not in docs_text
    assert _pnr_shaped().replace("-", "") not in docs_text

