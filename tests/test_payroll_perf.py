"""Payroll ingest at volume: bounded memory whatever the file size, and speed against PostgreSQL's own COPY."""

from __future__ import annotations

import datetime as dt
import io
import random
import time
import tracemalloc
from pathlib import Path

import psycopg
import pytest

from frisk.identity import Pseudonymiser, luhn_ok
from frisk.payroll import load_path, parse, values
from frisk.payroll.sniff import sniff

HEADER = "Personnummer;Anst.nr;Frånvaroorsak;Datum from;Datum tom;Omfattning;Timmar\r\n"


def _personnummer(rng: random.Random) -> str:
    """A valid (Luhn) personnummer, made up at test time."""
    while True:
        born = dt.date(1950, 1, 1) + dt.timedelta(days=rng.randrange(365 * 50))
        core = f"{born:%y%m%d}{rng.randrange(1, 1000):03d}"
        check = next((str(c) for c in range(10) if luhn_ok(core + str(c))), None)
        if check:
            return f"{born:%Y%m%d}-{core[6:]}{check}"


def write_absence_file(path: Path, rows: int, persons: int, seed: int = 7) -> Path:
    """A Swedish-dialect absence export (Windows-1252, CRLF), every row valid and distinct."""
    rng = random.Random(seed)
    people = [_personnummer(rng) for _ in range(persons)]
    causes = ["Sjuk"] * 6 + ["VAB", "Semester", "Föräldraledig", "Övrigt"]
    extents = ["1,000", "0,500", "0,250", "100", "50", "75,0"]
    base = dt.date(2020, 1, 1)
    with path.open("w", encoding="cp1252", newline="") as f:
        f.write(HEADER)
        for i in range(rows):
            p = rng.randrange(persons)
            start = base + dt.timedelta(days=i % 1500)
            end = "TV" if i % 50 == 0 else (start + dt.timedelta(days=rng.randrange(30))).isoformat()
            f.write(f"{people[p]};A{p}-{i};{rng.choice(causes)};{start.isoformat()};{end};"
                    f"{rng.choice(extents)};{rng.randrange(1, 200)},5\r\n")
    return path


def _parse_peak(path: Path) -> int:
    info = sniff(path)
    tracemalloc.start()
    n = sum(1 for _ in parse.parse(path, info, Pseudonymiser(b"k")))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert n > 0
    return peak


def test_memory_stays_bounded_as_the_file_grows(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Small limits so the bounding shows at test sizes: the duplicate tracker and the value caches stop growing.
    monkeypatch.setattr(parse, "MAX_TRACKED_ROWS", 2_000)
    monkeypatch.setattr(values, "CACHE_LIMIT", 2_000)
    small = _parse_peak(write_absence_file(tmp_path / "franvaro_2120009903_s.csv", 10_000, persons=8_000))
    large = _parse_peak(write_absence_file(tmp_path / "franvaro_2120009903_l.csv", 40_000, persons=30_000))
    assert large < small * 1.5, (small, large)  # four times the rows, not four times the memory
    assert large < 8_000_000


@pytest.mark.slow
def test_speed_against_postgresql_copy(warehouse: str, frisk_env: Path) -> None:
    """Rows per second of the whole ingest (hash, sniff, parse, pseudonymise, COPY, duplicate check, commit)
    against PostgreSQL's COPY of the very same rows into a table of the same shape."""
    rows = 100_000
    path = write_absence_file(frisk_env / "data" / "landing" / "payroll" / "franvaro_2120009903_bench.csv",
                              rows, persons=5_000)
    started = time.perf_counter()
    result = load_path(path, move=False)
    ours = time.perf_counter() - started
    assert (result.status, result.rows_loaded) == ("loaded", rows)

    with psycopg.connect(warehouse) as conn:
        data = io.BytesIO()
        with conn.cursor().copy("copy (select * from raw.payroll_absence) to stdout") as copy:
            for block in copy:
                data.write(block)
        conn.execute("create table raw.copy_baseline (like raw.payroll_absence including all)")
        conn.commit()
        started = time.perf_counter()
        with conn.cursor().copy("copy raw.copy_baseline from stdin") as copy:
            buf = data.getvalue()
            for i in range(0, len(buf), 1 << 20):
                copy.write(buf[i:i + (1 << 20)])
        conn.commit()
        baseline = time.perf_counter() - started
    ratio = ours / baseline
    print(f"payroll ingest: {rows} rows in {ours:.2f} s ({rows / ours:,.0f} rows/s); "
          f"PostgreSQL COPY of the same rows {baseline:.2f} s; ratio {ratio:.1f}")
    # The goal is 1.5; measured 4-5 here (2 shared cores; see docs/payroll-formats.md). A regression guard only.
    assert ratio < 8
