"""Great Expectations gates: raw batches (real PostgreSQL + GX), mart rules, the committed suites, the notifier."""

from __future__ import annotations

import datetime as dt
import json
import logging
from pathlib import Path

import pandas as pd
import psycopg
import pytest

from frisk.identity import luhn_ok
from frisk.quality.context import PROJECT_DIR
from tests.warehouse_build_data import (
    EMPLOYERS,
    absence_rows,
    insert_absence,
    insert_invoice,
    insert_personnel,
)


def _pnr_shaped() -> str:
    base = "121212121"
    return f"19{base[:6]}-{base[6:]}" + next(d for d in "0123456789" if luhn_ok(base + d))


def _gate(url: str):
    from frisk.quality import gate_new_batches

    return {r["batch_id"]: r for r in gate_new_batches("t", conninfo=url, as_of="2025-01-15", build_docs=False)}


def test_gate_rejects_critical_warns_on_row_count_and_unknown_employment_and_gates_once(
    warehouse: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FRISK_HOME", str(tmp_path / "home"))
    emp = EMPLOYERS[0]
    with psycopg.connect(warehouse) as conn:
        pers = insert_personnel(conn, emp, range(0, 20), "personal_a.csv")
        first = insert_absence(conn, emp, absence_rows(range(0, 20)), "franvaro_a.csv")
        # under half the rows of the previous delivery, and four employments payroll never delivered: warnings
        small = insert_absence(conn, emp, absence_rows(range(15, 24)), "franvaro_b.csv")
        leak_rows = absence_rows(range(0, 3))
        leak_rows[1]["code"] = _pnr_shaped()  # a personnummer in a code column: critical
        leak = insert_absence(conn, emp, leak_rows, "franvaro_c.csv")
        extent_rows = absence_rows(range(0, 3))
        conn.commit()
        extent = insert_absence(conn, emp, extent_rows, "franvaro_d.csv")
        conn.execute("alter table raw.payroll_absence drop constraint payroll_absence_extent_pct_check")
        conn.execute("update raw.payroll_absence set extent_pct = 150 where batch_id = %s and line_no = 3", (extent,))
        conn.commit()

    res = _gate(warehouse)
    assert res[pers]["outcome"] == "passed" and res[first]["outcome"] == "passed"
    assert res[small]["outcome"] == "warned"
    assert any("row_count" in w for w in res[small]["warnings"])
    assert any("employment_known" in w and "4 of 9" in w for w in res[small]["warnings"])
    assert res[leak]["outcome"] == "rejected"
    assert any("pnr_shaped__absence_cause_code" in m and "lines 3" in m for m in res[leak]["critical_failed"])
    assert res[extent]["outcome"] == "rejected"
    assert any("extent_pct" in m and "lines 3" in m for m in res[extent]["critical_failed"])

    with psycopg.connect(warehouse) as conn:
        statuses = dict(conn.execute("select batch_id, status from audit.batches").fetchall())
        texts = " ".join(str(r) for r in conn.execute("select * from audit.checks").fetchall())
        texts += " ".join(str(r) for r in conn.execute("select error from audit.batches").fetchall())
    assert statuses == {pers: "loaded", first: "loaded", small: "loaded", leak: "gate_rejected",
                        extent: "gate_rejected"}
    assert _pnr_shaped() not in texts
    gx_files = "".join(p.read_text(errors="ignore") for p in (tmp_path / "home" / "gx").rglob("*.json"))
    assert _pnr_shaped() not in gx_files
    assert _gate(warehouse) == {}  # every batch is gated once



def _validations() -> int:
    from frisk.quality import gate

    return gate.validations_run


def _checks(url: str) -> list[tuple]:
    with psycopg.connect(url) as conn:
        return sorted(conn.execute(
            "select batch_id, target, check_name, severity, success, observed from audit.checks").fetchall())


def test_gate_validates_a_nights_clean_batches_of_one_table_together(
    warehouse: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FRISK_HOME", str(tmp_path / "home"))
    with psycopg.connect(warehouse) as conn:
        invoices = [insert_invoice(conn, EMPLOYERS[i % 2], f"F{i:03d}", range(i, i + 1 + i % 3), dt.date(2024, 3, 5))
                    for i in range(6)]
        conn.commit()
    before = _validations()
    res = _gate(warehouse)
    # six invoices (documents and lines) and six payments: one validation per table, not one per batch and table
    assert _validations() - before == 3
    assert len(res) == 12 and all(r["outcome"] in ("passed", "warned") for r in res.values())
    assert all(res[b]["tables"] == ["invoice_documents", "invoice_lines"] for b in invoices)
    checks = _checks(warehouse)
    per_batch = {b: [c for c in checks if c[0] == b] for b in res}
    # every batch has its own rows in audit.checks, as many as when it was validated alone
    assert {len(per_batch[b]) for b in invoices} == {res[invoices[0]]["checks"]}
    assert all(len(per_batch[b]) == r["checks"] > 0 for b, r in res.items())
    assert any(c[2] == "expect_column_values_to_not_be_null(net_amount)" and c[5] == "0 of 3 rows unexpected"
               for c in per_batch[invoices[2]])


def _night_with_one_bad_absence_file(url: str) -> tuple[list[int], int]:
    emp = EMPLOYERS[0]
    with psycopg.connect(url) as conn:
        conn.execute("alter table raw.payroll_absence drop constraint payroll_absence_extent_pct_check")
        insert_personnel(conn, emp, range(0, 40), "personal_a.csv")
        good = [insert_absence(conn, emp, absence_rows(range(k, 30 + k)), f"franvaro_{k}.csv") for k in range(3)]
        bad_rows = absence_rows(range(0, 30))
        bad_rows[1]["code"] = _pnr_shaped()  # line 3
        bad = insert_absence(conn, emp, bad_rows, "franvaro_bad.csv")
        conn.execute("update raw.payroll_absence set extent_pct = 150 where batch_id = %s and line_no >= 5", (bad,))
        good.append(insert_absence(conn, emp, absence_rows(range(5, 35)), "franvaro_4.csv"))
        conn.commit()
    return good, bad


def test_gate_rejects_one_bad_batch_among_good_ones_validated_together(
    warehouse: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FRISK_HOME", str(tmp_path / "home"))
    good, bad = _night_with_one_bad_absence_file(warehouse)
    before = _validations()
    res = _gate(warehouse)
    assert _validations() - before == 2  # the personnel batch, and the five absence batches together
    assert res[bad]["outcome"] == "rejected" and all(res[b]["outcome"] == "passed" for b in good)
    assert any("pnr_shaped__absence_cause_code" in m and "1 of 30 rows unexpected (lines 3)" in m
               for m in res[bad]["critical_failed"])
    assert any("extent_pct" in m and "27 of 30 rows unexpected (lines 5, 6, 7, 8, 9)" in m
               for m in res[bad]["critical_failed"])
    with psycopg.connect(warehouse) as conn:
        statuses = dict(conn.execute("select batch_id, status from audit.batches").fetchall())
        error = conn.execute("select error from audit.batches where batch_id = %s", (bad,)).fetchone()[0]
        failed = conn.execute("select distinct batch_id from audit.checks where not success").fetchall()
    assert statuses[bad] == "gate_rejected" and all(statuses[b] == "loaded" for b in good)
    assert error.startswith(f"quality gate: franvaro_bad.csv (batch {bad}): ")
    assert failed == [(bad,)]
    assert _pnr_shaped() not in error


def _regate(url: str) -> None:
    with psycopg.connect(url) as conn:
        conn.execute("delete from audit.checks")
        conn.execute("delete from audit.batch_gates")
        conn.execute("update audit.batches set status = 'loaded', error = null")
        conn.commit()


def test_gate_together_records_what_each_batch_alone_would(
    warehouse: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from frisk.quality import gate

    monkeypatch.setenv("FRISK_HOME", str(tmp_path / "home"))
    _night_with_one_bad_absence_file(warehouse)
    with psycopg.connect(warehouse) as conn:
        for i in range(4):
            b = insert_invoice(conn, EMPLOYERS[i % 2], f"F{i:03d}", range(i, i + 2), dt.date(2024, 3, 5))
            if i == 2:
                conn.execute("update raw.invoice_documents set tax_amount = -5 where batch_id = %s", (b,))
        conn.commit()
    monkeypatch.setattr(gate, "GROUP_MAX_ROWS", 0)  # every batch in a validation of its own, as before
    before = _validations()
    alone = _gate(warehouse)
    assert _validations() - before == 6 + 4 * 3
    alone_checks = _checks(warehouse)
    _regate(warehouse)
    monkeypatch.setattr(gate, "GROUP_MAX_ROWS", 100_000)
    before = _validations()
    together = _gate(warehouse)
    assert _validations() - before == 5
    strip = [{b: {k: v for k, v in r.items() if k != "seconds"} for b, r in res.items()} for res in (alone, together)]
    assert strip[0] == strip[1]
    assert _checks(warehouse) == alone_checks
    assert sum(r["outcome"] == "rejected" for r in together.values()) == 2


def test_gate_falls_back_to_one_validation_per_batch_when_a_result_cannot_be_split(
    warehouse: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from frisk.quality import gate
    from frisk.quality.results import Unattributable

    monkeypatch.setenv("FRISK_HOME", str(tmp_path / "home"))
    good, bad = _night_with_one_bad_absence_file(warehouse)

    def unsplittable(*args, **kwargs):
        raise Unattributable("test")

    monkeypatch.setattr(gate, "rows_by_batch", unsplittable)
    before = _validations()
    res = _gate(warehouse)
    assert _validations() - before == 2 + len(good) + 1  # the two together, then the five absence files alone
    assert res[bad]["outcome"] == "rejected" and all(res[b]["outcome"] == "passed" for b in good)


def test_gate_groups_batches_up_to_a_row_limit() -> None:
    from frisk.quality.gate import groups

    sizes = {1: 10, 2: 10, 3: 500, 4: 5, 5: 90, 6: 10}
    assert groups(list(sizes), sizes, 100) == [[1, 2], [3], [4, 5], [6]]
    assert groups(list(sizes), sizes, 0) == [[1], [2], [3], [4], [5], [6]]
    assert groups([], {}, 100) == []

def test_mart_rules_flag_grant_over_rate_and_caps() -> None:
    from frisk.quality.marts import RULE_PREFIX, derive_expectations

    rule_sets = pd.DataFrame({
        "rule_set_id": ["FK_ARS_2014", "FK_ARS_2018", "AFA"], "grant_rate": [0.5, 0.5, 1.0],
        "cap_per_service_sek": [7000.0, None, None], "cap_per_person_year_sek": [None, 10000.0, None],
        "cap_per_employer_year_sek": [None, 200000.0, None]})
    key = "a" * 64
    df = pd.DataFrame({
        "rule_set_id": ["FK_ARS_2018", "FK_ARS_2018", "FK_ARS_2018", "AFA", "FK_ARS_2014"],
        "person_key": [key, key, "b" * 64, key, key],
        "employer_org_number": ["2120009903"] * 5,
        "grant_year": [2024, 2024, 2024, 2024, 2017],
        "grant_amount": [6000.0, 6000.0, 2000.0, 3000.0, 7500.0],   # 12000 for one person in 2024: over the cap
        "amount_paid": [12000.0, 12000.0, 3000.0, 3000.0, 20000.0],  # 2000 > 50 % of 3000; AFA pays 100 %
        "sick_leave_pct": [5.0, 101.0, 0.0, 0.0, 0.0],
        "note": ["ok", "ok", "ok", f"leak {_pnr_shaped()}", "org 2120009903"],
        # an md5-style id whose digit run happens to look like a personnummer is an id, not a leak
        "signal_id": ["ab" + _pnr_shaped().replace("-", "")[2:] + "cdef0123456789abcdef", "x", "y", "z", "w"],
    })
    out, exps = derive_expectations(df, rule_sets)
    assert out[RULE_PREFIX + "grant_within_rate_of_paid"].tolist() == [True, True, False, True, True]
    assert out[RULE_PREFIX + "grant_within_person_year_cap"].tolist() == [False, False, True, True, True]
    # credit notes: a negative paid amount may only reduce a grant, by at most the rate of what it credits
    credits = pd.DataFrame({
        "rule_set_id": ["FK_ARS_2018"] * 4, "person_key": [key] * 4, "employer_org_number": ["2120009903"] * 4,
        "grant_year": [2024] * 4, "grant_amount": [0.0, -600.0, -700.0, 100.0],
        "amount_paid": [-1200.0] * 4})
    out_credits, _ = derive_expectations(credits, rule_sets)
    assert out_credits[RULE_PREFIX + "grant_within_rate_of_paid"].tolist() == [True, True, False, False]
    assert out[RULE_PREFIX + "grant_within_employer_year_cap"].all()
    assert out[RULE_PREFIX + "grant_within_service_cap"].tolist() == [True, True, True, True, False]
    assert out["pnr_shaped__note"].tolist() == [False, False, False, True, False]  # org numbers are not flagged
    assert not out["pnr_shaped__signal_id"].any()
    kinds = {(e.type, e.kwargs.get("column")) for e in exps}
    assert ("expect_column_values_to_be_between", "sick_leave_pct") in kinds
    assert ("expect_column_values_to_match_regex", "person_key") in kinds
    assert ("expect_column_values_to_be_between", "grant_amount") in kinds


def test_committed_gx_project_matches_the_suites_in_code(tmp_path: Path) -> None:
    from frisk.quality.authoring import write_project

    fresh = write_project(tmp_path)

    def content(root: Path) -> dict:
        out = {}
        for f in sorted((root / "expectations").glob("*.json")):
            data = json.loads(f.read_text())
            out[f.name] = [(e["type"], json.dumps(e["kwargs"], sort_keys=True), e.get("severity"))
                           for e in data["expectations"]]
        for f in sorted((root / "checkpoints").glob("*.json")):
            data = json.loads(f.read_text())
            out[f.name + ":cp"] = (data["result_format"], [v["name"] for v in data["validation_definitions"]])
        return out

    committed = content(PROJECT_DIR)
    assert committed, "expectations/gx has no suites"
    assert committed == content(fresh), "expectations/gx is stale: run `python -m frisk.quality.authoring`"


def test_gate_parameters_follow_the_validity_window() -> None:
    from frisk.quality import rules

    p = rules.gate_parameters(dt.date(2025, 1, 15))
    assert p.values["latest_date"].startswith("2026-02")
    assert p.values["birth_year_max"] == 2010
    assert p.for_batch(100)["min_rows"] == 50 and p.for_batch(None)["max_rows"] is None
    with pytest.raises(ValueError, match="valid on 1999-01-01"):
        rules.gate_parameters(dt.date(1999, 1, 1))


def test_notifier_logs_by_default_and_masks(airflow_home: Path, monkeypatch: pytest.MonkeyPatch,
                                            capfd: pytest.CaptureFixture, caplog: pytest.LogCaptureFixture) -> None:
    from frisk.notify import FriskNotifier

    monkeypatch.delenv("FRISK_NOTIFY_CONN_ID", raising=False)
    caplog.set_level(logging.ERROR, logger="frisk.notify")
    channel = FriskNotifier(conn_id=None).send("gate", f"batch franvaro_2120009903.csv: {_pnr_shaped()}")
    assert channel == "log"
    out = "".join(capfd.readouterr()) + caplog.text  # Airflow may route logging through structlog to stdout
    assert "franvaro_2120009903.csv" in out and "<personnummer>" in out and _pnr_shaped() not in out
