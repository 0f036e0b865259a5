"""Hostile and broken deliveries (tests/bad_inputs.py): each is rejected with an error naming where, or loaded with
its bad rows quarantined with a reason; the loader never raises; rows in = loaded + quarantined; no clear
personnummer in any error, quarantine row or .error.txt. Then the whole corpus at once through the ingest DAGs."""

from __future__ import annotations

import re
from pathlib import Path

import psycopg
import pytest

from tests.bad_inputs import CORPUS, Case, clear_numbers
from tests.conftest import run_dag
from tests.reliability_support import data_lines

RAW_TABLE = {
    "absence": "raw.payroll_absence", "personnel": "raw.payroll_personnel", "invoice": "raw.invoice_lines",
    "specification": "raw.invoice_specifications", "payment": "raw.payments", "fk": "raw.fk_statistics",
}


def _params() -> list:
    out = []
    for case in CORPUS:
        marks = []
        if case.known_gap:
            marks.append(pytest.mark.xfail(strict=True, reason=case.known_gap))
        if case.big:
            marks.append(pytest.mark.slow)
        out.append(pytest.param(case, id=case.name, marks=marks))
    return out


def _load(case: Case, path: Path) -> dict:
    """The loader each DAG task calls for one file."""
    if case.source == "payroll":
        from frisk.payroll.load import load_path

        return load_path(path).as_dict()
    if case.source in ("invoices", "payments"):
        from frisk.invoices.load import load_path

        return load_path(path, case.kind)
    from frisk.statistics.load import load_pending

    (result,) = load_pending()
    return result


def _assert_no_clear_numbers(*texts: str) -> None:
    blob = "\n".join(texts)
    leaked = [n for n in clear_numbers() if n in blob]
    assert not leaked, "a clear personnummer leaked"


def test_corpus_is_large_and_covers_every_source() -> None:
    assert len(CORPUS) >= 30
    assert {c.source for c in CORPUS} == {"payroll", "invoices", "payments", "statistics"}
    assert len({c.file_name for c in CORPUS}) == len(CORPUS)  # the DAG test drops them all at once


@pytest.mark.parametrize("case", _params())
def test_bad_input(case: Case, warehouse: str, frisk_env: Path) -> None:
    landing = frisk_env / "data" / "landing" / case.source
    path = landing / case.file_name
    case.write(path)
    try:
        result = _load(case, path)  # must not raise, whatever the file holds
    finally:
        if case.big:
            path.unlink(missing_ok=True)
    assert not path.exists(), "the file must leave the landing folder (archive/ or rejected/)"
    moved = Path(result["moved_to"]) if result.get("moved_to") else None
    with psycopg.connect(warehouse) as conn:
        audit = conn.execute(
            "select batch_id, status, rows_read, rows_loaded, rows_quarantined, error, entity from audit.batches "
            "where file_name = %s", (case.file_name,)).fetchall()
        assert len(audit) == 1, audit
        batch_id, status, read, loaded, quarantined, error, entity = audit[0]
        q = conn.execute("select line_no, field, reason, coalesce(record::text, '') from quarantine.rows "
                         "where batch_id = %s order by quarantine_id", (batch_id,)).fetchall()
        raw = conn.execute(f"select count(*) from {RAW_TABLE[entity]} where batch_id = %s",
                           (batch_id,)).fetchone()[0] if entity in RAW_TABLE else 0
    assert (result["status"], status) == (case.outcome, case.outcome), result.get("error")
    _assert_no_clear_numbers(str(result.get("error")), str(error), *(f"{r[2]} {r[3]}" for r in q))
    if case.outcome == "rejected":
        assert re.search(case.error, result["error"], re.S), result["error"]
        assert (raw, loaded, quarantined, q) == (0, 0, 0, [])
        assert moved is not None and moved.parent.name == case.source and moved.parent.parent.name == "rejected"
        note = moved.with_name(moved.name + ".error.txt").read_text(encoding="utf-8")
        assert f"File: {case.file_name}" in note and result["error"] in note
        _assert_no_clear_numbers(note)
        if case.big:
            moved.unlink()
        return
    # loaded: the good rows are in raw, each bad one is in quarantine with its line, field and reason
    assert (raw, loaded) == (case.loaded, case.loaded)
    assert quarantined == len(case.quarantined) == len(q)
    assert read == case.expected_rows_in == loaded + quarantined
    if case.source in ("payroll", "payments") or case.kind == "specification":
        assert read == data_lines(moved)  # rows in = data lines of the delivered file
    for (line, fld, reason), (q_line, q_field, q_reason, _) in zip(case.quarantined, q, strict=True):
        assert (line is None or q_line == line) and q_field == fld and reason in q_reason, (q_line, q_field, q_reason)


@pytest.mark.slow
def test_the_whole_corpus_at_once_through_the_ingest_dags(airflow_home: Path, warehouse: str, frisk_env: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """Every (small) bad file in landing at once: each DAG finishes, rejects exactly the files it must, loads the
    good rows of the others, and fails its run visibly only through the rejected files' tasks."""
    for var in ("FRISK_FK_BASE_URL", "FRISK_KOLADA_BASE_URL", "AIRFLOW_CONN_FRISK_FK", "AIRFLOW_CONN_FRISK_KOLADA"):
        monkeypatch.delenv(var, raising=False)
    # a case marked as a known gap (none at present) would crash its task and wait for Airflow's retry delay
    cases = [c for c in CORPUS if not c.big and not c.known_gap]
    landing = frisk_env / "data" / "landing"
    for c in cases:
        c.write(landing / c.source / c.file_name)

    runs = {dag_id: run_dag(dag_id) for dag_id in ("payroll_ingest", "invoice_ingest", "public_statistics_ingest")}

    with psycopg.connect(warehouse) as conn:
        audit = {f: (s, loaded, q) for f, s, loaded, q in conn.execute(
            "select file_name, status, rows_loaded, rows_quarantined from audit.batches")}
    for c in cases:
        expected = (c.outcome, c.loaded, len(c.quarantined)) if c.outcome == "loaded" else ("rejected", 0, 0)
        assert audit.get(c.file_name) == expected, c.name
    assert not [p for p in landing.rglob("*") if p.is_file()], "every file left the landing folder"
    for dag_id, source in (("payroll_ingest", ("payroll",)), ("invoice_ingest", ("invoices", "payments"))):
        states = [(ti.task_id, ti.state) for ti in runs[dag_id].get_task_instances()]
        failed_loads = sum(1 for t, s in states if t == "load_file" and s == "failed")
        assert failed_loads == sum(1 for c in cases if c.source in source and c.outcome == "rejected"), dag_id
        assert all(s in ("success", "failed", "skipped") for _, s in states), states  # nothing hung or crashed
    # a rejected manual drop lands in rejected/ without failing the statistics run; FK and Kolada still loaded
    assert str(runs["public_statistics_ingest"].state).endswith("success")
    # and after all that hostile input, no table holds anything shaped like a personnummer
    from frisk.maintenance.privacy_scan import scan_database

    assert scan_database(warehouse) == []
    notes = list((frisk_env / "data" / "rejected").rglob("*.error.txt"))
    assert sorted(p.name.split("__", 1)[1] for p in notes) == \
        sorted(f"{c.file_name}.error.txt" for c in cases if c.outcome == "rejected")
    _assert_no_clear_numbers(*(p.read_text(encoding="utf-8") for p in notes))


def test_kolada_values_beyond_the_column_are_quarantined_not_fatal() -> None:
    """A Kolada response with an absurd value or count: those entries are quarantined, the rest load (before the
    fix they made the whole COPY, and so the KPI's batch, fail)."""
    from frisk.loading import Quarantined, Row
    from frisk.statistics.kolada import parse_page

    doc = {"values": [{"kpi": "N00090", "municipality": "2080", "period": 2024, "values": [
        {"gender": "T", "value": 7.5, "count": 1}, {"gender": "K", "value": 1e300, "count": 1},
        {"gender": "M", "value": "NaN", "count": 1}]},
        {"kpi": "N00090", "municipality": "2081", "period": 2024, "values": [
            {"gender": "T", "value": 6.1, "count": 2**40}]}]}
    gen = parse_page(doc, 1, None, set())
    out = []
    while True:
        try:
            out.append(next(gen))
        except StopIteration as stop:
            read = stop.value
            break
    rows = [o for o in out if isinstance(o, Row)]
    bad = [o for o in out if isinstance(o, Quarantined)]
    assert read == 4 and len(rows) == 1 and len(bad) == 3
    assert all("out of range" in q.reason for q in bad)


def test_invoice_number_limits_match_the_warehouse_columns(warehouse: str) -> None:
    """The parser refuses what does not fit (frisk.invoices.limits); those ranges must be the columns' own, and
    every numeric column of the invoice tables must have one (a new column without a limit fails here)."""
    from decimal import Decimal

    from frisk.invoices.limits import AMOUNT, COLUMN_TYPES

    with psycopg.connect(warehouse) as conn:
        actual = {f"raw.{t}.{c}": (p, s) for t, c, p, s in conn.execute(
            """select table_name, column_name, numeric_precision, numeric_scale from information_schema.columns
               where table_schema = 'raw' and data_type = 'numeric' and (table_name like 'invoice%%'
                     or table_name = 'payments')""")}
        assert {k: (v.precision, v.scale) for k, v in COLUMN_TYPES.items()} == actual
        # the edge as PostgreSQL itself sees it: the largest value that fits, and the one that rounds out
        biggest, rounds_out = Decimal("999999999999.994"), Decimal("-999999999999.995")
        assert AMOUNT.fits(biggest) and not AMOUNT.fits(rounds_out)
        assert conn.execute("select %s::numeric(14,2)", (biggest,)).fetchone()[0] == Decimal("999999999999.99")
        with pytest.raises(psycopg.errors.NumericValueOutOfRange):
            conn.execute("select %s::numeric(14,2)", (rounds_out,))
