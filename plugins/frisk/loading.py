"""Bulk loading of one delivered file into `raw`, in one transaction, with the audit trail and quarantine.

A parser turns a file into a stream of `Row`s (for raw tables) and `Quarantined` rows (validation failures), and
returns how many input rows it read. This module writes them with PostgreSQL COPY, inside one transaction that
also holds the `audit.batches` row: either the whole file is in, or nothing is. Files already
loaded (same source and SHA-256) are skipped; that check is a unique index, so two runs racing over the same file
load it once. Rows in = rows loaded + rows quarantined is verified before commit.

Speed: a worker thread (`_CopyPump`) streams the file's rows to PostgreSQL in COPY statements of about 2,000 rows, so
the server inserts rows and checks their foreign keys (on one core) while the parser reads the next ones (on the
other); neither waits for the other at a statement's end. Parsers on the hot path yield `CopyRows`, blocks of
rows already formatted as COPY text, which are written with one join per block instead of one `write_row` per
row. Quarantined rows and rows of a second table are buffered (bounded) and copied when the stream closes, since
a connection has only one COPY open at a time.
"""

from __future__ import annotations

import json
import logging
import queue
import select
import sys
import threading
import time
from collections.abc import Callable, Generator, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import psycopg.copy
from psycopg.pq import TransactionStatus

from frisk import landing
from frisk.identity import mask_personnummer
from frisk.warehouse import server_url

log = logging.getLogger(__name__)

CHUNK_ROWS = 20_000


class FileRejected(Exception):
    """The file as a whole cannot be read (encoding, delimiter, header, truncation, hostile XML...).

    The message must say what is wrong and where (line or element), and never hold a personnummer.
    """


@dataclass(slots=True)
class Row:
    table: str  # e.g. 'raw.payroll_absence'
    values: tuple


@dataclass(slots=True)
class CopyRows:
    """Rows of one table already in COPY text format, for parsers on the hot path (see module docstring).

    Each string is one row's columns after `batch_id`, in the order of the loader's `columns[table]`, in
    PostgreSQL's COPY text format: tab-separated, backslash escapes for backslash, tab, newline and carriage
    return, a backslash and N for null, no line end (see `copy_text` in frisk.payroll.parse).
    """

    table: str
    lines: list[str]


@dataclass(slots=True)
class Quarantined:
    line_no: int | None
    field: str | None
    reason: str
    record: dict | None = None  # the offending row with identity fields masked
    entity: str | None = None


@dataclass
class FileInfo:
    """What a parser learned from sniffing the file before loading it."""

    entity: str
    dialect: str | None = None
    delivery_key: str | None = None
    employer_org_number: str | None = None
    extra: dict = field(default_factory=dict)


# A parse function gets the path and the sniffed info, yields rows and returns the number of input rows read.
ParseFn = Callable[[Path, FileInfo], Generator[Row | CopyRows | Quarantined, None, int]]


@dataclass
class LoadResult:
    source: str
    file_name: str
    status: str  # loaded | skipped | rejected
    batch_id: int | None = None
    entity: str | None = None
    rows_read: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    seconds: float = 0.0
    error: str | None = None
    moved_to: str | None = None

    def as_dict(self) -> dict:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


class _Writer:
    """Buffers rows per table and quarantine rows, flushing each as a COPY of at most CHUNK_ROWS rows."""

    def __init__(self, conn: psycopg.Connection, batch_id: int, columns: dict[str, Sequence[str]],
                 source: str, file_name: str, entity: str) -> None:
        self.conn, self.batch_id, self.columns = conn, batch_id, columns
        self.source, self.file_name, self.entity = source, file_name, entity
        self.buffers: dict[str, list[tuple]] = {t: [] for t in columns}
        self.quarantine: list[tuple] = []
        self.counts: dict[str, int] = {t: 0 for t in columns}
        self.quarantined = 0
        # each table's COPY statement, built once (the stream starts one every ~2,000 rows)
        self.statements = {t: f"COPY {t} ({', '.join(['batch_id', *cols])}) FROM STDIN" for t, cols in columns.items()}

    def add(self, item: Row | CopyRows | Quarantined) -> None:
        if item.__class__ is CopyRows:
            self._copy_text(item)
        elif isinstance(item, Row):
            buf = self.buffers[item.table]
            buf.append((self.batch_id, *item.values))
            if len(buf) >= CHUNK_ROWS:
                self._flush_table(item.table)
        else:
            record = json.loads(mask_personnummer(json.dumps(item.record, ensure_ascii=False, default=str))) \
                if item.record is not None else None
            self.quarantine.append((
                self.batch_id, self.source, item.entity or self.entity, self.file_name, item.line_no,
                item.field, mask_personnummer(item.reason), json.dumps(record, ensure_ascii=False) if record else None,
            ))
            self.quarantined += 1
            if len(self.quarantine) >= CHUNK_ROWS:
                self._flush_quarantine()

    def _flush_table(self, table: str) -> None:
        rows = self.buffers[table]
        if not rows:
            return
        with self.conn.cursor() as cur, cur.copy(self.statements[table]) as copy:
            for r in rows:
                copy.write_row(r)
        self.counts[table] += len(rows)
        rows.clear()

    def _copy_text(self, block: CopyRows) -> None:
        if not block.lines:
            return
        self._flush_table(block.table)  # keeps the rows of a table in arrival order
        prefix = f"{self.batch_id}\t"
        with self.conn.cursor() as cur, cur.copy(self.statements[block.table]) as copy:
            copy.write(prefix + ("\n" + prefix).join(block.lines) + "\n")
        self.counts[block.table] += len(block.lines)

    def _flush_quarantine(self) -> None:
        if not self.quarantine:
            return
        with self.conn.cursor() as cur, cur.copy(
            "COPY quarantine.rows (batch_id, source, entity, file_name, line_no, field, reason, record) FROM STDIN"
        ) as copy:
            for r in self.quarantine:
                copy.write_row(r)
        self.quarantine.clear()

    def flush(self) -> None:
        for t in self.columns:
            self._flush_table(t)
        self._flush_quarantine()


class _CopyPump:
    """Runs a file's COPY statements from a worker thread, fed COPY text through a short queue.

    The foreign key from every raw table to audit.batches is checked by an AFTER trigger per row, and PostgreSQL
    runs those triggers when the COPY statement ends. With one COPY per file the server did that work only after
    the parser had finished (about a third of a payroll load at 50,000 employees, measured: the server idled at
    35 % of a core during the parse, then ran alone). So a statement ends at the first block boundary past
    STATEMENT_ROWS rows, and the thread ends one statement (the server checks its keys) while the parser fills
    the queue for the next. The queue holds DEPTH blocks, so memory stays bounded when the server is the slower
    side: the parser then waits at `write`. The caller must not use the connection until `close()` or `abort()`
    returned.
    """

    DEPTH = 32
    STATEMENT_ROWS = 1500
    _END = object()  # ends the current COPY statement

    def __init__(self, conn: psycopg.Connection) -> None:
        self._queue: queue.Queue = queue.Queue(maxsize=self.DEPTH)
        self._error: BaseException | None = None
        self._statement: str | None = None  # the COPY statement the thread is in
        self._rows = 0  # rows sent in that statement
        self._thread = threading.Thread(target=self._work, args=(conn,), name="frisk-copy-pump", daemon=True)
        _short_switch_interval.enter()
        self._switching = True
        self._thread.start()

    def _work(self, conn: psycopg.Connection) -> None:
        try:
            with conn.cursor() as cur:
                while (statement := self._queue.get()) is not None:
                    with cur.copy(statement) as copy:
                        while (data := self._queue.get()) is not self._END:
                            if data is None:  # aborted: leave the COPY with a fixed message (no row data)
                                raise _LoadAborted("load aborted")
                            copy.write(data)
        except BaseException as exc:  # handed to the parser's thread at its next write or at close
            self._error = exc
            # take whatever the parser still sends until it closes: write() must never block on a dead thread
            while self._queue.get() is not None:
                pass

    def write(self, statement: str, text: str, rows: int) -> None:
        if self._error is not None:
            raise self._error
        if statement != self._statement or self._rows >= self.STATEMENT_ROWS:
            if self._statement is not None:
                self._queue.put(self._END)
            self._queue.put(statement)
            self._statement, self._rows = statement, 0
        self._queue.put(text.encode())
        self._rows += rows

    def close(self) -> None:
        """End the last statement and wait for the server to finish it; raises what the thread met."""
        if self._statement is not None:
            self._queue.put(self._END)
        self._queue.put(None)
        self._thread.join()
        self._release()
        if self._error is not None:
            raise self._error

    def abort(self) -> None:
        """Stop: an open COPY ends with an error, so that the connection can roll back. Never raises."""
        self._queue.put(None)  # inside a COPY: the thread aborts it; between statements: it stops
        self._queue.put(None)  # ends the drain either way
        self._thread.join()
        self._release()

    def _release(self) -> None:
        if self._switching:
            self._switching = False
            _short_switch_interval.leave()


class _SwitchInterval:
    """Shortens the interpreter's thread switch interval while a `_CopyPump` runs (nested uses share it).

    The parser holds the GIL almost all the time, and the pump thread needs it back after each wait on the
    socket: with Python's default interval (5 ms) it got it only at the next forced switch, and the server idled
    waiting for rows (at 50,000 employees: 4.9 s per load at 5 ms, 4.0 s at 0.2 ms, the Python and server CPU
    time the same; 0.1 ms and 0.05 ms were no faster). The interval is global to the process, so it is set back
    when the last pump ends.
    """

    INTERVAL = 0.0002

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._users = 0
        self._saved = sys.getswitchinterval()

    def enter(self) -> None:
        with self._lock:
            if self._users == 0:
                self._saved = sys.getswitchinterval()
                sys.setswitchinterval(min(self._saved, self.INTERVAL))
            self._users += 1

    def leave(self) -> None:
        with self._lock:
            self._users -= 1
            if self._users == 0:
                sys.setswitchinterval(self._saved)


_short_switch_interval = _SwitchInterval()


class _LoadAborted(Exception):
    """Sent to the server to end an open COPY when the load fails; fixed text, so no row data reaches its log."""


class _StreamWriter(_Writer):
    """A `_Writer` that streams rows across `add` calls (used by `load_file`).

    `CopyRows` blocks go to a `_CopyPump` (COPY statements from a worker thread); single `Row`s go to one COPY
    kept open in this thread while they are for its table, and a `Row` for another table is buffered. Buffered
    rows and quarantine rows are copied when a buffer is full (closing the stream first; it reopens on the next
    row) and at `flush()`. Call `abort()` when the load fails while the stream may be open.
    """

    def __init__(self, conn: psycopg.Connection, batch_id: int, columns: dict[str, Sequence[str]],
                 source: str, file_name: str, entity: str) -> None:
        super().__init__(conn, batch_id, columns, source, file_name, entity)
        self._stack: ExitStack | None = None
        self._copy: psycopg.Copy | None = None
        self._table: str | None = None  # the table of the open COPY of single rows
        self._pump: _CopyPump | None = None  # the COPY statements of CopyRows blocks
        self._prefix = f"{batch_id}\t"
        self._separator = "\n" + self._prefix

    def _open(self, table: str) -> psycopg.Copy:
        if self._table != table or self._pump is not None:
            self._close()
            stack = ExitStack()
            cur = stack.enter_context(self.conn.cursor())
            self._copy = stack.enter_context(cur.copy(self.statements[table]))
            self._stack, self._table = stack, table
        return self._copy

    def _close(self) -> None:
        if self._pump is not None:
            pump, self._pump = self._pump, None
            pump.close()  # ends the last statement and waits for the server to finish it
        if self._stack is not None:
            stack, self._stack, self._copy, self._table = self._stack, None, None, None
            stack.close()  # ends the COPY and waits for the server to finish it

    def add(self, item: Row | CopyRows | Quarantined) -> None:
        cls = item.__class__
        if cls is CopyRows:
            if item.lines:
                if self._stack is not None:
                    self._close()
                if self._pump is None:
                    self._pump = _CopyPump(self.conn)
                # batch_id is the same on every row: put it in front of each line with one join per block
                self._pump.write(self.statements[item.table],
                                 self._prefix + self._separator.join(item.lines) + "\n", len(item.lines))
                self.counts[item.table] += len(item.lines)
        elif cls is Row and self._pump is None and (self._table is None or self._table == item.table):
            self._open(item.table).write_row((self.batch_id, *item.values))
            self.counts[item.table] += 1
        else:  # quarantine, or a row of a second table: buffered by _Writer
            super().add(item)

    def _flush_table(self, table: str) -> None:
        if self.buffers[table]:
            self._close()  # one COPY at a time per connection
        super()._flush_table(table)

    def _flush_quarantine(self) -> None:
        if self.quarantine:
            self._close()
        super()._flush_quarantine()

    def flush(self) -> None:
        self._close()
        super().flush()

    def abort(self) -> None:
        """End an open COPY with an error so that the connection can roll back. Never raises."""
        if self._pump is not None:
            pump, self._pump = self._pump, None
            pump.abort()
        if self._stack is not None:
            stack, self._stack, self._copy, self._table = self._stack, None, None, None
            try:
                stack.__exit__(_LoadAborted, _LoadAborted("load aborted"), None)
            except Exception:  # the rollback that follows is what matters
                log.debug("ending the aborted COPY failed", exc_info=True)


class _IdleConnections:
    """The loader's warehouse connection, kept open between the files one thread loads.

    A new connection per file costs the backend's start, authentication and its cold catalogue caches
    (audit.batches, the raw table, the foreign key's check query): about 4 ms a file on a quiet 2-core machine at
    5,000 employees x 5 years, of a 13,000-row file's 70 ms, and more when the machine is busy. `load_pending`,
    `frisk run` and any loop over `load_path` load many files in one process, so the next file reuses the
    connection. (An Airflow task loads one file and pays the connection, as before.) A connection is kept only
    after its load ended normally with the transaction committed (or rolled back) and the connection healthy;
    an exception closes it, so a COPY or a transaction left open by a failure can never carry over. Before
    reuse it is checked without a round trip: a connection the server closed meanwhile (a restart,
    `pg_terminate_backend`, a dropped database) has something to read on its socket, or psycopg marked it
    closed, and a new one replaces it. At most one per thread: never shared.
    """

    def __init__(self) -> None:
        self._local = threading.local()

    @contextmanager
    def connect(self, conninfo: str) -> Iterator[psycopg.Connection]:
        kept: tuple[str, psycopg.Connection] | None = getattr(self._local, "kept", None)
        self._local.kept = None
        conn = None
        if kept is not None:
            if kept[0] == conninfo and _still_usable(kept[1]):
                conn = kept[1]
            else:  # another warehouse, or gone: one idle connection per thread at most
                kept[1].close()
        if conn is None:
            conn = psycopg.connect(conninfo)
        try:
            yield conn
            conn.commit()  # what `with psycopg.connect(...)` does on a normal exit (nothing when idle)
        except BaseException:
            conn.close()  # the server rolls back whatever was open
            raise
        if conn.broken or conn.info.transaction_status != TransactionStatus.IDLE:
            conn.close()
        else:
            self._local.kept = (conninfo, conn)

    def close(self) -> None:
        """Close this thread's idle connection, if any."""
        kept, self._local.kept = getattr(self._local, "kept", None), None
        if kept is not None:
            kept[1].close()

    def kept_backend_pid(self) -> int | None:
        """The server process of this thread's idle connection (None when there is none), for tests."""
        kept = getattr(self._local, "kept", None)
        return kept[1].info.backend_pid if kept is not None else None


def _still_usable(conn: psycopg.Connection) -> bool:
    # An idle connection has nothing to read: data on its socket is the server's farewell (or EOF).
    if conn.closed or conn.broken:
        return False
    try:
        readable, _, _ = select.select([conn.fileno()], [], [], 0)
    except (OSError, ValueError):
        return False
    return not readable


connections = _IdleConnections()


def finish_batch(conn: psycopg.Connection, result: LoadResult, name: str, started: float) -> None:
    """Check rows in = loaded + quarantined and mark the batch loaded, in the caller's (uncommitted) transaction.

    A mismatch is a bug in a parser, never bad input: it raises, and the whole batch rolls back.
    """
    if result.rows_read != result.rows_loaded + result.rows_quarantined:
        raise RuntimeError(
            f"{name}: rows read {result.rows_read} != loaded {result.rows_loaded} "
            f"+ quarantined {result.rows_quarantined}; nothing was loaded"
        )
    result.seconds = time.monotonic() - started
    conn.execute(
        """update audit.batches set status = 'loaded', rows_read = %s, rows_loaded = %s,
                  rows_quarantined = %s, finished_at = now(), seconds = %s where batch_id = %s""",
        (result.rows_read, result.rows_loaded, result.rows_quarantined, result.seconds, result.batch_id),
    )

def load_file(
    path: Path,
    *,
    source: str,
    columns: dict[str, Sequence[str]],
    primary_table: str,
    sniff: Callable[[Path], FileInfo],
    parse: ParseFn,
    run_id: str | None = None,
    conninfo: str | None = None,
    move: bool = True,
    after_copy: Callable[[psycopg.Connection, int], int] | None = None,
) -> LoadResult:
    """Load one file. Never raises for bad input: the result says loaded, skipped or rejected (and why).

    `primary_table` holds one row per input row: rows_read must equal its rows plus the quarantined rows.
    `after_copy(conn, batch_id)` runs in the same transaction after the last COPY, for checks that need the whole
    file (e.g. duplicate rows); it returns how many primary-table rows it moved to quarantine.rows.
    """
    started = time.monotonic()
    result = LoadResult(source=source, file_name=path.name, status="loaded")
    sha = landing.sha256_file(path)
    conninfo = conninfo or server_url("warehouse")
    try:
        info = sniff(path)
        result.entity = info.entity
        with connections.connect(conninfo) as conn:
            batch_id = conn.execute(
                """insert into audit.batches (source, entity, file_name, file_sha256, delivery_key,
                                              employer_org_number, dialect, run_id)
                   values (%s, %s, %s, %s, %s, %s, %s, %s)
                   on conflict (source, file_sha256) where status in ('loading', 'loaded', 'gate_rejected')
                   do nothing returning batch_id""",
                (source, info.entity, path.name, sha, info.delivery_key or path.name,
                 info.employer_org_number, info.dialect, run_id),
            ).fetchone()
            if batch_id is None:
                conn.rollback()
                result.status = "skipped"
                log.info("%s: already loaded (same SHA-256), skipped", path.name)
            else:
                result.batch_id = batch_id[0]
                writer = _StreamWriter(conn, result.batch_id, columns, source, path.name, info.entity)
                gen = parse(path, info)
                add = writer.add
                try:
                    while True:
                        try:
                            add(next(gen))
                        except StopIteration as stop:
                            result.rows_read = int(stop.value or 0)
                            break
                    writer.flush()
                except BaseException:
                    writer.abort()
                    raise
                moved = after_copy(conn, result.batch_id) if after_copy else 0
                result.rows_loaded = writer.counts[primary_table] - moved
                result.rows_quarantined = writer.quarantined + moved
                finish_batch(conn, result, path.name, started)
                conn.commit()
                log.info("%s: batch %s, %s rows read, %s loaded, %s quarantined, %.2f s", path.name,
                         result.batch_id, result.rows_read, result.rows_loaded, result.rows_quarantined,
                         result.seconds)
    except FileRejected as exc:
        result.status, result.error = "rejected", mask_personnummer(str(exc))
        result.batch_id, result.rows_loaded, result.rows_quarantined = None, 0, 0
        _record_rejection(conninfo, source, result, path, sha, run_id)
        log.error("%s: rejected: %s", path.name, result.error)
        if move:
            moved = landing.reject(path, source, result.error)
            result.moved_to = str(moved) if moved else None
        result.seconds = time.monotonic() - started
        return result
    if move:
        moved = landing.archive(path, source)
        result.moved_to = str(moved) if moved else None
    result.seconds = time.monotonic() - started
    return result


def _record_rejection(conninfo: str, source: str, result: LoadResult, path: Path, sha: str,
                      run_id: str | None) -> None:
    with psycopg.connect(conninfo) as conn:
        row = conn.execute(
            """insert into audit.batches (source, entity, file_name, file_sha256, delivery_key, status,
                                          error, finished_at, run_id)
               values (%s, %s, %s, %s, %s, 'rejected', %s, now(), %s) returning batch_id""",
            (source, result.entity, path.name, sha, path.name, result.error, run_id),
        ).fetchone()
        result.batch_id = row[0] if row else None
