"""Great Expectations quality gates: raw batches before staging, marts before they are published.

    gate_new_batches(run_id=None) -> list[dict]    checkpoints on every loaded batch not yet gated
    check_marts(schema, run_id=None) -> MartCheck  the mart suite on a (build-aside) marts schema
    build_data_docs() -> Path | None               rebuild GX Data Docs, return index.html
    data_docs_index() -> Path | None               where the Data Docs are, if built

Configuration: expectations/gates.yml, expectations/mart_rules.yml; suites in expectations/gx (from
frisk.quality.suites). Importing this package is cheap; GX is imported when a check runs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from frisk.quality.context import data_docs_index

if TYPE_CHECKING:
    from pathlib import Path

    from frisk.quality.marts import MartCheck

__all__ = ["build_data_docs", "check_marts", "data_docs_index", "gate_new_batches"]


def gate_new_batches(run_id: str | None = None, **kwargs: Any) -> list[dict[str, Any]]:
    from frisk.quality.gate import gate_new_batches as _gate

    return _gate(run_id, **kwargs)


def check_marts(schema: str, run_id: str | None = None, **kwargs: Any) -> MartCheck:
    from frisk.quality.marts import check_marts as _check

    return _check(schema, run_id, **kwargs)


def build_data_docs() -> Path | None:
    from frisk.quality.context import build_data_docs as _build

    return _build()
