"""The outcome models are incremental per person and still equal a full refresh, night after night.

World: the one of test_dbt_interventions_outcomes (as-of 2024-06-30 on night 1). int_outcome_subjects and
int_outcome_window_metrics recompute only the persons int_outcome_person_changes marks dirty, and the window
metrics also the windows that were still open on the previous as-of date. After each night the two models and
fct_intervention_outcomes must equal a full refresh as of the same date, row for row.
- Before night 1, T12 falls ill from 2024-06-25 until further notice (an open sick-leave period: the spell has
  no end date on either night, so T12 is not dirty, but is sick on the days in between). C2, a comparison person,
  too: its open comparison windows are replaced on night 2 without C2 being dirty, which the comparison groups'
  hooks must follow (a delta over the dirty persons alone makes the groups differ from a full refresh).
- Night 2 (as-of 2024-08-15): C1 gets a new spell in a late file (a later batch), and C3 moves to the school
  sector in a personnel re-delivery: only C1 and C3 are dirty. T12's 90-day window (first service 2024-05-01)
  ends on 2024-07-29, between the two nights: it becomes complete, and its sick days grow from 6 to 35 although
  T12's inputs did not change.
- Night 3 (as-of 2024-09-30): a new invoice starts an episode for C2 (a new index month, and C2 leaves the
  comparison pool around it): the episodes changed, so everyone is recomputed.
"""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import psycopg

from tests.test_dbt_interventions_outcomes import _world
from tests.test_dbt_interventions_support import (
    EMPLOYER_1,
    PROVIDER_A,
    Invoice,
    Line,
    insert_invoice,
    pkey,
    rows,
    run_dbt,
)

# int_payroll_person_state as well: with both states from the same build, the next night carries the spells'
# fingerprints of the persons the payroll models do not mark dirty (int_outcome_person_changes)
SELECT = ("--select", "+fct_intervention_outcomes", "+int_outcome_person_state", "int_payroll_person_state",
          "path:seeds/interventions", "--exclude", "test_name:relationships")
TABLES = ("intermediate.int_outcome_subjects", "intermediate.int_outcome_window_metrics",
          "intermediate.int_outcome_comparison_groups", "marts.fct_intervention_outcomes")


def _build(url: str, target: Path, as_of: str, *extra: str) -> None:
    r = run_dbt(url, target, "build", *SELECT, *extra, as_of=as_of)
    assert r.returncode == 0, r.stdout[-4000:]


def _snapshot(url: str) -> dict[str, list[str]]:
    with psycopg.connect(url) as conn:
        return {t: [r[0] for r in conn.execute(f"select x::text from {t} as x order by 1")] for t in TABLES}


def _changes(url: str) -> tuple[set[str], bool]:
    got = rows(url, "select person_key, is_dirty, everyone_dirty from intermediate.int_outcome_person_changes")
    return {r["person_key"] for r in got if r["is_dirty"]}, all(r["everyone_dirty"] for r in got)


def _window_versions(url: str) -> dict[tuple[str, str, int], tuple[str, str]]:
    """Each window row's transaction id (xmin: which night wrote it) and its values, by grain."""
    with psycopg.connect(url) as conn:
        got = conn.execute("select person_key, subject_id, window_days, xmin::text, x::text "
                           "from intermediate.int_outcome_window_metrics as x").fetchall()
    return {(r[0], r[1], r[2]): (r[3], r[4]) for r in got}


def _episode_indexes(url: str) -> dict[str, int]:
    """The partial indexes on the episodes' rows (macros/episode_rows_index.sql) of each outcome table."""
    with psycopg.connect(url) as conn:
        got = conn.execute(
            "select c.relname, count(*) from pg_index as i join pg_class as c on c.oid = i.indrelid "
            "join pg_namespace as n on n.oid = c.relnamespace where n.nspname = 'intermediate' "
            "and pg_get_indexdef(i.indexrelid) like '%%WHERE (subject_type = ''episode''::text)%%' "
            "group by c.relname").fetchall()
    return dict(got)


def _equals_full_refresh(url: str, target: Path, as_of: str) -> dict[str, list[str]]:
    incremental = _snapshot(url)
    _build(url, target, as_of, "--full-refresh")
    full = _snapshot(url)
    # a full refresh makes the tables again, each with one partial index on its episodes' rows
    assert _episode_indexes(url) == {"int_outcome_subjects": 1, "int_outcome_window_metrics": 1}
    for t in TABLES:
        assert incremental[t] == full[t], f"{t}: incremental differs from a full refresh as of {as_of}"
    return incremental


def _new_batch(conn: psycopg.Connection, entity: str, name: str) -> int:
    return conn.execute(
        """insert into audit.batches (source, entity, file_name, file_sha256, delivery_key, employer_org_number,
               status) values ('payroll', %s, %s, %s, %s, %s, 'loaded') returning batch_id""",
        (entity, f"{name}.csv", os.urandom(16).hex(), name, EMPLOYER_1),
    ).fetchone()[0]


def _absence(conn: psycopg.Connection, batch: int, name: str, start: str, end: str | None) -> None:
    conn.execute(
        """insert into raw.payroll_absence (batch_id, line_no, employer_org_number, person_key, employment_id,
               absence_cause_code, absence_category, cause_is_known, from_date, to_date, extent_pct)
           values (%s, 2, %s, %s, %s, 'SJK', 'sick_leave', true, %s, %s, 100)""",
        (batch, EMPLOYER_1, pkey(name), f"E-{name}", start, end),
    )


def _night_2_data(url: str) -> None:
    with psycopg.connect(url) as conn:
        _absence(conn, _new_batch(conn, "absence", "franvaro_late"), "C1", "2024-07-01", "2024-07-05")
        pb = _new_batch(conn, "personnel", "personal_c3")
        conn.execute(
            """insert into raw.payroll_personnel (batch_id, line_no, employer_org_number, person_key, birth_year,
                   sex, employment_id, org_unit_code, org_unit_name, sector, occupation, employment_rate_pct,
                   weekly_hours, employment_start, employment_end)
               values (%s, 2, %s, %s, 1980, 'K', 'E-C3b', 'U2', 'Enhet 2', 'school', 'Lärare', 100, 40,
                       '2024-07-01', null)""",
            (pb, EMPLOYER_1, pkey("C3")),
        )
        conn.commit()


def test_outcome_models_incremental_equal_full_refresh(warehouse: str, tmp_path: Path) -> None:
    target = tmp_path / "target"
    _world(warehouse)
    with psycopg.connect(warehouse) as conn:
        _absence(conn, _new_batch(conn, "absence", "franvaro_open"), "T12", "2024-06-25", None)
        # a comparison person sick until further notice too: the windows of comparison rows left open on night 1
        # move through the comparison groups' hooks on night 2 without C2 being dirty
        _absence(conn, _new_batch(conn, "absence", "franvaro_open_c2"), "C2", "2024-06-20", None)
        conn.commit()

    _build(warehouse, target, "2024-06-30")
    dirty, everyone = _changes(warehouse)
    assert everyone and len(dirty) == 24  # no previous state: all 24 employees
    first = _equals_full_refresh(warehouse, target, "2024-06-30")
    t12 = rows(warehouse, "select follow_up_complete, sick_days_after from marts.fct_intervention_outcomes "
                          "where person_key = %s and window_days = 90", (pkey("T12"),))
    assert [(r["follow_up_complete"], r["sick_days_after"]) for r in t12] == [(False, 6)]

    _night_2_data(warehouse)
    before = _window_versions(warehouse)
    _build(warehouse, target, "2024-08-15")
    assert _changes(warehouse) == ({pkey("C1"), pkey("C3")}, False)
    # C1's spells changed from the payroll models' changed_from on (its late period ends after the previous as-of
    # date, so it counts from that night on), and only its windows that reach the day before are recomputed; C3's
    # employments changed: all of its windows
    assert {r["person_key"]: r["spells_changed_from"] for r in rows(
        warehouse, "select person_key, spells_changed_from from intermediate.int_outcome_person_changes "
                   "where is_dirty")} == {pkey("C1"): date(2024, 6, 29), pkey("C3"): None}
    # only the recomputed rows were written (the replace_rows strategy writes them all): every row whose values
    # changed (or that is new) has a new row version, and a dirty person's windows far from the change keep theirs
    after = _window_versions(warehouse)
    rewritten = {k for k, (xmin, _) in after.items() if k not in before or before[k][0] != xmin}
    changed = {k for k, (_, row) in after.items() if k not in before or before[k][1] != row}
    assert changed and changed <= rewritten
    c1 = {k for k in after if k[0] == pkey("C1")}
    assert c1 & changed and c1 - rewritten  # C1 is dirty: its windows that reach the change were recomputed
    # an incremental night keeps the tables and their index, and makes no second one
    assert _episode_indexes(warehouse) == {"int_outcome_subjects": 1, "int_outcome_window_metrics": 1}
    night2 = _equals_full_refresh(warehouse, target, "2024-08-15")
    assert night2["intermediate.int_outcome_window_metrics"] != first["intermediate.int_outcome_window_metrics"]
    t12 = rows(warehouse, "select follow_up_complete, sick_days_after from marts.fct_intervention_outcomes "
                          "where person_key = %s and window_days = 90", (pkey("T12"),))
    assert [(r["follow_up_complete"], r["sick_days_after"]) for r in t12] == [(True, 35)]

    with psycopg.connect(warehouse) as conn:
        insert_invoice(conn, Invoice("A-103", PROVIDER_A, EMPLOYER_1, date(2024, 9, 30),
                                     [Line(1400, date(2024, 9, 1), "C2", "SS01")]))
        conn.commit()
    _build(warehouse, target, "2024-09-30")
    dirty, everyone = _changes(warehouse)
    assert everyone and len(dirty) == 24
    night3 = _equals_full_refresh(warehouse, target, "2024-09-30")
    subjects = rows(warehouse, "select subject_type, index_date from intermediate.int_outcome_subjects "
                               "where person_key = %s and index_date = '2024-09-01'", (pkey("C2"),))
    assert [r["subject_type"] for r in subjects] == ["episode"]
    assert len(night3["intermediate.int_outcome_subjects"]) > len(night2["intermediate.int_outcome_subjects"])

    # the comparison groups follow the window rows through the window model's hooks (night 2: the rows replaced
    # subtracted, the new ones added; night 3: emptied and counted again). Emptied by a night whose groups model
    # did not run (or failed), the hooks leave them empty and the model counts them again.
    with psycopg.connect(warehouse) as conn:
        conn.execute("truncate intermediate.int_outcome_comparison_groups")
        _absence(conn, _new_batch(conn, "absence", "franvaro_october"), "C1", "2024-10-01", "2024-10-02")
        conn.commit()
    _build(warehouse, target, "2024-10-15")
    dirty, everyone = _changes(warehouse)
    assert pkey("C1") in dirty and not everyone
    _equals_full_refresh(warehouse, target, "2024-10-15")

    # The spells' fingerprints of the persons the payroll models leave alone are carried over from the outcome
    # state when it and the payroll state were written by the same build (here the full refresh above): a wrong
    # stored value is carried, so C1 (unchanged since) becomes dirty and the wrong value is stored again. When the
    # states are from different builds (a night that failed between writing them), everyone's spells are read
    # again: the wrong value is not used, C1's is read from its spells (C1 is dirty once more, against the
    # fingerprint the wrong value made), and the night after nobody is dirty (T12's and C2's open spells have no
    # end date on either night).
    def poison(other_build: bool) -> None:
        with psycopg.connect(warehouse) as conn:
            conn.execute("update intermediate.int_outcome_person_state set spells_fp = '1:1' where person_key = %s",
                         (pkey("C1"),))
            if other_build:
                conn.execute("update intermediate.int_outcome_person_state set build_id = 'a build that failed'")
            conn.commit()

    states = rows(warehouse, "select (select max(build_id) from intermediate.int_outcome_person_state) as outcome, "
                             "(select max(build_id) from intermediate.int_payroll_person_state) as payroll")
    assert states[0]["outcome"] == states[0]["payroll"] is not None
    def c1_spells_fp() -> str:
        got = rows(warehouse, "select spells_fp from intermediate.int_outcome_person_state where person_key = %s",
                   (pkey("C1"),))
        return got[0]["spells_fp"]

    real = c1_spells_fp()
    poison(other_build=False)
    _build(warehouse, target, "2024-10-15")
    assert _changes(warehouse) == ({pkey("C1")}, False) and c1_spells_fp() == "1:1"
    poison(other_build=True)
    _build(warehouse, target, "2024-10-15")
    assert _changes(warehouse) == ({pkey("C1")}, False) and c1_spells_fp() == real
    _build(warehouse, target, "2024-10-15")
    assert _changes(warehouse) == (set(), False)
    _equals_full_refresh(warehouse, target, "2024-10-15")
