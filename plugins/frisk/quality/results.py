"""GX checkpoint results -> rows for audit.checks, with readable messages that name the field (and lines)."""

from __future__ import annotations

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
