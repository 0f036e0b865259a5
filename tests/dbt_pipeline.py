"""Test helper: the nightly pipeline's steps in-process (load every landing file, gate, dbt build aside,
publish), for tests that need real marts without going through Airflow."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path


def build_marts_from_landing(landing: Path, warehouse_url: str, work: Path, as_of: str | None = None) -> str:
    """Load everything in `landing`, gate it, build and publish the marts. Returns the run id."""
    os.environ["FRISK_LANDING_DIR"] = str(landing)
    os.environ["FRISK_HOME"] = str(work / "home")
    from frisk import dbt_runner, invoices, payroll, statistics
    from frisk.quality import gate_new_batches

    as_of = as_of or dt.date.today().isoformat()
    run_id = f"test-{dt.datetime.now():%H%M%S%f}"
    for result in [*payroll.load_pending(run_id), *invoices.load_pending(run_id), *statistics.load_all(run_id)]:
        assert result["status"] in ("loaded", "skipped"), result
    gate_new_batches(run_id, as_of=as_of, build_docs=False)
    build = dbt_runner.build_aside(run_id, as_of=as_of, warehouse_url=warehouse_url,
                                   target_path=work / "dbt_target")
    assert build.success, build.message
    dbt_runner.publish(run_id, conninfo=warehouse_url)
    return run_id
