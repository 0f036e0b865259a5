"""Cross-check: a generated demo tree goes through the real payroll and invoice loaders into a real PostgreSQL.

Every file loads (none rejected), only the deliberate noise rows are quarantined, invoices reconcile with their
specifications and payments, and no clear personnummer reaches a table.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import psycopg

from frisk.demo import generate

END = dt.date(2025, 6, 10)


def test_demo_tree_loads_through_the_real_parsers(warehouse: str, frisk_env: Path) -> None:
    from frisk.invoices import load as invoice_load
    from frisk.payroll import load as payroll_load

    landing = frisk_env / "data" / "landing"
    summary = generate(landing, employees=400, years=2, seed=21, end_date=END)
    numbers = {line.split(",")[1] for line in
               next((landing / "payroll").glob("personnel_*.csv")).read_text(encoding="utf-8").splitlines()[1:]}

    payroll = payroll_load.load_pending(run_id="demo-crosscheck")
    invoices = invoice_load.load_pending(run_id="demo-crosscheck")
    assert [r["file_name"] for r in payroll if r["status"] != "loaded"] == []
    assert [r["file_name"] for r in invoices if r["status"] != "loaded"] == []
    assert len(payroll) == summary["payroll_files"]
    assert len(invoices) == summary["invoice_files"] + summary["specification_files"] + summary["payment_files"]

    noise = summary["noise_rows"]
    with psycopg.connect(warehouse) as conn:
        def one(sql: str) -> int:
            return conn.execute(sql).fetchone()[0]

        quarantined = one("select count(*) from quarantine.rows where source = 'payroll'")
        # invalid personnummer, to before from, extent 0 or 150, and the second copy of each duplicate row;
        # unknown cause codes are kept and flagged, not quarantined
        expected = (noise["invalid_personnummer"] + noise["to_before_from"] + noise["extent_0"]
                    + noise["extent_150"] + noise["duplicate"])
        assert quarantined == expected
        assert one("select count(*) from raw.payroll_absence") == summary["absence_rows"] - quarantined
        assert one("select count(*) from raw.payroll_absence where not cause_is_known") == noise["unknown_cause"]
        assert one("select count(*) from raw.payroll_personnel") == summary["personnel_rows"]
        assert one("select count(*) from raw.invoice_documents") == summary["invoice_files"]
        assert one("select count(*) from raw.invoice_documents where document_type = 'credit_note'") == 1
        assert one("select count(*) from raw.invoice_specifications") == summary["specification_rows"]
        assert one("select count(*) from raw.payments") == summary["payment_rows"]
        assert one("select count(*) from quarantine.rows where source in ('invoices', 'payments')") == 0
        assert one("""select count(*) from raw.invoice_lines l join raw.invoice_documents d
                        using (batch_id, supplier_org_number, invoice_number)
                       where d.supplier_org_number = '5566770011' and l.person_key is null""") == 0
        findings = conn.execute("select reason, count(*) from quarantine.invoice_reconciliation group by 1").fetchall()
        assert findings == []
        # privacy: no generated personnummer appears in any loaded or quarantined row
        dumped = " ".join(
            str(r)
            for table in ("raw.payroll_personnel", "raw.payroll_absence", "raw.invoice_lines",
                          "raw.invoice_specifications", "quarantine.rows")
            for r in conn.execute(f"select * from {table}").fetchall()
        )
        assert len(dumped) > 100_000
        assert not any(n in dumped or n[2:] in dumped or f"{n[:8]}-{n[8:]}" in dumped for n in numbers)
