"""The batch gate: run the raw checkpoints on every loaded batch not yet gated, and reject the bad ones.

A critical failure marks the batch `gate_rejected` in audit.batches (staging reads only `loaded` batches, so it
never reaches the marts; its rows stay in raw for inspection). Warnings are logged and recorded but do not block.
Every result goes to audit.checks; the verdict per batch to audit.batch_gates, so a batch is gated once.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import psycopg

from frisk.quality import rules
from frisk.quality.frames import flag_personnummer, read_frame
from frisk.quality.results import CheckRow, mask_personnummer, rows_from_checkpoint, write_checks
from frisk.quality.suites import SUITES_BY_TABLE, RawSuite
from frisk.warehouse import server_url

log = logging.getLogger(__name__)

_LOCK = "select pg_advisory_lock(hashtext('frisk.quality.gate'))"
_UNLOCK = "select pg_advisory_unlock(hashtext('frisk.quality.gate'))"


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


def batch_frame(conn: psycopg.Connection, suite: RawSuite, batch_id: int) -> Any:
    extra = f", {suite.extra_select}" if suite.extra_select else ""
    cols = ", ".join(f"t.{c}" for c in suite.columns)
    df = read_frame(conn, f"select {cols}{extra} from raw.{suite.table} t where t.batch_id = %s "
                          f"order by {'t.line_no' if 'line_no' in suite.columns else 1}", (batch_id,))
    return flag_personnummer(df, suite.scan_text)


def _gate_one(ctx: Any, conn: psycopg.Connection, batch: dict[str, Any], params: rules.GateParameters,
              run_id: str | None) -> tuple[list[CheckRow], list[str]]:
    from great_expectations.core.run_identifier import RunIdentifier

    rows: list[CheckRow] = []
    tables: list[str] = []
    for table in rules.source_tables(batch["source"]):
        suite = SUITES_BY_TABLE[table]
        df = batch_frame(conn, suite, batch["batch_id"])
        if df.empty:
            continue
        tables.append(table)
        expectation_params = params.for_batch(_previous_rows(conn, table, batch))
        checkpoint = ctx.checkpoints.get(suite.name)
        result = checkpoint.run(
            batch_parameters={"dataframe": df},
            expectation_parameters=expectation_params,
            run_id=RunIdentifier(run_name=f"{run_id or 'gate'}-batch-{batch['batch_id']}"),
        )
        rows.extend(rows_from_checkpoint(result, suite.name))
    return rows, tables


def gate_new_batches(run_id: str | None = None, *, conninfo: str | None = None,
                     as_of: str | None = None, build_docs: bool = True) -> list[dict[str, Any]]:
    """Gate every loaded, not yet gated batch. Returns one dict per batch:

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
                for batch in pending:
                    out.append(_judge(ctx, conn, batch, params, run_id))
                if build_docs:
                    build_data_docs(ctx)
        finally:
            lock_conn.execute(_UNLOCK)
    return out


def _judge(ctx: Any, conn: psycopg.Connection, batch: dict[str, Any], params: rules.GateParameters,
           run_id: str | None) -> dict[str, Any]:
    started = time.monotonic()
    rows, tables = _gate_one(ctx, conn, batch, params, run_id)
    critical = [r for r in rows if r.failed_critical]
    warnings = [r for r in rows if r.failed_warning]
    outcome = "rejected" if critical else ("warned" if warnings else "passed")
    seconds = time.monotonic() - started
    where = f"{batch['file_name']} (batch {batch['batch_id']})"
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
