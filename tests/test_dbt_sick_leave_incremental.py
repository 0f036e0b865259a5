"""Incremental sick-leave marts equal a full refresh, night after night, with late and corrected deliveries.

Night 1 runs as of 2024-05-31. Before night 2 (as of 2024-06-30, look-back 45 days, so history before May 16 is
frozen) three things happen: a corrected re-delivery replaces a May spell (its signal must disappear); a late file
brings a May 30 spell (a signal dated in the past, first reported on night 2); an ongoing spell that started in
April crosses 60 days, turning April's hours into long-term hours although April is before the look-back. Night 2
incremental must then equal a full refresh as of the same date.

The day-level intermediate models are incremental per person (dbt_project/macros/changed_persons.sql): on night 2 a
personnel re-delivery also changes one employee's weekly hours, and everyone else's calendar grows by a month.
Night 3, mid-July (the open month's rows are apart from the closed months'), brings one new delivery that only adds
rows (the as-of date moves too: an ongoing spell runs on, and a period with reported hours ends, so its hours are
spread over all of its days): only its rows are read, and the values of the persons it touches (one new, one with
rows) are last night's combined with those of their added rows; they must equal a read of all the rows. Night
4, on the same date, follows a retention purge of a row from a batch already read: then everyone's rows are. After
nights 2 and 4 every intermediate table must equal a full refresh as of the same date, row for row (night 4
recomputes only three persons, so a wrong row that night 3 left for anyone else would still differ).
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import psycopg
import pytest

from tests.test_dbt_sick_leave import (
    ABSENCE_COLS,
    EMP_A,
    PERSONNEL_COLS,
    add_batch,
    add_rows,
    drop_database,
    new_database,
    run_dbt,
    sick,
    staff,
)

D = dt.date.fromisoformat
MODELS = ("+fct_absence_signals", "+fct_sick_leave_monthly", "+fct_sick_spells", "+rpt_sick_leave_key_figures",
          "+rpt_absence_signal_counts", "int_employer_month_totals", "int_payroll_person_state")
# build only these models, seeds and the tests whose parents are all selected
BUILD = ("build", "--indirect-selection", "cautious", "--select", *MODELS)
LOOKBACK = ["--vars", "{sick_leave_lookback_days: 45}"]
SIGNAL_RUN_COLUMNS = ("first_reported_on", "evaluated_on")  # run history, not a function of the data
INTERMEDIATE = (
    "int_sick_leave_days",
    "int_sick_spells",
    "int_sick_spells_reillness",
    "int_sick_spell_milestones",
    "int_employment_month_hours",
    "int_employment_open_month_hours",
    "int_sick_leave_month_groups",
    "int_person_year_hours",
    "int_key_figure_groups",
    "int_employer_month_totals",
)


def _intermediate(url: str) -> dict[str, list[tuple]]:
    with psycopg.connect(url) as conn:
        return {t: conn.execute(f"select t::text from intermediate.{t} as t order by 1").fetchall()
                for t in INTERMEDIATE}


def _dirty(url: str, flag: str = "is_dirty") -> set[str]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(f"select person_key from intermediate.int_payroll_person_changes where {flag}")
        return {r[0] for r in rows}


def _changed_from(url: str) -> dict[str, dt.date]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "select person_key, changed_from from intermediate.int_payroll_person_changes "
            "where is_dirty and changed_from is not null"
        )
        return dict(rows.fetchall())


def _absence_values(url: str) -> tuple[list[tuple], list[tuple]]:
    """Each person's absence values in int_payroll_person_changes, and the same values read from all of their
    rows (a night that only added rows combines last night's values with the added rows' instead)."""
    columns = "person_key, absence_fp, absence_max_batch, absence_open_until::text, first_from_date"
    with psycopg.connect(url) as conn:
        stored = conn.execute(f"select {columns} from intermediate.int_payroll_person_changes "
                              "where absence_fp is not null order by 1").fetchall()
        read = conn.execute(
            "select a.person_key, count(*) || ':' || sum(hashint8extended(a.line_no, a.batch_id)), max(a.batch_id), "
            "(max(coalesce(a.to_date, date 'infinity')) filter (where c.is_sick_leave))::text, min(a.from_date) "
            "from staging.stg_payroll__absence as a "
            "left join meta.absence_causes as c on c.absence_category = a.absence_category "
            "group by a.person_key order by 1").fetchall()
    return stored, read


def _spells(url: str, person: str) -> list[tuple]:
    with psycopg.connect(url) as conn:
        return conn.execute("select start_date, spell_seq from intermediate.int_sick_spells where person_key = %s "
                            "order by start_date", (person,)).fetchall()


def _months_from(url: str) -> dict[str, str]:
    # as text: '-infinity' (all months) is not a Python date
    with psycopg.connect(url) as conn:
        rows = conn.execute("select person_key, month_from::text from intermediate.int_month_hours_changes")
        return dict(rows.fetchall())


# tables written with the changed_rows strategy, and their grain
CHANGED_ROWS = {"intermediate.int_sick_spells_reillness": "spell_id",
                "intermediate.int_sick_spell_milestones": "spell_id, milestone_day",
                "marts.fct_sick_spells": "spell_id"}


def _row_versions(url: str) -> dict[str, dict[tuple, tuple[str, str, str]]]:
    """Per CHANGED_ROWS table and grain: the row's person, transaction id (which night wrote it) and values."""
    with psycopg.connect(url) as conn:
        return {t: {tuple(r[3:]): (r[0], r[1], r[2]) for r in conn.execute(
                    f"select person_key, xmin::text, x::text, {grain} from {t} as x").fetchall()}
                for t, grain in CHANGED_ROWS.items()}


def _snapshot(url: str) -> dict[str, list[dict]]:
    with psycopg.connect(url) as conn:
        out = {}
        monthly_grain = "employer_org_number, org_unit_code, month_start, sex, age_band"
        for table, order in (("fct_sick_leave_monthly", monthly_grain), ("fct_absence_signals", "signal_id"),
                             ("fct_sick_spells", "spell_id"),
                             ("rpt_sick_leave_key_figures", "employer_org_number, report_year, group_level, "
                                                            "group_code"),
                             ("rpt_absence_signal_counts", "employer_org_number, org_unit_code, month_start, "
                                                           "signal_type, rule_id")):
            cur = conn.execute(f"select * from marts.{table} order by {order}")
            names = [c.name for c in cur.description]
            out[table] = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
    return out


def test_incremental_equals_full_refresh(pg_server: str, template_db: str, tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    # night 3 reads a statement from dbt.log: every statement is there at debug level only
    monkeypatch.setenv("FRISK_DBT_LOG_LEVEL_FILE", "debug")
    url = new_database(pg_server, template_db)
    target = tmp_path / "target"
    try:
        with psycopg.connect(url) as conn:
            b = add_batch(conn, "payroll", "personnel", "personal_A.csv", EMP_A)
            people = [
                staff(EMP_A, "pk_p1", 1990, "K", "E1", "U1", 40),
                staff(EMP_A, "pk_p2", 1970, "M", "E2", "U1", 40),
            ]
            people += [staff(EMP_A, f"pk_w{i}", 1985, "K", f"EW{i}", "U3", 40) for i in range(10)]
            add_rows(conn, "raw.payroll_personnel", PERSONNEL_COLS, b, people)
            b = add_batch(conn, "payroll", "absence", "abs_1.csv", EMP_A)
            add_rows(
                conn,
                "raw.payroll_absence",
                ABSENCE_COLS,
                b,
                [
                    sick(EMP_A, "pk_p1", "E1", "2024-01-08", "2024-01-08"),
                    sick(EMP_A, "pk_p1", "E1", "2024-02-12", "2024-02-12"),
                    sick(EMP_A, "pk_p1", "E1", "2024-03-04", "2024-03-04"),
                    sick(EMP_A, "pk_p1", "E1", "2024-04-22", "2024-04-23"),
                    sick(EMP_A, "pk_p2", "E2", "2024-04-20", None),
                    sick(EMP_A, "pk_w3", "EW3", "2024-04-01", "2024-04-30"),  # 30 days: not long-term
                    # w4: a repeated-absence signal on May 27, inside night 2's look-back; w4 never changes
                    sick(EMP_A, "pk_w4", "EW4", "2024-05-17", "2024-05-17"),
                    sick(EMP_A, "pk_w4", "EW4", "2024-05-22", "2024-05-22"),
                    sick(EMP_A, "pk_w4", "EW4", "2024-05-27", "2024-05-27"),
                    # w5: two finished spells, kept when night 2 adds a third (its spell_seq continues at 3)
                    sick(EMP_A, "pk_w5", "EW5", "2024-02-05", "2024-02-06"),
                    sick(EMP_A, "pk_w5", "EW5", "2024-03-11", "2024-03-11"),
                ],
            )
            b = add_batch(conn, "payroll", "absence", "abs_2.csv", EMP_A)
            add_rows(
                conn,
                "raw.payroll_absence",
                ABSENCE_COLS,
                b,
                [sick(EMP_A, "pk_p1", "E1", "2024-05-20", "2024-05-20")],
            )

        run_dbt(url, target, *BUILD, as_of="2024-05-31")
        night1 = _snapshot(url)
        night1_signals = {(s["rule_id"], s["signal_date"]) for s in night1["fct_absence_signals"]}
        assert ("repeated_3_in_183", D("2024-05-20")) in night1_signals
        assert max(r["month_start"] for r in night1["fct_sick_leave_monthly"]) == D("2024-05-01")

        with psycopg.connect(url) as conn:
            b = add_batch(
                conn, "payroll", "absence", "abs_2.csv", EMP_A
            )  # corrected: May 20 was really May 27-28
            add_rows(
                conn,
                "raw.payroll_absence",
                ABSENCE_COLS,
                b,
                [sick(EMP_A, "pk_p1", "E1", "2024-05-27", "2024-05-28")],
            )
            b = add_batch(conn, "payroll", "absence", "abs_late.csv", EMP_A)
            add_rows(
                conn,
                "raw.payroll_absence",
                ABSENCE_COLS,
                b,
                [
                    sick(EMP_A, "pk_p1", "E1", "2024-05-30", "2024-05-30"),
                    # 60 reported hours for June 24 - July 5: still running on night 2, so its days count
                    # scheduled hours; ended by night 3, so the hours are spread over all of its days
                    sick(EMP_A, "pk_w2", "EW2", "2024-06-24", "2024-07-05", hours=60),
                    # w3's April spell runs on through May (delivered late): 61 days now, so April's hours turn
                    # long-term although only rows from May 1 on were added (its day-60 signal, May 30, is inside
                    # the look-back)
                    sick(EMP_A, "pk_w3", "EW3", "2024-05-01", "2024-05-31"),
                    sick(EMP_A, "pk_w5", "EW5", "2024-06-10", "2024-06-11"),
                ],
            )
            # a personnel re-delivery (same delivery, so it supersedes): pk_w1 now works 30 hours a week
            b = add_batch(conn, "payroll", "personnel", "personal_A.csv", EMP_A)
            changed = [staff(EMP_A, "pk_w1", 1985, "K", "EW1", "U3", 30) if p[1] == "pk_w1" else p for p in people]
            add_rows(conn, "raw.payroll_personnel", PERSONNEL_COLS, b, changed)

        before = _row_versions(url)
        run_dbt(url, target, *BUILD, *LOOKBACK, as_of="2024-06-30")
        incremental = _snapshot(url)
        # the spells tables wrote only the rows that changed: dirty persons' unchanged rows keep their row version
        # (p1's January to April spells, p2's milestones before night 1), and every new or changed row has a new one
        after = _row_versions(url)
        dirty = _dirty(url)
        for t in CHANGED_ROWS:
            old, new = before[t], after[t]
            rewritten = {k for k, v in new.items() if k not in old or old[k][1] != v[1]}
            changed = {k for k, v in new.items() if k not in old or old[k][2] != v[2]}
            assert rewritten == changed and changed, t
            assert {k for k, v in new.items() if v[0] in dirty} - changed, t
        incremental_int = _intermediate(url)
        # p1: new and corrected rows; p2: a spell open on night 1; w1: changed hours; w2, w3: rows added; the
        # other seven (w4 with a signal inside the look-back among them): untouched
        assert _dirty(url) == {"pk_p1", "pk_p2", "pk_w1", "pk_w2", "pk_w3", "pk_w5"}
        assert _dirty(url, "is_schedule_dirty") == {"pk_w1"}  # new absence rows leave a calendar alone
        # the first sick day recomputed: p2's open period from the previous night on; w2's and w3's added rows from
        # their first day on (w2's period is open as well, from the previous night); p1 (a superseded delivery) and
        # w1 (a changed calendar): all their days
        assert _changed_from(url) == {"pk_p2": D("2024-05-31"), "pk_w2": D("2024-05-31"), "pk_w3": D("2024-05-01"),
                                      "pk_w5": D("2024-05-31")}  # its added period ends after May 31: open then
        # int_sick_spells recomputed w5's June spell only: its two earlier spells are the ones night 1 wrote
        assert [(r[0], r[1]) for r in _spells(url, "pk_w5")] == [
            (D("2024-02-05"), 1), (D("2024-03-11"), 2), (D("2024-06-10"), 3)]
        # month hours recomputed from: all months after a superseded delivery (p1) or a changed employment (w1);
        # else the first changed day's month, widened to the start of a spell running into it (p2, w3). w2's
        # added period ends after the previous night, so it counts as open from that night on (May 31)
        assert _months_from(url) == {"pk_p1": "-infinity", "pk_w1": "-infinity", "pk_p2": "2024-04-01",
                                     "pk_w2": "2024-05-01", "pk_w3": "2024-04-01", "pk_w5": "2024-05-01"}
        run_dbt(url, target, *BUILD, "--full-refresh", *LOOKBACK, as_of="2024-06-30")
        full = _snapshot(url)
        full_int = _intermediate(url)

        # night 3: a new delivery only adds rows (nothing superseded), so only its rows are read; everyone's
        # fingerprints are carried over from night 2, combined with those of their added rows
        with psycopg.connect(url) as conn:
            b = add_batch(conn, "payroll", "absence", "abs_jul.csv", EMP_A)
            add_rows(conn, "raw.payroll_absence", ABSENCE_COLS, b,
                     [sick(EMP_A, "pk_w6", "EW6", "2024-07-15", "2024-07-16"),
                      # w5's fourth spell: rows added to a person with rows, their values combined with night 2's
                      sick(EMP_A, "pk_w5", "EW5", "2024-07-08", "2024-07-09")])
        run_dbt(url, target, *BUILD, *LOOKBACK, as_of="2024-07-15")
        assert _dirty(url) == {"pk_p2", "pk_w2", "pk_w5", "pk_w6"}  # the open periods move; w5, w6: new spells
        assert _dirty(url, "is_schedule_dirty") == set()
        # p2's days from the previous night on; w2's from the start of the period whose hours are now spread;
        # w5's and w6's added periods end after June 30, so they count as open from that night on (as w5's on
        # night 2)
        assert _changed_from(url) == {"pk_p2": D("2024-06-30"), "pk_w2": D("2024-06-24"),
                                      "pk_w5": D("2024-06-30"), "pk_w6": D("2024-06-30")}
        # p2's spell was long-term already (72 days): its April and May stay, only June on is recomputed
        assert _months_from(url) == {"pk_p2": "2024-06-01", "pk_w2": "2024-06-01", "pk_w5": "2024-06-01",
                                     "pk_w6": "2024-06-01"}
        # the fingerprints and dates carried over and combined with the added rows' are those of all the rows
        stored, read = _absence_values(url)
        assert stored == read and len(stored) == 7  # p1, p2, w2-w6
        night3_int = _intermediate(url)
        night3 = _snapshot(url)
        # the signal counts recounted May on (the look-back's first month; every dirty person's months are later)
        # and kept the earlier months: they equal a recount of every month from the same signals
        log = (target / "logs" / "dbt.log").read_text()
        assert re.findall(r'delete from "[^"]+"\."marts"\."rpt_absence_signal_counts" where month_start >= (.+)',
                          log)[-1].strip() == "date '2024-05-01'"
        assert run_dbt(url, target, "run", "--full-refresh", "--select", "rpt_absence_signal_counts", *LOOKBACK,
                       as_of="2024-07-15").returncode == 0
        assert _snapshot(url)["rpt_absence_signal_counts"] == night3["rpt_absence_signal_counts"]

        # night 4, the same as-of date: retention purges one of w4's rows from a batch night 3 had read. The batch
        # is still current, so only its row count shows the change: everyone's rows are read, and w4's days
        # are all recomputed (changed_from null: rows went, not only came)
        with psycopg.connect(url) as conn:
            gone = conn.execute("delete from raw.payroll_absence where person_key = 'pk_w4' "
                                "and from_date = '2024-05-17'").rowcount
            assert gone == 1
        run_dbt(url, target, *BUILD, *LOOKBACK, as_of="2024-07-15")
        assert _dirty(url) == {"pk_p2", "pk_w4", "pk_w6"}  # w6's period runs past July 15: open
        assert "pk_w4" not in _changed_from(url)
        night4_int = _intermediate(url)
        night4 = _snapshot(url)
        run_dbt(url, target, *BUILD, "--full-refresh", *LOOKBACK, as_of="2024-07-15")
        night4_full_int = _intermediate(url)
        night4_full = _snapshot(url)
    finally:
        drop_database(pg_server, url)

    for table in INTERMEDIATE:
        assert incremental_int[table] == full_int[table], table
        assert night4_int[table] == night4_full_int[table], table
    def month_hours(rows: list[tuple], employment: str) -> dict[str, str]:
        # month start -> scheduled hours, read from the row's text (..., month_start, age, scheduled_hours, ...)
        fields = [r[0].strip("()").split(",") for r in rows if f",{employment}," in r[0]]
        return {f[8]: f[10] for f in fields}

    # w1 now works 30 h: 6 h a working day, back to the calendar's first month (January 2024: 23 working days)
    assert month_hours(incremental_int["int_employment_month_hours"], "EW1")["2024-01-01"] == "138.0000"
    # night 2 (June 30) closed June: everyone's June is a month row; night 3 (July 15) runs in July, the open month,
    # whose rows (11 working days so far: 66 hours at 30 a week) are apart from the closed months
    assert "2024-06-01" in month_hours(incremental_int["int_employment_month_hours"], "EW1")
    assert "2024-07-01" not in month_hours(night3_int["int_employment_month_hours"], "EW1")
    assert month_hours(night3_int["int_employment_open_month_hours"], "EW1") == {"2024-07-01": "66.0000"}
    assert incremental_int["int_employment_open_month_hours"] == []  # June 30: July has no days yet

    assert incremental["fct_sick_leave_monthly"] == full["fct_sick_leave_monthly"]
    assert incremental["rpt_sick_leave_key_figures"] == full["rpt_sick_leave_key_figures"]
    april_w3 = [r for r in full_int["int_employment_month_hours"] if ",EW3," in r[0] and "2024-04-01" in r[0]]
    assert len(april_w3) == 1 and not april_w3[0][0].endswith(",0.0000,1)")  # April's hours are long-term
    april_p2 = [
        r for r in full["fct_sick_leave_monthly"] if r["month_start"] == D("2024-04-01") and r["sex"] == "M"
    ]
    assert april_p2[0]["long_term_sick_hours"] == april_p2[0]["sick_hours"] > 0  # p2's spell is now 72 days

    def business(rows: list[dict]) -> list[dict]:
        return [{k: v for k, v in r.items() if k not in SIGNAL_RUN_COLUMNS} for r in rows]

    assert business(incremental["fct_absence_signals"]) == business(full["fct_absence_signals"])
    # the signal counts: night 2 recounted every month (p1's superseded delivery changed all of its months)
    assert incremental["rpt_absence_signal_counts"] == full["rpt_absence_signal_counts"]
    assert {r["month_start"] for r in incremental["rpt_absence_signal_counts"]} >= {D("2024-05-01")}
    # nights 3 and 4 left the marts as a full refresh would (night 4 does not touch w5, so a wrong row of night 3's
    # spell-level narrowing would still be there); signals only inside the look-back: older ones are history (w4's
    # May 27 signal stays, though the purge leaves two spells)
    for table in ("fct_sick_spells", "fct_sick_leave_monthly", "rpt_sick_leave_key_figures"):
        assert business(night4[table]) == business(night4_full[table]), table
    assert [s for s in business(night4["fct_absence_signals"]) if s["signal_date"] >= D("2024-05-31")] == [
        s for s in business(night4_full["fct_absence_signals"]) if s["signal_date"] >= D("2024-05-31")]
    # and so are their counts: from June, the first month wholly inside the look-back, as a full refresh counts;
    # May's still counts w4's May 27 signal (history), which the full refresh no longer fires
    assert [r for r in night4["rpt_absence_signal_counts"] if r["month_start"] >= D("2024-06-01")] == [
        r for r in night4_full["rpt_absence_signal_counts"] if r["month_start"] >= D("2024-06-01")]
    may = [(r["rule_id"], r["signals"]) for r in night4["rpt_absence_signal_counts"]
           if r["month_start"] == D("2024-05-01")]
    assert may != [(r["rule_id"], r["signals"]) for r in night4_full["rpt_absence_signal_counts"]
                   if r["month_start"] == D("2024-05-01")]
    # night 3 recomputed only w5's July spell (macros/changed_spells.sql): its June spell (June 10-11, before the
    # day ahead of its changed_from, June 30) is kept, and so is the signal that spell fired, inside the
    # look-back but evaluated on night 2; the July spell's signal is new
    w5 = {s["signal_date"]: s for s in night3["fct_absence_signals"] if s["person_key"] == "pk_w5"}
    assert {d: (s["rule_id"], s["evaluated_on"]) for d, s in w5.items() if d >= D("2024-05-31")} == {
        D("2024-06-11"): ("repeated_3_in_183", D("2024-06-30")),
        D("2024-07-09"): ("repeated_3_in_183", D("2024-07-15")),
    }
    by_key = {(s["rule_id"], s["signal_date"]): s for s in incremental["fct_absence_signals"]}
    assert ("repeated_3_in_183", D("2024-05-20")) not in by_key  # the corrected delivery withdrew it
    late = by_key[("repeated_3_in_183", D("2024-05-30"))]
    assert (late["first_reported_on"], late["evaluated_on"]) == (D("2024-06-30"), D("2024-06-30"))
    on_time = by_key[("repeated_3_in_183", D("2024-05-28"))]
    assert on_time["first_reported_on"] == D("2024-06-30")  # delivered (corrected) after night 1 too
    # w4 did not change: its signal in the look-back is kept from night 1, not recomputed (nor withdrawn)
    kept = [s for s in incremental["fct_absence_signals"] if s["person_key"] == "pk_w4"]
    assert [(s["signal_date"], s["evaluated_on"]) for s in kept] == [(D("2024-05-27"), D("2024-05-31"))]
    frozen = by_key[("repeated_3_in_183", D("2024-03-04"))]
    assert (frozen["first_reported_on"], frozen["evaluated_on"]) == (D("2024-03-04"), D("2024-05-31"))
    assert by_key[("long_spell_day_60", D("2024-06-18"))]["first_reported_on"] == D(
        "2024-06-30"
    )  # seen on night 2
