"""One pack built from real dbt output: the warehouse seeded with raw rows, built and published by dbt, then
packed. Proves queries.py matches the marts' real contracts (issues 6 and 7), not only the test fixture."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from openpyxl import load_workbook

from tests.warehouse_build_data import seed_world


@pytest.mark.slow
def test_pack_from_real_dbt_marts(warehouse: str, frisk_env: Path, tmp_path: Path,
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FRISK_HOME", str(tmp_path / "home"))
    from frisk import dbt_runner
    from frisk.extracts import build_packs
    from frisk.quality import gate_new_batches

    seed_world(warehouse)
    assert all(r["outcome"] == "passed" for r in gate_new_batches("x1", as_of="2025-01-15", build_docs=False))
    assert dbt_runner.build_aside("x1", as_of="2025-01-15", warehouse_url=warehouse,
                                  target_path=tmp_path / "target").success
    dbt_runner.publish("x1")

    folder = build_packs(dt.date(2025, 1, 15), run_id="dbt-run")[0]
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["data_period"]["to"] == "2024-12-31"
    assert manifest["data_dates"]["marts_published"] is not None
    wb = load_workbook(folder / "2120009903_uppfoljning.xlsx")
    trend = [r for r in wb["Trend"].iter_rows(min_row=3, values_only=True) if r[0]]
    assert trend and trend[-1][0] == "2024-12"
    values = [v for r in trend for v in r[1:] if v is not None]
    assert values and all(v == ".." or isinstance(v, int | float) for v in values)
    key = {r[0]: r[1:] for r in wb["Nyckeltal"].iter_rows(min_row=3, values_only=True) if r[0]}
    total = key["Total sjukfrånvaro, % av ordinarie arbetstid"]
    assert total[1] == ".." or 0 < total[1] < 100
