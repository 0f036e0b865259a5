"""An incremental night after a build that was not published still publishes correct signals and spells.

fct_absence_signals continues from the published table (the build schema starts from copies of the published
incremental marts) but recomputes only the persons the last completed build's state marks dirty. When a build
advanced that state without being published (its mart check failed), the persons it recomputed are not dirty
the next night, so the next build must recompute everyone's signals in the look-back (build_aside sets
marts_behind_state). Night 1 publishes a repeated-absence signal for p1; night 2 brings a corrected delivery that
withdraws it, builds, and is not published; night 3 has nothing new and is published: the signal must be gone,
and so must p1's May spell (fct_sick_spells is incremental per person in the same way).
"""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from frisk import dbt_runner
from tests.test_dbt_sick_leave import ABSENCE_COLS, EMP_A, PERSONNEL_COLS, add_batch, add_rows, sick, staff

AS_OF = ("2024-05-31", "2024-06-01", "2024-06-02")


def _signals(url: str) -> list[tuple]:
    with psycopg.connect(url) as conn:
        return conn.execute("select person_key, rule_id, signal_date from marts.fct_absence_signals "
                            "order by 1, 2, 3").fetchall()


def _spell_starts(url: str, person_key: str) -> list[str]:
    with psycopg.connect(url) as conn:
        return [r[0] for r in conn.execute(
            "select start_date::text from marts.fct_sick_spells where person_key = %s order by 1", (person_key,))]


def test_signals_are_right_after_a_night_that_was_not_published(warehouse: str, tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "target"
    # which builds ran as incremental nights (their sessions without parallel workers: frisk.dbt_env)
    nights: list[bool] = []
    invoke = dbt_runner.dbt_invoke

    def recording_invoke(args: list[str], **kwargs):  # noqa: ANN202 - dbt's result, passed through
        nights.append(kwargs.get("incremental_night", False))
        return invoke(args, **kwargs)

    monkeypatch.setattr(dbt_runner, "dbt_invoke", recording_invoke)
    with psycopg.connect(warehouse) as conn:
        b = add_batch(conn, "payroll", "personnel", "personal_A.csv", EMP_A)
        add_rows(conn, "raw.payroll_personnel", PERSONNEL_COLS, b,
                 [staff(EMP_A, "pk_p1", 1990, "K", "E1", "U1", 40), staff(EMP_A, "pk_p2", 1980, "K", "E2", "U1", 40)])
        b = add_batch(conn, "payroll", "absence", "abs_p1.csv", EMP_A)
        add_rows(conn, "raw.payroll_absence", ABSENCE_COLS, b,
                 [sick(EMP_A, "pk_p1", "E1", d, d) for d in ("2024-04-08", "2024-04-22", "2024-05-06")])
        b = add_batch(conn, "payroll", "absence", "abs_p2.csv", EMP_A)
        add_rows(conn, "raw.payroll_absence", ABSENCE_COLS, b,
                 [sick(EMP_A, "pk_p2", "E2", d, d) for d in ("2024-03-04", "2024-03-18", "2024-04-01")])

    night1 = dbt_runner.build_aside("night-1", as_of=AS_OF[0], warehouse_url=warehouse, target_path=target)
    assert night1.success, night1.message
    dbt_runner.publish("night-1", conninfo=warehouse)
    published = _signals(warehouse)
    assert [s[:2] for s in published] == [("pk_p1", "repeated_3_in_183"), ("pk_p2", "repeated_3_in_183")]
    assert _spell_starts(warehouse, "pk_p1") == ["2024-04-08", "2024-04-22", "2024-05-06"]

    with psycopg.connect(warehouse) as conn:  # p1's file corrected: the May spell was not sick leave
        b = add_batch(conn, "payroll", "absence", "abs_p1.csv", EMP_A)
        add_rows(conn, "raw.payroll_absence", ABSENCE_COLS, b,
                 [sick(EMP_A, "pk_p1", "E1", d, d) for d in ("2024-04-08", "2024-04-22")])
    night2 = dbt_runner.build_aside("night-2", as_of=AS_OF[1], warehouse_url=warehouse, target_path=target)
    assert night2.success and not night2.marts_behind_state
    assert nights == [False, True]  # night 1 was a full refresh (nothing published yet), night 2 incremental
    dbt_runner.set_build_status("night-2", "blocked", "mart check failed", conninfo=warehouse)  # not published

    night3 = dbt_runner.build_aside("night-3", as_of=AS_OF[2], warehouse_url=warehouse, target_path=target)
    assert night3.success and night3.marts_behind_state and not night3.full_refresh
    dbt_runner.publish("night-3", conninfo=warehouse)
    assert [s[:2] for s in _signals(warehouse)] == [("pk_p2", "repeated_3_in_183")]
    assert _spell_starts(warehouse, "pk_p1") == ["2024-04-08", "2024-04-22"]

    # and the next night, with night 3 published, is back to the dirty persons only
    night4 = dbt_runner.build_aside("night-4", as_of="2024-06-03", warehouse_url=warehouse, target_path=target)
    assert night4.success and not night4.marts_behind_state
