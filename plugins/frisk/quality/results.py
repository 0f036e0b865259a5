"""GX checkpoint results -> rows for audit.checks, with readable messages that name the field (and lines)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import psycopg

from frisk.identity import MASK, PNR_SHAPE, looks_like_personnummer


def mask_personnummer(text: str) -> str:
    """Mask personnummer-like numbers (shape, check digit, month) but keep organisation numbers in file names.

    frisk.identity.mask_personnummer masks every 10-digit run, which would hide `franvaro_2120009903_x.csv`
    (an organisation number: its "month" is 20) and so the file an error must name.
    """
    return PNR_SHAPE.sub(lambda m: MASK if looks_like_personnummer(m.group(0)) else m.group(0), text)


@dataclass
class CheckRow:
    target: str          # suite, e.g. raw_payroll_absence or marts.rpt_sick_leave
    check_name: str      # expectation type(column)
    severity: str        # critical | warning
    success: bool
    observed: str        # what was seen: counts, observed value, first failing line numbers

    @property
    def failed_critical(self) -> bool:
        return not self.success and self.severity == "critical"

    @property
    def failed_warning(self) -> bool:
        return not self.success and self.severity != "critical"

    def message(self) -> str:
        return f"{self.target}: {self.check_name}: {self.observed}"


def _column_label(kwargs: dict[str, Any]) -> str:
    if "column" in kwargs:
        return str(kwargs["column"])
    if "column_A" in kwargs:
        return f"{kwargs['column_A']}>={kwargs['column_B']}"
    return "table"


def _observed(result: Any) -> str:
    r = result.result or {}
    if result.exception_info and result.exception_info.get("raised_exception"):
        return "error: " + str(result.exception_info.get("exception_message"))[:300]
    if "unexpected_count" in r:
        text = f"{r.get('unexpected_count', 0)} of {r.get('element_count', 0)} rows unexpected"
        lines = [i.get("line_no") for i in r.get("partial_unexpected_index_list") or [] if isinstance(i, dict)]
        if lines and not result.success:
            text += " (lines " + ", ".join(str(x) for x in lines if x is not None) + ")"
        return text
    if "observed_value" in r:
        return f"observed {r['observed_value']}"
    return "passed" if result.success else "failed"


def rows_from_checkpoint(checkpoint_result: Any, target: str) -> list[CheckRow]:
    rows: list[CheckRow] = []
    for vr in checkpoint_result.run_results.values():
        for res in vr.results:
            cfg = res.expectation_config
            severity = getattr(cfg.severity, "value", cfg.severity) or "critical"
            name = f"{cfg.type}({_column_label(cfg.kwargs)})"
            rows.append(CheckRow(target=target, check_name=name, severity=str(severity),
                                 success=bool(res.success), observed=mask_personnummer(_observed(res))))
    return rows


def write_checks(conn: psycopg.Connection, rows: list[CheckRow], run_id: str | None,
                 batch_id: int | None = None) -> None:
    if not rows:
        return
    with conn.cursor() as cur:
        cur.executemany(
            """insert into audit.checks (run_id, batch_id, target, check_name, severity, success, observed)
               values (%s, %s, %s, %s, %s, %s, %s)""",
            [(run_id, batch_id, r.target, r.check_name, r.severity, r.success, r.observed) for r in rows],
        )


class Unattributable(Exception):
    """A result of a validation of several batches together that cannot be split per batch."""


_INDEX_QUERY = re.compile(r"items=\[([^\]]*)\]")
ROW_COUNT = "expect_table_row_count_to_be_between"
# table-level expectations whose result holds for every batch of a frame built by one query (same columns)
_FRAME_WIDE = {"expect_table_columns_to_match_set"}


def _unexpected_positions(r: dict[str, Any]) -> list[int] | None:
    """Row positions of every unexpected row, from a pandas `unexpected_index_query` (`df.filter(items=[..])`)."""
    m = _INDEX_QUERY.search(str(r.get("unexpected_index_query") or ""))
    if not m:
        return None
    try:
        return [int(x) for x in m.group(1).split(",") if x.strip()]
    except ValueError:
        return None


def rows_by_batch(checkpoint_result: Any, target: str, batch_of_row: Sequence[int], sizes: dict[int, int],
                  line_of_row: Sequence[Any] | None = None, partial: int = 5) -> dict[int, list[CheckRow]]:
    """Split the result of one validation of several batches (a frame with a RangeIndex, rows grouped by batch)
    into the rows each batch would have got validated alone: per-batch unexpected counts, and the first
    `partial` failing line numbers, from the positions in `unexpected_index_query`. The row-count expectation
    is left to the caller (its window is per batch). Raises Unattributable for a result that cannot be split:
    an exception, or a failed aggregate expectation.
    """
    out: dict[int, list[CheckRow]] = {b: [] for b in sizes}
    for vr in checkpoint_result.run_results.values():
        for res in vr.results:
            cfg = res.expectation_config
            severity = str(getattr(cfg.severity, "value", cfg.severity) or "critical")
            name = f"{cfg.type}({_column_label(cfg.kwargs)})"
            r = res.result or {}
            if res.exception_info and res.exception_info.get("raised_exception"):
                raise Unattributable(f"{name}: {_observed(res)}")
            if cfg.type == ROW_COUNT:
                for b, n in sizes.items():
                    out[b].append(CheckRow(target, name, severity, True, f"observed {n}"))
            elif "unexpected_count" in r:
                unexpected = int(r.get("unexpected_count") or 0)
                if not res.success and not unexpected:
                    raise Unattributable(f"{name}: failed without unexpected rows")
                if unexpected and cfg.kwargs.get("mostly", 1) != 1:
                    raise Unattributable(f"{name}: mostly < 1 cannot be split per batch")
                positions = _unexpected_positions(r) if unexpected else []
                if positions is None or len(positions) != unexpected:
                    raise Unattributable(f"{name}: no complete unexpected_index_query")
                per_batch: dict[int, list[int]] = {}
                for pos in positions:
                    per_batch.setdefault(int(batch_of_row[pos]), []).append(pos)
                for b, n in sizes.items():
                    hits = per_batch.get(b, [])
                    text = f"{len(hits)} of {n} rows unexpected"
                    lines = [line_of_row[p] for p in hits[:partial]] if line_of_row is not None else []
                    if hits and lines:
                        text += " (lines " + ", ".join(str(x) for x in lines if x is not None) + ")"
                    out[b].append(CheckRow(target, name, severity, not hits, mask_personnummer(text)))
            elif res.success or cfg.type in _FRAME_WIDE:
                text = mask_personnummer(_observed(res))
                for b in sizes:
                    out[b].append(CheckRow(target, name, severity, bool(res.success), text))
            else:
                raise Unattributable(f"{name}: {_observed(res)}")
    return out
