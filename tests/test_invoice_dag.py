"""The invoice_ingest DAG under real Airflow (dag.test) into a real warehouse."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import psycopg
import pytest

from tests.conftest import run_dag
from tests.test_invoice_support import (
    PEPPOL_DIR,
    PROVIDER_B,
    build_ubl,
    payments_csv,
    pnr,
    provider_a_lines,
    provider_b_lines,
    spec_csv,
)


@pytest.mark.slow
def test_dag_loads_invoices_specs_payments_and_fails_visibly_on_a_rejected_file(
    airflow_home: Path, warehouse: str, frisk_env: Path
) -> None:
    landing = frisk_env / "data" / "landing"
    (landing / "invoices" / "A-1001.xml").write_text(
        build_ubl("A-1001", provider_a_lines()), encoding="utf-8"
    )
    (landing / "invoices" / "B-77.xml").write_text(
        build_ubl("B-77", provider_b_lines(), supplier=PROVIDER_B), encoding="utf-8"
    )
    p1 = pnr("19850505", 111)
    (landing / "invoices" / "B-77.spec.csv").write_text(
        spec_csv(
            [
                ("B-77", PROVIDER_B, 1, "2025-03-04", p1, "210", "Kartläggning", "Beteendevetare", "4800"),
                ("B-77", PROVIDER_B, 2, "2025-03-11", p1, "300", "Trepartsmöte", "Företagssköterska", "7000"),
            ]
        ),
        encoding="utf-8",
    )
    (landing / "invoices" / "se-invoice-sek.xml").write_bytes(
        (PEPPOL_DIR / "se-invoice-sek.xml").read_bytes()
    )
    truncated = (PEPPOL_DIR / "base-example.xml").read_bytes()[:3000]
    (landing / "invoices" / "broken.xml").write_bytes(truncated)
    (landing / "payments" / "ap.csv").write_text(
        payments_csv(
            [("B-77", PROVIDER_B, "2025-04-20", "6000"), ("B-77", PROVIDER_B, "2025-04-28", "6000")]
        ),
        encoding="utf-8",
    )

    dagrun = run_dag("invoice_ingest")

    states = {(ti.task_id, ti.map_index): ti.state for ti in dagrun.get_task_instances()}
    assert states[("pending_files", -1)] == "success"
    mapped = sorted(state for (task_id, _), state in states.items() if task_id == "load_file")
    assert mapped == ["failed"] + ["success"] * 5  # the broken file fails its own task, visibly
    assert states[("reconcile", -1)] == "success"  # all_done: the other files are still reconciled
    failed = [ti.rendered_map_index for ti in dagrun.get_task_instances()
              if ti.state == "failed" and ti.task_id == "load_file"]
    assert failed == ["broken.xml"]  # the red task is named after the file
    assert states[("fail_if_a_file_failed", -1)] == "failed"

    from airflow.models.asset import AssetEvent
    from airflow.utils.session import create_session

    with create_session() as session:
        events = session.query(AssetEvent).filter(AssetEvent.source_run_id == dagrun.run_id).all()
        assert [(e.asset.uri, sorted(e.extra)) for e in events] == [
            ("frisk://warehouse/raw/invoices", ["findings", "loaded_batches"])
        ]
    # the rejected delivery makes the run itself red, not only the file's own task
    assert dagrun.state == "failed"

    rejected = list((frisk_env / "data" / "rejected" / "invoices").glob("*broken.xml"))
    assert len(rejected) == 1
    error = Path(str(rejected[0]) + ".error.txt").read_text(encoding="utf-8")
    assert "not well-formed XML" in error and "truncated" in error
    assert not [p for p in (landing / "invoices").iterdir()] and not list((landing / "payments").iterdir())

    with psycopg.connect(warehouse) as conn:
        docs = conn.execute(
            "select invoice_number, payable_amount from raw.invoice_documents order by 1"
        ).fetchall()
        assert docs == [
            ("2018210", Decimal("125.00")),
            ("A-1001", Decimal("13550.00")),
            ("B-77", Decimal("12000.00")),
        ]
        findings = conn.execute(
            "select reason, invoice_number, difference, run_id "
            "from quarantine.invoice_reconciliation order by reason"
        ).fetchall()
        assert findings == [
            ("spec_line_total_mismatch", "B-77", Decimal("-200.00"), dagrun.run_id),
            ("spec_total_mismatch", "B-77", Decimal("-200.00"), dagrun.run_id),
        ]
        runs = conn.execute(
            "select status, count(*) from audit.batches where run_id = %s group by 1 order by 1",
            (dagrun.run_id,),
        ).fetchall()
        assert runs == [("loaded", 5), ("rejected", 1)]
