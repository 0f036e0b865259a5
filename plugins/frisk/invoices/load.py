"""Loading the invoice sources: each file through frisk.loading.load_file (one transaction, once per SHA-256).

- `landing/invoices/*.xml`: a PEPPOL Invoice or CreditNote. Parsed and its arithmetic checked first; a bad
  file is rejected (rejected/ + .error.txt). A document is identified by type, supplier and number: a copy
  with the same content (a re-send, even with other bytes) loads nothing and is reported as a duplicate; a
  *different* document under a number already loaded is not loaded either, and every line of it is quarantined
  with the reason. A session advisory lock per document key makes "loaded once" hold across parallel mapped
  tasks.
- `landing/invoices/*.spec.csv`: per-employee specifications (specification.py).
- `landing/payments/*.csv`: accounts-payable payments (payments.py).
After loading, reconcile.py recomputes which specification rows and payments do not match their invoices.
`load_path` runs each file inside frisk.load_guard: a file another run moved away is skipped, and an unreachable
warehouse raises `WarehouseUnavailable` (file, address without password, reason; the file stays in landing).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Generator
from pathlib import Path

import psycopg

from frisk import landing
from frisk.identity import Pseudonymiser
from frisk.invoices import arithmetic, documents, payments, specification, ubl
from frisk.load_guard import guarded
from frisk.loading import FileInfo, FileRejected, Quarantined, Row, load_file
from frisk.warehouse import server_url

log = logging.getLogger(__name__)

INVOICE_SOURCE, PAYMENT_SOURCE = "invoices", "payments"
DIALECT = "peppol_bis3_ubl21"


def _raiser(exc: FileRejected) -> Callable[[Path], FileInfo]:
    def sniff(path: Path) -> FileInfo:
        raise exc

    return sniff


def _existing(conn: psycopg.Connection, prep: documents.Prepared) -> list[tuple[int, str, str]]:
    """Earlier loads of the same document key: (batch_id, content hash, batch status)."""
    return conn.execute(
        """select d.batch_id, d.document_sha256, b.status
             from raw.invoice_documents d join audit.batches b using (batch_id)
            where d.document_type = %s and d.supplier_org_number = %s and d.invoice_number = %s
              and b.status in ('loaded', 'gate_rejected')
            order by d.batch_id""",
        (prep.doc.document_type, prep.doc.supplier.org_number, prep.doc.invoice_number),
    ).fetchall()


def load_invoice(
    path: Path,
    run_id: str | None = None,
    conninfo: str | None = None,
    move: bool = True,
    pseudonymiser: Pseudonymiser | None = None,
) -> dict:
    """Load one UBL file. Returns the LoadResult as a dict plus `kind`, `outcome` and the document's identity.

    `outcome`: loaded | duplicate (same content as an earlier load: nothing loaded) | conflict (a different
    document under a number already loaded: quarantined) | skipped (same bytes) | rejected.
    """
    conninfo = conninfo or server_url("warehouse")
    common = dict(
        source=INVOICE_SOURCE,
        columns=documents.COLUMNS,
        primary_table=documents.LINES,
        run_id=run_id,
        conninfo=conninfo,
        move=move,
    )
    started = time.monotonic()
    try:
        doc = ubl.parse_document(path)
        arithmetic.check(doc)
        prep = documents.prepare(doc, pseudonymiser or Pseudonymiser())
    except FileRejected as exc:
        result = load_file(path, sniff=_raiser(exc), parse=_no_rows, **common).as_dict()
        return {**result, "kind": "invoice", "outcome": "rejected"}

    with psycopg.connect(conninfo, autocommit=True) as lock_conn:
        # Held until this file's transaction has committed, so two files with one invoice cannot both load it.
        lock_conn.execute("select pg_advisory_lock(hashtext('frisk.invoice'), hashtext(%s))", (prep.key,))
        try:
            earlier = _existing(lock_conn, prep)
            same = next((b for b, sha, _ in earlier if sha == prep.content_sha256), None)
            other = next((b for b, sha, st in earlier if sha != prep.content_sha256 and st == "loaded"), None)
            if same is not None:
                outcome, entity, parse = "duplicate", "invoice_duplicate", _no_rows
            elif other is not None:
                outcome, entity, parse = "conflict", "invoice_conflict", _conflict(prep, other)
            else:
                outcome, entity, parse = "loaded", "invoice", _rows(prep)
            # Duplicates and conflicts get their own entity and delivery key: staging's "latest delivery per
            # key wins" must never let an empty or refused batch hide the invoice that was loaded.
            info = FileInfo(
                entity=entity,
                dialect=DIALECT,
                delivery_key=prep.key if outcome == "loaded" else path.name,
                employer_org_number=doc.buyer.org_number if doc.buyer.org_number_valid else None,
            )
            result = load_file(path, sniff=lambda _p: info, parse=parse, **common).as_dict()
        finally:
            lock_conn.execute(
                "select pg_advisory_unlock(hashtext('frisk.invoice'), hashtext(%s))", (prep.key,)
            )
    if result["status"] == "skipped":
        outcome = "skipped"
    if outcome == "duplicate":
        log.info(
            "%s: %s %s from %s has the same content as batch %s: nothing loaded",
            path.name,
            doc.document_type,
            doc.invoice_number,
            doc.supplier.org_number,
            same,
        )
    elif outcome == "conflict":
        log.warning(
            "%s: %s %s from %s differs from the one loaded in batch %s: quarantined",
            path.name,
            doc.document_type,
            doc.invoice_number,
            doc.supplier.org_number,
            other,
        )
    return {
        **result,
        "kind": "invoice",
        "outcome": outcome,
        "document_type": doc.document_type,
        "invoice_number": doc.invoice_number,
        "supplier_org_number": doc.supplier.org_number,
        "payable_amount": str(doc.payable_amount),
        "duplicate_of": same if outcome == "duplicate" else None,
        "conflicts_with": other if outcome == "conflict" else None,
        "seconds_total": round(time.monotonic() - started, 3),
    }


def _no_rows(path: Path, info: FileInfo) -> Generator[Row | Quarantined, None, int]:
    return 0
    yield  # a generator that yields nothing


def _rows(prep: documents.Prepared):
    def parse(path: Path, info: FileInfo) -> Generator[Row | Quarantined, None, int]:
        yield from prep.rows
        yield from prep.quarantined
        return len(prep.doc.lines)

    return parse


def _conflict(prep: documents.Prepared, other_batch: int):
    doc = prep.doc

    def parse(path: Path, info: FileInfo) -> Generator[Row | Quarantined, None, int]:
        kind = "credit note" if doc.document_type == "credit_note" else "invoice"
        for ln in doc.lines:
            yield Quarantined(
                ln.sourceline,
                "cbc:ID",
                f"{kind} {doc.invoice_number} from the same supplier was already loaded "
                f"(batch {other_batch}) with different content; this document is not loaded. A supplier "
                "corrects an invoice with a credit note; ask the supplier which document is valid.",
                {
                    "invoice_number": doc.invoice_number,
                    "line_id": ln.line_id,
                    "net_amount": str(ln.net_amount),
                    "payable_amount": str(doc.payable_amount),
                    "conflicts_with_batch": other_batch,
                },
                entity="invoice_conflict",
            )
        return len(doc.lines)

    return parse


def _load_delimited(path: Path, module, source: str, kind: str, run_id: str | None, conninfo: str | None,
                    move: bool) -> dict:
    """A semicolon file (specification or payment export): one module supplies its columns, sniff and parse."""
    result = load_file(path, source=source, columns=module.COLUMNS, primary_table=module.TABLE, sniff=module.sniff,
                       parse=module.parse, run_id=run_id, conninfo=conninfo, move=move).as_dict()
    return {**result, "kind": kind, "outcome": result["status"]}


def load_specification(
    path: Path, run_id: str | None = None, conninfo: str | None = None, move: bool = True
) -> dict:
    return _load_delimited(path, specification, INVOICE_SOURCE, "specification", run_id, conninfo, move)


def load_payments(
    path: Path, run_id: str | None = None, conninfo: str | None = None, move: bool = True
) -> dict:
    return _load_delimited(path, payments, PAYMENT_SOURCE, "payment", run_id, conninfo, move)


def pending() -> list[dict]:
    """Files waiting, as {"source", "kind", "path"}: invoices first, then specifications, then payments."""
    inv = landing.pending_files(INVOICE_SOURCE, (".xml", specification.SUFFIX))
    out = [
        {"source": INVOICE_SOURCE, "kind": "invoice", "path": str(p)}
        for p in inv
        if p.name.lower().endswith(".xml")
    ]
    out += [
        {"source": INVOICE_SOURCE, "kind": "specification", "path": str(p)}
        for p in inv
        if p.name.lower().endswith(specification.SUFFIX)
    ]
    out += [
        {"source": PAYMENT_SOURCE, "kind": "payment", "path": str(p)}
        for p in landing.pending_files(PAYMENT_SOURCE, (".csv",))
    ]
    return out


def load_path(path: str | Path, kind: str, run_id: str | None = None, conninfo: str | None = None) -> dict:
    """Load one pending file of `kind` (invoice | specification | payment).

    Never raises for bad input. Raises `frisk.load_guard.WarehouseUnavailable` when the warehouse cannot be used
    (the file stays in landing); a file that another run (or an earlier try of this task) moved away is skipped
    with outcome `missing`.
    """
    path = Path(path)
    source = PAYMENT_SOURCE if kind == "payment" else INVOICE_SOURCE

    def missing(reason: str) -> dict:
        return {"source": source, "file_name": path.name, "status": "skipped", "batch_id": None,
                "entity": None, "rows_read": 0, "rows_loaded": 0, "rows_quarantined": 0, "seconds": 0.0,
                "error": reason, "moved_to": None, "kind": kind, "outcome": "missing"}

    loaders = {"invoice": load_invoice, "specification": load_specification, "payment": load_payments}
    load = loaders[kind]
    return guarded(path, source, lambda: load(path, run_id=run_id, conninfo=conninfo), conninfo=conninfo,
                   skipped=missing)


def load_pending(run_id: str | None = None) -> list[dict]:
    """Load every waiting invoice, specification and payment file, then reconcile. One dict per file."""
    from frisk.invoices.reconcile import reconcile

    started = time.monotonic()
    files = pending()
    results = []
    for i, item in enumerate(files, start=1):
        results.append(load_path(item["path"], item["kind"], run_id=run_id))
        log.info("invoice sources: %d/%d files, %.1f s", i, len(files), time.monotonic() - started)
    reconcile(run_id=run_id)
    return results
