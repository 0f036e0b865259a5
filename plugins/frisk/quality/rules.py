"""The gate configuration: expectations/gates.yml (raw batches) and expectations/mart_rules.yml (marts).

Thresholds, allowed codes and caps live in those YAML files with validity dates; this module picks the set valid
on the run's as-of date and turns it into the `$PARAMETER` values the committed GX suites read.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml

from frisk.config import EXPECTATIONS_DIR

GATES_FILE = EXPECTATIONS_DIR / "gates.yml"
MART_RULES_FILE = EXPECTATIONS_DIR / "mart_rules.yml"


def as_of_date(value: str | dt.date | None = None) -> dt.date:
    """The business date of a run: the argument, FRISK_AS_OF_DATE (set by the DAG from its logical date), or today
    in Europe/Stockholm (the municipalities' business day, as dbt's as_of_date() reads it when not pinned)."""
    if isinstance(value, dt.date):
        return value
    text = value or os.environ.get("FRISK_AS_OF_DATE") or ""
    return dt.date.fromisoformat(text) if text else dt.datetime.now(ZoneInfo("Europe/Stockholm")).date()


def _load(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as f:
        data = yaml.safe_load(f)
    if not isinstance(data, dict):
        raise ValueError(f"{path}: line 1: expected a mapping at the top level")
    return data


@cache
def gates_config() -> dict[str, Any]:
    return _load(GATES_FILE)


@cache
def mart_rules_config() -> dict[str, Any]:
    return _load(MART_RULES_FILE)


def valid_on(entries: list[dict[str, Any]], day: dt.date, what: str) -> dict[str, Any]:
    """The one entry whose [valid_from, valid_to] contains `day` (both inclusive, valid_to empty = open)."""
    hits = [
        e for e in entries
        if _date(e["valid_from"]) <= day and (e.get("valid_to") in (None, "") or day <= _date(e["valid_to"]))
    ]
    if len(hits) != 1:
        raise ValueError(f"{what}: {len(hits)} entries valid on {day.isoformat()}, expected exactly one")
    return hits[0]


def _ts(value: Any) -> str:
    # dates go to GX as midnight timestamps: the frames hold datetime64, which GX cannot compare with a date
    return _date(value).isoformat() + "T00:00:00"


def _date(value: Any) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


@dataclass(frozen=True)
class GateParameters:
    """Parameters for the raw suites on one as-of date (without the per-batch row-count window)."""

    values: dict[str, Any]
    row_count_change_pct: float

    def for_batch(self, previous_rows: int | None) -> dict[str, Any]:
        """Add the row-count window: within ±row_count_change_pct of the previous batch of the same kind."""
        params = dict(self.values)
        if previous_rows:
            tol = self.row_count_change_pct / 100
            params["min_rows"] = int(previous_rows * (1 - tol))
            params["max_rows"] = int(previous_rows * (1 + tol)) + 1
        else:  # the first batch of its kind: no previous count to compare with
            params["min_rows"] = 1
            params["max_rows"] = None
        return params


def gate_parameters(day: dt.date) -> GateParameters:
    cfg = gates_config()
    entry = valid_on(cfg["parameter_sets"], day, f"{GATES_FILE.name}: parameter_sets")
    latest = day + dt.timedelta(days=int(entry["future_days"]))
    values = {k: v for k, v in entry.items() if k not in ("valid_from", "valid_to", "future_days",
                                                           "row_count_change_pct")}
    values.update({
        "earliest_date": _ts(entry["earliest_date"]),
        "latest_date": _ts(latest),
        "birth_year_min": day.year - int(entry["max_age"]),
        "birth_year_max": day.year - int(entry["min_age"]),
        "latest_year": latest.year,
        "earliest_employment_date": _ts(entry["earliest_employment_date"]),
        "earliest_statistics_date": _ts(entry["earliest_statistics_date"]),
        "earliest_statistics_year": _date(entry["earliest_statistics_date"]).year,
        "min_signed_amount": -float(entry["max_amount_sek"]),
        "min_signed_document_amount": -float(entry["max_document_amount_sek"]),
    })
    values.pop("max_age", None)
    values.pop("min_age", None)
    return GateParameters(values=values, row_count_change_pct=float(entry["row_count_change_pct"]))


def source_tables(source: str) -> list[str]:
    """Raw tables (without schema) a batch of `source` may write rows into."""
    return list(gates_config()["sources"].get(source, []))
