"""The batch gate: run the raw checkpoints on every loaded batch not yet gated, and reject the bad ones.

A critical failure marks the batch `gate_rejected` in audit.batches (staging reads only `loaded` batches, so it
never reaches the marts; its rows stay in raw for inspection). Warnings are logged and recorded but do not block.
Every result goes to audit.checks; the verdict per batch to audit.batch_gates, so a batch is gated once.

A GX validation costs about a second whatever its size, and invoices arrive one file (one batch) each, so the
pending batches of one raw table are validated together: one frame holding consecutive batches up to
GROUP_MAX_ROWS rows (a bigger batch alone), one checkpoint run. The result is split per batch
(results.rows_by_batch: per-batch unexpected counts and line numbers from the positions of the failing rows), so
every batch still gets its own verdict and the same audit.checks rows as when it was validated alone. A result
that cannot be split (an expectation raised, or an aggregate failed) sends that group's batches through one
validation each. The row count against the previous batch of the same kind is per batch by nature: the gate
computes it when it judges the batch (GX itself only checks that a frame has at least one row). Tables go in
gates.yml order and a batch is judged once its last table is validated, so an absence batch's employment_known
sees the personnel batches rejected earlier the same night.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any

import psycopg

from frisk.quality import rules
from frisk.quality.frames import flag_personnummer, read_frame
from frisk.quality.results import (
    ROW_COUNT,
    CheckRow,
    Unattributable,
    mask_personnummer,
    rows_by_batch,
    rows_from_checkpoint,
    write_checks,
)
from frisk.quality.suites import SUITES_BY_TABLE, RawSuite
from frisk.warehouse import server_url

log = logging.getLogger(__name__)

_LOCK = "select pg_advisory_lock(hashtext('frisk.quality.gate'))"
_UNLOCK = "select pg_advisory_unlock(hashtext('frisk.quality.gate'))"

# Rows of one table validated in one frame: bounds the memory of a night with many or large batches (a batch
# above it is validated alone, as big as it is).
GROUP_MAX_ROWS = 100_000
# GX checkpoint runs by this process (tests and benchmarks compare it before and after a gate).
validations_run = 0


def _pending(conn: psycopg.Connection) -> list[dict[str, Any]]:
    cur = conn.execute(
        """select b.batch_id, b.source, b.entity, b.file_name, b.employer_org_number
           from audit.batches b
           where b.status = 'loaded'
             and not exists (select 1 from audit.batch_gates g where g.batch_id = b.batch_id)
           order by b.batch_id""")
    cols = [d.name for d in cur.description]
    return [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]


def _previous_rows(conn: psycopg.Connection, table: str, batch: dict[str, Any]) -> int | None:
    """Rows in `table` of the previous loaded batch of the same source, entity and employer."""
    row = conn.execute(
        f"""select (select count(*) from raw.{table} t where t.batch_id = b.batch_id)
            from audit.batches b
            where b.batch_id < %s and b.source = %s and b.status = 'loaded'
              and b.entity is not distinct from %s and b.employer_org_number is not distinct from %s
              and exists (select 1 from raw.{table} t where t.batch_id = b.batch_id)
            order by b.batch_id desc limit 1""",
        (batch["batch_id"], batch["source"], batch["entity"], batch["employer_org_number"]),
    ).fetchone()
    return int(row[0]) if row else None


def _row_counts(conn: psycopg.Connection, table: str, batch_ids: list[int]) -> dict[int, int]:
    rows = conn.execute(f"select batch_id, count(*) from raw.{table} where batch_id = any(%s) group by batch_id",
                        (batch_ids,)).fetchall()
    return {int(b): int(n) for b, n in rows}


def table_frame(conn: psycopg.Connection, suite: RawSuite, batch_ids: list[int]) -> Any:
    """The rows of `batch_ids` in the suite's table: by batch, then line, with a RangeIndex (row positions)."""
    extra = f", {suite.extra_select}" if suite.extra_select else ""
    cols = ", ".join(f"t.{c}" for c in suite.columns)
    order = "t.batch_id, t.line_no" if "line_no" in suite.columns else "t.batch_id"
    df = read_frame(conn, f"select {cols}{extra} from raw.{suite.table} t where t.batch_id = any(%s) "
                          f"order by {order}", (list(batch_ids),))
    return flag_personnummer(df, suite.scan_text)


def batch_frame(conn: psycopg.Connection, suite: RawSuite, batch_id: int) -> Any:
    return table_frame(conn, suite, [batch_id])


def groups(batch_ids: list[int], sizes: dict[int, int], max_rows: int) -> list[list[int]]:
    """Consecutive batches, in order, packed into groups of at most max_rows rows (a bigger batch alone)."""
    out: list[list[int]] = []
    rows = 0
    for b in batch_ids:
        if out and rows + sizes[b] <= max_rows:
            out[-1].append(b)
            rows += sizes[b]
        else:
            out.append([b])
            rows = sizes[b]
    return out


def combined_result_format(suite: RawSuite) -> dict[str, Any]:
    """The committed checkpoint's result format, plus what splits a result per batch: batch_id next to line_no
    in the example rows, and the positions of every failing row (numbers only, never values)."""
    from frisk.quality.authoring import result_format_for

    fmt = result_format_for(suite.all_columns())
    fmt["unexpected_index_column_names"] = ["batch_id", *(["line_no"] if "line_no" in suite.columns else [])]
    fmt["return_unexpected_index_query"] = True
    return fmt


TOGETHER = "__batches"


def _checkpoint(ctx: Any, suite: RawSuite, together: bool) -> Any:
    """The suite's checkpoint; for several batches together a sibling with combined_result_format, added to the
    working copy only (open_context() copies the committed project afresh each time)."""
    if not together:
        return ctx.checkpoints.get(suite.name)
    import great_expectations as gx
    from great_expectations.exceptions import DataContextError

    name = suite.name + TOGETHER
    try:
        return ctx.checkpoints.get(name)
    except DataContextError:
        return ctx.checkpoints.add(gx.Checkpoint(
            name=name, validation_definitions=[ctx.validation_definitions.get(suite.name)], actions=[],
            result_format=combined_result_format(suite)))


def _run_checkpoint(ctx: Any, suite: RawSuite, df: Any, expectation_params: dict[str, Any], run_name: str,
                    together: bool = False) -> Any:
    from great_expectations.core.run_identifier import RunIdentifier

    global validations_run
    checkpoint = _checkpoint(ctx, suite, together)
    validations_run += 1
    return checkpoint.run(batch_parameters={"dataframe": df}, expectation_parameters=expectation_params,
                          run_id=RunIdentifier(run_name=run_name))


@dataclass
class _Batch:
    batch: dict[str, Any]
    rows: dict[str, int] = field(default_factory=dict)           # table -> rows in this batch (tables with rows)
    checks: dict[str, list[CheckRow]] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def where(self) -> str:
        return f"{self.batch['file_name']} (batch {self.batch['batch_id']})"


def _validate_group(ctx: Any, conn: psycopg.Connection, suite: RawSuite, group: list[_Batch],
                    params: rules.GateParameters, run_id: str | None) -> None:
    started = time.monotonic()
    ids = [g.batch["batch_id"] for g in group]
    first = params.for_batch(None)  # the row-count window is per batch: judged in _judge
    df = table_frame(conn, suite, ids)
    if len(group) == 1:
        result = _run_checkpoint(ctx, suite, df, first, f"{run_id or 'gate'}-batch-{ids[0]}")
        per_batch = {ids[0]: rows_from_checkpoint(result, suite.name)}
    else:
        result = _run_checkpoint(ctx, suite, df, first, f"{run_id or 'gate'}-{suite.table}-batches-{ids[0]}-{ids[-1]}",
                                 together=True)
        sizes = {g.batch["batch_id"]: g.rows[suite.table] for g in group}
        try:
            per_batch = rows_by_batch(result, suite.name, df["batch_id"].to_numpy(), sizes,
                                      df["line_no"].to_numpy() if "line_no" in df.columns else None)
        except Unattributable as e:
            log.info("quality gate: %s: the result of %d batches together cannot be split per batch (%s); "
                     "validating them one by one", suite.name, len(group), e)
            del df
            per_batch = {}
            for b in ids:
                result = _run_checkpoint(ctx, suite, batch_frame(conn, suite, b), first,
                                         f"{run_id or 'gate'}-batch-{b}")
                per_batch[b] = rows_from_checkpoint(result, suite.name)
    share = (time.monotonic() - started) / len(group)
    for g in group:
        g.checks[suite.table] = per_batch[g.batch["batch_id"]]
        g.seconds += share
    if len(group) > 1:
        log.info("quality gate: %s: %d batches, %d rows validated together in %.2f s", suite.name, len(group),
                 sum(g.rows[suite.table] for g in group), share * len(group))


def _row_count_check(conn: psycopg.Connection, suite: RawSuite, b: _Batch, params: rules.GateParameters,
                     template: CheckRow) -> CheckRow:
    """The row count against the previous loaded batch of the same kind, as the suite's expectation judges it."""
    window = params.for_batch(_previous_rows(conn, suite.table, b.batch))
    n = b.rows[suite.table]
    ok = (window["min_rows"] is None or n >= window["min_rows"]) and (
        window["max_rows"] is None or n <= window["max_rows"])
    return CheckRow(template.target, template.check_name, template.severity, ok, f"observed {n}")


def gate_new_batches(run_id: str | None = None, *, conninfo: str | None = None,
                     as_of: str | None = None, build_docs: bool = True) -> list[dict[str, Any]]:
    """Gate every loaded, not yet gated batch. Returns one dict per batch, in batch order:

    {batch_id, source, entity, file_name, outcome: passed|warned|rejected, tables, checks,
     critical_failed: [message], warnings: [message], seconds}
    """
    conninfo = conninfo or server_url("warehouse")
    day = rules.as_of_date(as_of)
    params = rules.gate_parameters(day)
    out: list[dict[str, Any]] = []
    with psycopg.connect(conninfo, autocommit=True) as lock_conn:
        lock_conn.execute(_LOCK)  # one gate at a time: two runs must not judge the same batch twice
        try:
            with psycopg.connect(conninfo) as conn:
                pending = _pending(conn)
                conn.rollback()
                if not pending:
                    log.info("quality gate: no new batches")
                    return out
                from frisk.quality.context import build_data_docs, open_context

                ctx = open_context()
                log.info("quality gate: %d new batch(es), as-of %s", len(pending), day.isoformat())
                started, before = time.monotonic(), validations_run
                out = _gate(ctx, conn, pending, params, run_id)
                log.info("quality gate: %d batch(es) in %d GX validation(s), %.1f s", len(out),
                         validations_run - before, time.monotonic() - started)
                if build_docs:
                    build_data_docs(ctx)
        finally:
            lock_conn.execute(_UNLOCK)
    return out


def _table_order() -> list[str]:
    """Raw tables in the order of gates.yml (personnel before absence: an absence batch's employment_known
    check then sees which personnel batches of the same night were rejected)."""
    order: list[str] = []
    for tables in rules.gates_config()["sources"].values():
        order.extend(t for t in tables if t not in order)
    return order


def _gate(ctx: Any, conn: psycopg.Connection, pending: list[dict[str, Any]], params: rules.GateParameters,
          run_id: str | None) -> list[dict[str, Any]]:
    """Validate table by table, group by group; judge each batch once its last table is validated."""
    batches = {p["batch_id"]: _Batch(p) for p in pending}
    order = _table_order()
    for table in order:
        ids = [b for b, s in batches.items() if table in rules.source_tables(s.batch["source"])]
        if ids:
            for b, n in _row_counts(conn, table, ids).items():
                if n:
                    batches[b].rows[table] = n
    last: dict[int, str | None] = {
        b: max(s.rows, key=order.index) if s.rows else None for b, s in batches.items()}
    results: dict[int, dict[str, Any]] = {}
    for b in sorted(b for b, t in last.items() if t is None):  # no rows in any table: nothing to check
        results[b] = _judge(conn, batches[b], params, run_id)
    for table in order:
        suite = SUITES_BY_TABLE[table]
        with_rows = [batches[b] for b in sorted(batches) if table in batches[b].rows]
        sizes = {s.batch["batch_id"]: s.rows[table] for s in with_rows}
        by_id = {s.batch["batch_id"]: s for s in with_rows}
        for group in groups(list(sizes), sizes, GROUP_MAX_ROWS):
            _validate_group(ctx, conn, suite, [by_id[b] for b in group], params, run_id)
        for b in sorted(b for b, t in last.items() if t == table):
            results[b] = _judge(conn, batches[b], params, run_id)
    return [results[p["batch_id"]] for p in pending]


def _judge(conn: psycopg.Connection, b: _Batch, params: rules.GateParameters, run_id: str | None) -> dict[str, Any]:
    started = time.monotonic()
    batch = b.batch
    tables = [t for t in rules.source_tables(batch["source"]) if t in b.rows]
    rows: list[CheckRow] = []
    for table in tables:
        suite = SUITES_BY_TABLE[table]
        rows.extend(_row_count_check(conn, suite, b, params, r) if r.check_name.startswith(ROW_COUNT + "(") else r
                    for r in b.checks[table])
    critical = [r for r in rows if r.failed_critical]
    warnings = [r for r in rows if r.failed_warning]
    outcome = "rejected" if critical else ("warned" if warnings else "passed")
    where = b.where
    seconds = b.seconds + time.monotonic() - started
    with conn.transaction():
        write_checks(conn, rows, run_id, batch["batch_id"])
        conn.execute(
            """insert into audit.batch_gates (batch_id, run_id, outcome, critical_failed, warnings_failed, seconds)
               values (%s, %s, %s, %s, %s, %s)""",
            (batch["batch_id"], run_id, outcome, len(critical), len(warnings), round(seconds, 3)),
        )
        if critical:
            error = mask_personnummer(
                f"quality gate: {where}: " + "; ".join(r.message() for r in critical[:10])
                + (f"; and {len(critical) - 10} more" if len(critical) > 10 else ""))
            conn.execute(
                "update audit.batches set status = 'gate_rejected', error = %s "
                "where batch_id = %s and status = 'loaded'", (error, batch["batch_id"]))
    for r in critical:
        log.error("REJECTED %s: %s", where, r.message())
    for r in warnings:
        log.warning("warning %s: %s", where, r.message())
    log.info("gate %s: %s, %d checks on %s, %d critical failed, %d warnings, %.2f s", where, outcome, len(rows),
             ", ".join(tables) or "no rows", len(critical), len(warnings), seconds)
    return {
        "batch_id": batch["batch_id"], "source": batch["source"], "entity": batch["entity"],
        "file_name": batch["file_name"], "outcome": outcome, "tables": tables, "checks": len(rows),
        "critical_failed": [r.message() for r in critical], "warnings": [r.message() for r in warnings],
        "seconds": round(seconds, 3),
    }
