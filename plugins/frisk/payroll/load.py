"""Load payroll files from landing/payroll into raw.payroll_absence / raw.payroll_personnel.

Each file: sniff (encoding, dialect, entity, employer) -> parse (validate, pseudonymise) -> frisk.loading.load_file
(COPY in one transaction, audit row, quarantine, skip when the same SHA-256 was loaded) -> duplicates check ->
archive/ or rejected/ with a `.error.txt`. `delivery_key` is the file name: a corrected file delivered under the
same name supersedes the earlier one in staging, while raw keeps both batches.
"""

from __future__ import annotations

import logging
from pathlib import Path

import psycopg

from frisk import landing
from frisk.identity import Pseudonymiser
from frisk.load_guard import WarehouseUnavailable as WarehouseUnavailable  # re-exported: part of this API
from frisk.load_guard import guarded
from frisk.load_guard import safe_url as safe_url  # re-exported for existing callers
from frisk.loading import FileInfo, FileRejected, LoadResult, load_file
from frisk.payroll.duplicates import quarantine_duplicates
from frisk.payroll.parse import COLUMNS, TABLES, parse
from frisk.payroll.sniff import sniff
from frisk.warehouse import server_url

log = logging.getLogger(__name__)

SOURCE = "payroll"
SUFFIXES = (".csv", ".txt")


def load_path(path: Path | str, run_id: str | None = None, conninfo: str | None = None,
              move: bool = True) -> LoadResult:
    """Load one payroll file. Never raises for bad input: the result's status is loaded, skipped or rejected.

    Raises `WarehouseUnavailable` when the warehouse cannot be used (the file stays in landing); a file another
    run moved away meanwhile is `skipped` (frisk.load_guard).
    """
    path = Path(path)
    return guarded(path, SOURCE, lambda: _load_existing(path, run_id, conninfo, move), conninfo=conninfo)


def _load_existing(path: Path, run_id: str | None, conninfo: str | None, move: bool) -> LoadResult:
    # The entity (hence the primary table) is known only after sniffing; sniff once and hand the result over.
    try:
        info = sniff(path)
    except FileRejected as exc:
        # Let load_file record the rejection (audit row, rejected/ folder, .error.txt) exactly as for other files.
        reason = exc

        def rejected(_: Path) -> FileInfo:
            raise reason

        return load_file(path, source=SOURCE, columns=COLUMNS, primary_table=TABLES["absence"], sniff=rejected,
                         parse=parse, run_id=run_id, conninfo=conninfo, move=move)
    table = TABLES[info.entity]
    pseudonymiser = Pseudonymiser()  # reads the key once per file

    def parse_file(p: Path, i: FileInfo):
        return parse(p, i, pseudonymiser)

    return load_file(
        path, source=SOURCE, columns={table: COLUMNS[table]}, primary_table=table, sniff=lambda _: info,
        parse=parse_file, run_id=run_id, conninfo=conninfo, move=move,
        after_copy=quarantine_duplicates(table, info, path.name),
    )


def pending() -> list[Path]:
    """Payroll files waiting in landing/payroll, oldest name first."""
    return landing.pending_files(SOURCE, SUFFIXES)


def load_pending(run_id: str | None = None) -> list[dict]:
    """Load every pending payroll file; one LoadResult.as_dict() per file, in name order."""
    results = []
    for path in pending():
        result = load_path(path, run_id=run_id)
        results.append(result.as_dict())
    log.info("payroll: %d files, %d rows loaded, %d quarantined, %d rejected", len(results),
             sum(r["rows_loaded"] for r in results), sum(r["rows_quarantined"] for r in results),
             sum(r["status"] == "rejected" for r in results))
    return results


def summarise_run(run_id: str, conninfo: str | None = None) -> dict:
    """Files, rows and quarantined rows of one run, from audit.batches (so failed mapped tasks count too)."""
    with psycopg.connect(conninfo or server_url("warehouse")) as conn:
        rows = conn.execute(
            """select status, count(*), coalesce(sum(rows_read), 0), coalesce(sum(rows_loaded), 0),
                      coalesce(sum(rows_quarantined), 0), array_agg(batch_id order by batch_id)
               from audit.batches where source = %s and run_id = %s group by status""",
            (SOURCE, run_id),
        ).fetchall()
    by_status = {r[0]: r for r in rows}
    loaded = by_status.get("loaded")
    return {
        "run_id": run_id,
        "files": sum(r[1] for r in rows),
        "files_loaded": loaded[1] if loaded else 0,
        "files_rejected": by_status["rejected"][1] if "rejected" in by_status else 0,
        "rows_read": int(sum(r[2] for r in rows)),
        "rows_loaded": int(sum(r[3] for r in rows)),
        "rows_quarantined": int(sum(r[4] for r in rows)),
        "loaded_batches": list(loaded[5]) if loaded else [],
    }
