"""The fast ingest path: split-on-delimiter reading versus the csv module, COPY text escaping, the COPY statements
streamed from a worker thread (with quarantine overflow, a second table and a file rejected mid-stream, in one
statement or several), and the duplicate filter's false candidates."""

from __future__ import annotations

import datetime as dt
import random
import sys
import threading
import time
from pathlib import Path

import psycopg
import pytest

from frisk import loading
from frisk.identity import Pseudonymiser, luhn_ok
from frisk.loading import CopyRows, FileInfo, Quarantined, Row, load_file
from frisk.payroll import load_path, parse
from frisk.payroll.sniff import sniff

HEADER = "employer_org_number,personnummer,employment_id,absence_cause,from_date,to_date,extent_pct,hours"
EMPLOYER = "2120009903"


def _people(n: int, seed: int = 3) -> list[str]:
    """Valid (Luhn) personnummer made up at test time, 12 digits."""
    rng, out = random.Random(seed), set()
    while len(out) < n:
        born = dt.date(1950, 1, 1) + dt.timedelta(days=rng.randrange(365 * 50))
        core = f"{born:%y%m%d}{rng.randrange(1, 1000):03d}"
        check = next((str(c) for c in range(10) if luhn_ok(core + str(c))), None)
        if check:
            out.add(f"{born:%Y}{core[2:]}{check}")
    return sorted(out)


def _row(pnr: str, emp: str, day: int, extent: str = "100", cause: str = "SJK") -> str:
    start = dt.date(2024, 1, 1) + dt.timedelta(days=day)
    return f"{EMPLOYER},{pnr},{emp},{cause},{start},{start + dt.timedelta(days=3)},{extent},7.5"


def _mixed_file(path: Path, people: list[str]) -> Path:
    """Good rows, bad rows, blank lines, CRLF and CR line ends, then quoted fields (one with a delimiter, a tab and
    a backslash, one spanning two lines) and a bad row after them, so line numbers must survive the switch."""
    lines = [(HEADER, "\n"), (_row(people[0], "E1", 0), "\n"), (_row(people[1], "E2", 1), "\r\n"),
             (_row(people[2], "E9", 9), "\r"), ("   ", "\n"),  # line 4 ends with a lone CR; line 5 is blank
             (_row(people[2], "E3", 2, extent="150"), "\n"), (_row(people[0], "E1", 0), "\n")]
    lines += [(_row(people[i % len(people)], f"E{i}", i % 300), "\n") for i in range(10, 70)]  # lines 8-67
    lines += [("", "\n"), (_row(people[3], "E4", 5).replace(",E4,", ',"E\\9\t,1",'), "\n"),
              (_row(people[4], "E5", 6).replace(",E5,", ',"E\n5",'), "\n"),  # lines 70-71
              (_row(people[5], "E6", 7).replace("2024-01-08,", "2024-02-30,", 1), "\n"),
              (_row(people[6], "E7", 8), "\n"), (_row(people[0], "E1", 0), "\n")]
    path.write_bytes("".join(text + end for text, end in lines).encode())
    return path


def _parse_all(path: Path) -> tuple[list[str], list[tuple], int]:
    info = sniff(path)
    gen = parse.parse(path, info, Pseudonymiser(b"k"))
    texts, quarantined = [], []
    while True:
        try:
            item = next(gen)
        except StopIteration as stop:
            return texts, quarantined, stop.value
        if isinstance(item, CopyRows):
            texts += item.lines
        else:
            assert isinstance(item, Quarantined)
            quarantined.append((item.line_no, item.field, item.reason, item.record))


def test_split_reading_gives_what_the_csv_module_gives(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _mixed_file(tmp_path / "absence_2120009903_mixed.csv", _people(8))
    everything_csv = _parse_all(path)  # the quote is in the first block: the csv module reads the whole file
    monkeypatch.setattr(parse, "BLOCK_CHARS", 300)  # a few lines per block: split reading until the quotes
    split_then_csv = _parse_all(path)
    assert split_then_csv == everything_csv
    texts, quarantined, rows_read = split_then_csv
    assert rows_read == 70 and len(texts) == 68
    assert [(q[0], q[1]) for q in quarantined] == [(6, "extent_pct"), (72, "from_date")]
    # a record takes the number of the line it ends on: the quoted two-line record (70-71) is 71
    assert [t.split("\t", 1)[0] for t in texts[:3]] == ["2", "3", "4"]
    assert [t.split("\t", 1)[0] for t in texts[-4:]] == ["69", "71", "73", "74"]
    assert "E\\\\9\\t,1" in texts[-4] and "E\\n5" in texts[-3]  # COPY text escapes


def test_escaped_values_arrive_intact(warehouse: str, frisk_env: Path) -> None:
    people = _people(8)
    path = _mixed_file(frisk_env / "data" / "landing" / "payroll" / "absence_2120009903_mixed.csv", people)
    r = load_path(path)
    assert (r.status, r.rows_read, r.rows_loaded, r.rows_quarantined) == ("loaded", 70, 66, 4)
    with psycopg.connect(warehouse) as conn:
        ids = dict(conn.execute("select line_no, employment_id from raw.payroll_absence where line_no in (69, 71)"))
        reasons = dict(conn.execute("select line_no, reason from quarantine.rows where field is null"))
    assert ids == {69: "E\\9\t,1", 71: "E\n5"}
    assert reasons == {7: "duplicate of line 2 (every value is the same)",
                       74: "duplicate of line 2 (every value is the same)"}


def test_false_duplicate_candidates_never_quarantine_a_row(warehouse: str, frisk_env: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    # A filter far too small for the file: many rows are candidates, PostgreSQL confirms only the real ones.
    monkeypatch.setattr(parse, "BLOOM_BITS_PER_ROW", 1)
    monkeypatch.setattr(parse, "MAX_TRACKED_ROWS", 40_000)  # 2^16 bits
    people = _people(300)
    rows = [_row(people[i % 300], f"E{i % 300}", i // 300) for i in range(12_000)]
    rows.insert(9_000, rows[100])  # one real duplicate, far from its original
    path = frisk_env / "data" / "landing" / "payroll" / "absence_2120009903_big.csv"
    path.write_text(HEADER + "\n" + "\n".join(rows) + "\n")
    info = sniff(path)
    for _ in parse.parse(path, info, Pseudonymiser(b"k")):
        pass
    assert len(info.extra["duplicate_candidates"]) > 100 and info.extra["duplicates"] == "candidates"
    r = load_path(path)
    assert (r.rows_read, r.rows_loaded, r.rows_quarantined) == (12_001, 12_000, 1)
    with psycopg.connect(warehouse) as conn:
        assert conn.execute("select line_no, reason from quarantine.rows").fetchall() == [
            (9_002, "duplicate of line 102 (every value is the same)")]


COLUMNS = {"raw.payments": ("line_no", "invoice_number", "supplier_org_number", "paid_date", "amount"),
           "raw.payroll_absence": parse.COLUMNS["raw.payroll_absence"]}


def _mixed_items(path: Path, info: FileInfo):
    """Text blocks, single rows of the same and of a second table, and more quarantine rows than CHUNK_ROWS."""
    n = 0
    for _ in range(4):
        lines = []
        for _line in range(5):
            n += 1
            lines.append(f"{n}\tF-{n}\t5560360793\t2025-01-31\t{n}.50")
        yield CopyRows("raw.payments", lines)
        n += 1
        yield Row("raw.payments", (n, f"F-{n}", "5560360793", "2025-01-31", "1.00"))
        n += 1
        yield Quarantined(n, "belopp", f"bad amount on row {n}", {"fakturanummer": f"F-{n}"})
        n += 1
        yield Quarantined(n, "belopp", f"bad amount on row {n}", None)
        # a row of a second table while the first one streams: buffered, copied after
        yield Row("raw.payroll_absence", (n, "2120009903", "a" * 64, "E", "SJK", "sick_leave", True, "2024-01-01",
                                          None, "100", None))
    return n


def test_stream_with_quarantine_overflow_and_a_second_table(warehouse: str, frisk_env: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(loading, "CHUNK_ROWS", 3)  # quarantine flushes (closing the stream) several times
    path = frisk_env / "data" / "landing" / "payments" / "pay.csv"
    path.write_text("x\n")
    r = load_file(path, source="payments", columns=COLUMNS, primary_table="raw.payments",
                  sniff=lambda _: FileInfo(entity="payment"), parse=_mixed_items, conninfo=warehouse)
    assert (r.status, r.rows_read, r.rows_loaded, r.rows_quarantined) == ("loaded", 32, 24, 8)
    with psycopg.connect(warehouse) as conn:
        rows = conn.execute("select line_no, invoice_number, amount from raw.payments order by line_no").fetchall()
        lines = [x for (x,) in conn.execute("select line_no from quarantine.rows order by line_no")]
        absence = [x for (x,) in conn.execute("select line_no from raw.payroll_absence order by 1")]
    assert len(rows) == 24 and rows[0] == (1, "F-1", 1.5) and rows[5] == (6, "F-6", 1)
    assert lines == [7, 8, 15, 16, 23, 24, 31, 32] and absence == [8, 16, 24, 32]


def test_writer_outside_load_file_takes_text_blocks(warehouse: str) -> None:
    # frisk.statistics drives _Writer itself: CopyRows must work there too, in order with buffered rows
    with psycopg.connect(warehouse) as conn:
        batch = conn.execute("insert into audit.batches (source, entity, file_name, file_sha256, delivery_key) "
                             "values ('payments', 'payment', 'w', 'w', 'w') returning batch_id").fetchone()[0]
        writer = loading._Writer(conn, batch, {"raw.payments": COLUMNS["raw.payments"]}, "payments", "w", "p")
        writer.add(Row("raw.payments", (1, "A", "5560360793", "2025-01-31", "1.00")))
        writer.add(CopyRows("raw.payments", ["2\tB\\\\1\t5560360793\t2025-02-01\t2.50"]))
        writer.flush()
        assert writer.counts == {"raw.payments": 2}
        assert conn.execute("select line_no, invoice_number, amount from raw.payments order by 1").fetchall() == [
            (1, "A", 1), (2, "B\\1", 2.5)]


def _statements(rows: int, statement_rows: int) -> int:
    """COPY statements the pump runs for a file of `rows` valid rows: the parser's blocks grow from
    FIRST_BLOCK_ROWS to BLOCK_ROWS, and a statement ends before the next block once it holds statement_rows."""
    blocks, size = [], parse.FIRST_BLOCK_ROWS
    while rows > 0:
        blocks.append(min(size, rows))
        rows -= blocks[-1]
        size = min(2 * size, parse.BLOCK_ROWS)
    statements, in_statement = 0, statement_rows
    for block in blocks:
        if in_statement >= statement_rows:
            statements, in_statement = statements + 1, 0
        in_statement += block
    return statements


@pytest.mark.parametrize("statement_rows", [20_000, 700])  # one COPY statement, or one per block
def test_a_file_rejected_mid_stream_leaves_nothing(warehouse: str, frisk_env: Path, statement_rows: int,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(loading._CopyPump, "STATEMENT_ROWS", statement_rows)
    monkeypatch.setattr(loading._CopyPump, "DEPTH", 2)  # the parser waits on the pump: the cut comes mid-COPY
    statements: list[str] = []
    real_copy = psycopg.Cursor.copy

    def counted_copy(cur: psycopg.Cursor, statement: str, *args, **kwargs):
        statements.append(statement)
        return real_copy(cur, statement, *args, **kwargs)

    monkeypatch.setattr(psycopg.Cursor, "copy", counted_copy)
    people = _people(50)
    rows = [_row(people[i % 50], f"E{i % 50}", i // 50) for i in range(5_000)]  # several blocks already sent
    path = frisk_env / "data" / "landing" / "payroll" / "absence_2120009903_cut.csv"
    path.write_text(HEADER + "\n" + "\n".join(rows) + "\n" + rows[0][:25])  # cut off in transfer
    r = load_path(path)
    assert r.status == "rejected" and "truncated last line" in r.error and "line 5002" in r.error
    with psycopg.connect(warehouse) as conn:
        assert conn.execute("select count(*) from raw.payroll_absence").fetchone()[0] == 0
        assert conn.execute("select count(*) from quarantine.rows").fetchone()[0] == 0
        assert conn.execute("select status from audit.batches").fetchall() == [("rejected",)]
    # the same connection pool and server are fine afterwards: a good file loads
    good = path.with_name("absence_2120009903_ok.csv")
    good.write_text(HEADER + "\n" + "\n".join(rows) + "\n")
    statements.clear()
    assert load_path(good).rows_loaded == 5_000
    # a statement ends at the first block boundary past statement_rows (blocks grow from FIRST_BLOCK_ROWS)
    assert sum(st.startswith("COPY raw.payroll_absence") for st in statements) == _statements(5_000,
                                                                                              statement_rows)
    with psycopg.connect(warehouse) as conn:
        assert conn.execute("select count(distinct line_no), min(line_no), max(line_no) from raw.payroll_absence"
                            ).fetchone() == (5_000, 2, 5_001)


def test_the_switch_interval_is_short_while_rows_stream_and_set_back_after(warehouse: str, frisk_env: Path,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    # the pump thread needs the GIL back quickly after each socket wait (see loading._SwitchInterval); the
    # interval is global to the process, so a load that succeeds or fails must leave it as it found it
    seen: list[float] = []
    real_write = loading._CopyPump.write

    def write(self: loading._CopyPump, *args) -> None:
        seen.append(sys.getswitchinterval())
        real_write(self, *args)

    monkeypatch.setattr(loading._CopyPump, "write", write)
    before = sys.getswitchinterval()
    assert before > loading._SwitchInterval.INTERVAL
    people = _people(20)
    rows = [_row(people[i % 20], f"E{i % 20}", i // 20) for i in range(3_000)]
    folder = frisk_env / "data" / "landing" / "payroll"
    good = folder / "absence_2120009903_sw.csv"
    good.write_text(HEADER + "\n" + "\n".join(rows) + "\n")
    assert load_path(good).rows_loaded == 3_000
    assert seen and max(seen) <= loading._SwitchInterval.INTERVAL
    assert sys.getswitchinterval() == before
    cut = folder / "absence_2120009903_swcut.csv"
    cut.write_text(HEADER + "\n" + "\n".join(rows[:2_500]) + "\n" + rows[0][:25])
    seen.clear()
    assert load_path(cut).status == "rejected"
    assert seen and sys.getswitchinterval() == before


def _wait_gone(admin: psycopg.Connection, pid: int) -> None:
    for _ in range(200):
        if not admin.execute("select 1 from pg_stat_activity where pid = %s", (pid,)).fetchone():
            return
        time.sleep(0.02)
    raise AssertionError(f"backend {pid} still there")


def test_files_loaded_in_a_row_share_a_connection_that_a_failure_or_the_server_can_end(
        warehouse: str, frisk_env: Path) -> None:
    """The loader keeps its connection between files (loading._IdleConnections): the next file reuses it; a load
    that fails closes it, and one the server ended while idle is replaced, with no load lost."""
    loading.connections.close()
    people = _people(30)
    folder = frisk_env / "data" / "landing" / "payroll"

    def file(name: str, first: int, cut: bool = False) -> Path:
        rows = [_row(people[i % 30], f"E{i % 30}", first + i) for i in range(200)]
        path = folder / f"absence_{EMPLOYER}_{name}.csv"
        path.write_text(HEADER + "\n" + "\n".join(rows) + ("\n" + rows[0][:25] if cut else "\n"))
        return path

    try:
        assert load_path(file("a", 0)).status == "loaded"
        first = loading.connections.kept_backend_pid()
        assert first is not None
        assert load_path(file("b", 1000)).status == "loaded"
        assert loading.connections.kept_backend_pid() == first  # reused
        # a file rejected mid-stream: its connection is closed, the next file gets a new one
        assert load_path(file("cut", 2000, cut=True)).status == "rejected"
        assert loading.connections.kept_backend_pid() is None
        assert load_path(file("c", 3000)).status == "loaded"
        second = loading.connections.kept_backend_pid()
        assert second not in (None, first)
        # the server ends the idle connection (a restart, an administrator): the next load reconnects
        with psycopg.connect(warehouse, autocommit=True) as admin:
            admin.execute("select pg_terminate_backend(%s)", (second,))
            _wait_gone(admin, second)
        assert load_path(file("d", 4000)).status == "loaded"
        assert loading.connections.kept_backend_pid() not in (None, second)
        with psycopg.connect(warehouse) as conn:
            assert conn.execute("select status, count(*) from audit.batches group by 1 order by 1").fetchall() == [
                ("loaded", 4), ("rejected", 1)]
            assert conn.execute("select count(*) from raw.payroll_absence").fetchone()[0] == 800
    finally:
        loading.connections.close()


def test_each_thread_loads_on_its_own_connection(warehouse: str, frisk_env: Path) -> None:
    people = _people(10)
    folder = frisk_env / "data" / "landing" / "payroll"
    pids: dict[str, int | None] = {}
    both_loaded = threading.Barrier(2, timeout=60)

    def load(name: str, first_day: int) -> None:
        path = folder / f"absence_{EMPLOYER}_{name}.csv"
        path.write_text(HEADER + "\n" + "\n".join(_row(p, "E1", first_day + i) for i, p in enumerate(people))
                        + "\n")
        try:
            assert load_path(path).status == "loaded"
            pids[name] = loading.connections.kept_backend_pid()
        finally:
            both_loaded.wait()  # both connections are open at once here, so equal pids would be one connection
            loading.connections.close()

    threads = [threading.Thread(target=load, args=(n, d)) for n, d in (("t1", 0), ("t2", 100))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert None not in pids.values() and pids["t1"] != pids["t2"]
