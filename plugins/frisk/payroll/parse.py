"""Rows of a payroll file -> validated, pseudonymised rows for raw.payroll_absence / raw.payroll_personnel.

`parse(path, info)` is the generator `frisk.loading.load_file` drives: it streams the file with the csv module
(one row in memory at a time), yields a `Row` per valid input row and a `Quarantined` per invalid one, and
returns the number of input rows read. The per-row work is a handful of memoised lookups (see values.py).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Generator, Iterable, Iterator
from itertools import chain, repeat
from operator import itemgetter
from pathlib import Path
from typing import TextIO

from frisk.identity import MASK, Pseudonymiser, mask_personnummer
from frisk.loading import CopyRows, FileInfo, FileRejected, Quarantined
from frisk.payroll import values
from frisk.payroll.dialects import Dialect, HeaderMatch
from frisk.payroll.values import RowProblem, Rules

TABLES = {"absence": "raw.payroll_absence", "personnel": "raw.payroll_personnel"}
COLUMNS: dict[str, tuple[str, ...]] = {
    "raw.payroll_absence": (
        "line_no", "employer_org_number", "person_key", "employment_id", "absence_cause_code",
        "absence_category", "cause_is_known", "from_date", "to_date", "extent_pct", "hours",
    ),
    "raw.payroll_personnel": (
        "line_no", "employer_org_number", "person_key", "birth_year", "sex", "is_coordination_number",
        "employment_id", "org_unit_code", "org_unit_name", "sector", "occupation", "employment_rate_pct",
        "weekly_hours", "employment_start", "employment_end",
    ),
}
MAX_HOURS = 99_999_999  # numeric(10, 2)
MAX_WEEKLY_HOURS = 168
# Output segments per entity, in the raw table's column order after line_no: (dialect field, columns it fills).
SEGMENTS: dict[str, tuple[tuple[str, int], ...]] = {
    "absence": (("employer_org_number", 1), ("personnummer", 1), ("employment_id", 1), ("absence_cause", 3),
                ("from_date", 1), ("to_date", 1), ("extent_pct", 1), ("hours", 1)),
    "personnel": (("employer_org_number", 1), ("personnummer", 4), ("employment_id", 1), ("org_unit_code", 1),
                  ("org_unit_name", 1), ("sector", 1), ("occupation", 1), ("employment_rate_pct", 1),
                  ("weekly_hours", 1), ("employment_start", 1), ("employment_end", 1)),
}
ORDERED = {"absence": ("from_date", "to_date"), "personnel": ("employment_start", "employment_end")}
MAX_TRACKED_ROWS = 2_000_000  # rows per file the duplicate filter tracks (4 MiB); larger files: SQL checks all
BLOOM_BITS_PER_ROW = 16  # two hashes at 16 bits per row: about 1.4 % false candidates when full
BLOCK_CHARS = 1 << 18  # characters read per block of lines
BLOCK_ROWS = 1_000  # rows per CopyRows block handed to the loader
# A file's first blocks are smaller (doubling up to BLOCK_ROWS), so the server starts inserting after a few
# hundred rows instead of waiting for the first full block (new persons make the first rows the slowest).
FIRST_BLOCK_ROWS = 125
NULL = "\\N"
_NEEDS_ESCAPE = re.compile(r"[\\\t\n\r]").search
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
# In a row with the wrong number of fields the personnummer may sit in any column: mask every run of 10 or more
# digits (single separators allowed), which catches odd spellings too; dates have 8 digits and stay readable.
_DIGIT_RUN = re.compile(r"\d(?:[\s+-]?\d){9,}")

Convert = Callable[[int, list[str]], tuple]


def _employer(rules: Rules, m: HeaderMatch, fixed: str | None) -> Callable[[list[str]], str]:
    """The employer's organisation number: the row's column when the dialect has one, else the file name's."""
    i = m.index.get("employer_org_number")
    if i is None:
        if fixed is None:
            raise FileRejected("line 1: no employer organisation number column and none in the file name")
        return lambda f: fixed
    org = rules.org_number(m.headers["employer_org_number"])
    return lambda f: org(f[i])


def _optional(m: HeaderMatch, field: str, build: Callable[[str], Callable[[str], object]]):
    """(index, converter) of a column the file may lack; (None, None) when it does."""
    i = m.index.get(field)
    return (None, None) if i is None else (i, build(m.headers[field]))


def _single(rule: Callable[[str], object] | None) -> Callable[[str], tuple] | None:
    """A one-column segment converter from a field rule (None for a column the file lacks)."""
    return None if rule is None else (lambda text: (rule(text),))


def _with_segments(convert: Convert, segments: dict[str, Callable[[str], tuple] | None]) -> Convert:
    """Attach the per-column converters (`_Layout` uses them for the columns a row has that are not cached yet).

    They share their memoised rules with `convert`, which stays the reference: whenever a column fails, the row
    goes through `convert`, so the reported problem is the one it finds first.
    """
    convert.segments = segments  # type: ignore[attr-defined]
    return convert


def absence_converter(d: Dialect, m: HeaderMatch, rules: Rules, fixed_org: str | None) -> Convert:
    ix, hd = m.index, m.headers
    employer = _employer(rules, m, fixed_org)
    i_pnr, person = ix["personnummer"], rules.person(hd["personnummer"])
    i_emp, employment = ix["employment_id"], rules.text(hd["employment_id"], required=True)
    i_cause, h_cause = ix["absence_cause"], hd["absence_cause"]
    i_from, h_from = ix["from_date"], hd["from_date"]
    from_date = rules.date(h_from, required=True)
    i_to, to_date = _optional(m, "to_date", lambda h: rules.date(h, required=False, open_ended=True))
    h_to = hd.get("to_date")
    i_ext, extent = ix["extent_pct"], rules.extent(hd["extent_pct"])
    i_hours, hours = _optional(m, "hours", lambda h: rules.amount(h, MAX_HOURS))
    lookup = d.causes.lookup
    causes: dict[str, tuple[str, bool]] = {}  # code -> category when no code has validity dates (the usual case)
    dated = d.causes.has_dated_codes

    def convert(line: int, f: list[str]) -> tuple:
        org = employer(f)
        key = person(f[i_pnr])[0]
        emp = employment(f[i_emp])
        code = f[i_cause].strip()
        if not code:
            raise RowProblem(h_cause, f"{h_cause} is empty")
        start = from_date(f[i_from])
        end = None if i_to is None else to_date(f[i_to])
        if end is not None and end < start:  # ISO strings order like dates
            raise RowProblem(h_to, f"{h_to} {end} is before {h_from} {start}")
        if dated:
            category, known = lookup(code, start)
        else:
            hit = causes.get(code)
            if hit is None:
                hit = causes[code] = lookup(code, start)
            category, known = hit
        return (line, org, key, emp, code, category, known, start, end, extent(f[i_ext]),
                None if i_hours is None else hours(f[i_hours]))

    def cause(text: str) -> tuple:
        code = text.strip()
        if not code:
            raise RowProblem(h_cause, f"{h_cause} is empty")
        return (code, *lookup(code, ""))  # only used when no code has validity dates: the date plays no part

    return _with_segments(convert, {
        "employer_org_number": _single(rules.org_number(hd["employer_org_number"])
                                       if "employer_org_number" in ix else None),
        "personnummer": lambda text: (person(text)[0],), "employment_id": _single(employment), "absence_cause": cause,
        "from_date": _single(from_date), "to_date": _single(to_date), "extent_pct": _single(extent),
        "hours": _single(hours),
    })


def personnel_converter(d: Dialect, m: HeaderMatch, rules: Rules, fixed_org: str | None) -> Convert:
    ix, hd = m.index, m.headers
    employer = _employer(rules, m, fixed_org)
    i_pnr, person = ix["personnummer"], rules.person(hd["personnummer"])
    i_emp, employment = ix["employment_id"], rules.text(hd["employment_id"], required=True)
    i_unit, unit = ix["org_unit_code"], rules.text(hd["org_unit_code"], required=True)
    optional = [
        _optional(m, "org_unit_name", lambda h: rules.text(h, required=False)),
        _optional(m, "sector", rules.sector),
        _optional(m, "occupation", lambda h: rules.text(h, required=False)),
        _optional(m, "employment_rate_pct", rules.rate),
        _optional(m, "weekly_hours", lambda h: rules.amount(h, MAX_WEEKLY_HOURS)),
        _optional(m, "employment_start", lambda h: rules.date(h, required=False)),
        _optional(m, "employment_end", lambda h: rules.date(h, required=False, open_ended=True)),
    ]
    h_start, h_end = hd.get("employment_start"), hd.get("employment_end")

    def convert(line: int, f: list[str]) -> tuple:
        org = employer(f)
        key, birth_year, sex, coordination = person(f[i_pnr])
        rest = [None if i is None else conv(f[i]) for i, conv in optional]
        start, end = rest[5], rest[6]
        if start is not None and end is not None and end < start:
            raise RowProblem(h_end, f"{h_end} {end} is before {h_start} {start}")
        return (line, org, key, birth_year, sex, coordination, employment(f[i_emp]), unit(f[i_unit]), *rest)

    names = ("org_unit_name", "sector", "occupation", "employment_rate_pct", "weekly_hours", "employment_start",
             "employment_end")
    return _with_segments(convert, {
        "employer_org_number": _single(rules.org_number(hd["employer_org_number"])
                                       if "employer_org_number" in ix else None),
        "personnummer": person, "employment_id": _single(employment), "org_unit_code": _single(unit),
        **{name: _single(conv) for name, (_, conv) in zip(names, optional, strict=True)},
    })


CONVERTERS = {"absence": absence_converter, "personnel": personnel_converter}


def _record(fields: list[str], header: list[str], pnr_index: int, exact: bool) -> dict:
    """The offending row for quarantine, with the personnummer masked (all long digit runs if misaligned)."""
    record = {}
    for i, value in enumerate(fields):
        name = header[i] if i < len(header) else f"extra_{i + 1 - len(header)}"
        if i == pnr_index and exact:
            value = MASK if value.strip() else value
        elif not exact:
            value = _DIGIT_RUN.sub(MASK, value)
        record[name] = mask_personnummer(value)
    return record


def copy_text(value: object) -> str:
    """One value in PostgreSQL's COPY text format (what `CopyRows` lines hold)."""
    if value.__class__ is str:
        # most values are dates, numbers, keys and codes: no character to escape, no copy to make
        return value.translate(_COPY_ESCAPES) if _NEEDS_ESCAPE(value) else value
    if value is None:
        return NULL
    if value is True or value is False:
        return "t" if value else "f"
    return str(value).translate(_COPY_ESCAPES)


class _Layout:
    """How a file's columns become COPY text, and the per-column text caches that make most rows a few lookups.

    Each output segment comes from one input column (or is the same on every row: an employer taken from the
    file name, a column the file lacks). A segment's text depends on its input string alone, so it is cached
    per distinct input the first time a row has it (`resolve`); a row whose every input is cached
    needs no converter call at all. Only valid values enter the caches: anything new or wrong goes through the
    converter, which raises the RowProblem with the usual message. Dialects whose cause codes have validity
    dates map a code by the row's date, so their rows are always converted.
    """

    def __init__(self, entity: str, match: HeaderMatch, fixed_org: str | None, convert: Convert,
                 cacheable: bool) -> None:
        self.convert = convert
        # (input index, output from, output to, cache, segment converter) per column the file has
        self.variable: list[tuple[int, int, int, dict[str, str], Callable[[str], tuple]]] = []
        self.constant: list[tuple[int, int] | None] = []  # per segment: output slice when constant, else None
        out = 1  # after line_no
        segments = convert.segments  # type: ignore[attr-defined]
        for name, width in SEGMENTS[entity]:
            i = match.index.get(name)
            if i is None:
                self.constant.append((out, out + width))
            else:
                self.constant.append(None)
                self.variable.append((i, out, out + width, {}, segments[name]))
            out += width
        self.caches = [v[3] for v in self.variable]
        indices = [v[0] for v in self.variable]
        self.keys: Callable[[list[str]], tuple] = (
            itemgetter(*indices) if len(indices) > 1 else (lambda f, i=indices[0]: (f[i],)))
        self.cacheable = cacheable
        self.limit = values.CACHE_LIMIT
        early, late = ORDERED.get(entity, (None, None))
        positions = {name: k for k, name in enumerate(n for (n, _), c in zip(SEGMENTS[entity], self.constant,
                                                                               strict=True) if c is None)}
        # both dates of an ordered pair present as columns: a cached row still needs the order check
        self.order = (positions[early], positions[late]) if early in positions and late in positions else None
        # "{line}\t{segment}\t...": the constant segments are written into the template once
        parts = ["{}"]
        for name, const in zip((n for n, _ in SEGMENTS[entity]), self.constant, strict=True):
            if const is None:
                parts.append("{}")
            else:  # the file name's employer, or a column the file lacks (null)
                text = copy_text(fixed_org) if name == "employer_org_number" else NULL
                parts.append("\t".join([text] * (const[1] - const[0])).replace("{", "{{").replace("}", "}}"))
        self.format: Callable[..., str] = "\t".join(parts).format

    def resolve(self, line: int, fields: list[str]) -> tuple[str, ...]:
        """COPY text of each variable segment of a row not wholly cached: converts only the columns not cached,
        caches them, and raises RowProblem (as `convert` reports it) when the row is not valid."""
        if not self.cacheable:
            return self._format(self.convert(line, fields))
        outs = []
        limit = self.limit
        try:
            for i, a, b, cache, segment in self.variable:
                key = fields[i]
                text = cache.get(key)
                if text is None:
                    row = segment(key)
                    text = copy_text(row[0]) if b == a + 1 else "\t".join(map(copy_text, row))
                    if len(cache) >= limit:
                        cache.clear()  # bounded memory; rows grouped by person keep hitting after a clear
                    cache[key] = text
                outs.append(text)
        except RowProblem:
            self.convert(line, fields)  # raises the problem convert finds first
            raise
        if self.order is not None:
            early, late = self.order
            if outs[late] < outs[early] != NULL:
                self.convert(line, fields)  # raises "... is before ..."
        return tuple(outs)

    def _format(self, row: tuple) -> tuple[str, ...]:
        return tuple(copy_text(row[a]) if b == a + 1 else "\t".join(map(copy_text, row[a:b]))
                     for _, a, b, _, _ in self.variable)


def _blocks(f: TextIO, dialect: Dialect, line: int) -> Iterator[tuple[Iterable[int], Iterable[list[str]]]]:
    """(line numbers, records) for the rest of `f`, in blocks; `line` is the last line already read.

    Without the quote character a record is one line split at the delimiter, exactly as the csv module would
    read it (lines end with LF, CRLF or CR, as in newline="" mode), only cheaper. From the first block that
    holds a quote on, the csv module reads the rest (quoted fields may hold delimiters and line breaks).
    """
    delim, quote = dialect.delimiter, dialect.quotechar
    while lines := f.readlines(BLOCK_CHARS):
        if quote in "".join(lines):
            reader = csv.reader(chain(lines, f), delimiter=delim, quotechar=quote, strict=True)
            numbers: list[int] = []
            records: list[list[str]] = []
            try:
                for fields in reader:
                    numbers.append(line + reader.line_num)
                    records.append(fields)
                    if len(records) >= BLOCK_ROWS:
                        yield numbers, records
                        numbers, records = [], []
            except csv.Error:
                yield numbers, records  # the rows before the error, so the caller knows where it happened
                raise
            yield numbers, records
            return
        yield range(line + 1, line + 1 + len(lines)), map(str.split, map(str.rstrip, lines, repeat("\r\n")),
                                                          repeat(delim))
        line += len(lines)


def parse(
    path: Path, info: FileInfo, pseudonymiser: Pseudonymiser | None = None
) -> Generator[CopyRows | Quarantined, None, int]:
    """Stream `path` (already sniffed into `info`); yield rows and quarantined rows; return rows read.

    Valid rows come out as `CopyRows` blocks of COPY text; each invalid row as a `Quarantined`.
    """
    dialect: Dialect = info.extra["dialect"]
    match: HeaderMatch = info.extra["header"]
    rules = Rules(dialect, pseudonymiser or Pseudonymiser())
    convert = CONVERTERS[info.entity](dialect, match, rules, info.employer_org_number)
    table, width, pnr_index = TABLES[info.entity], match.width, match.index["personnummer"]
    layout = _Layout(info.entity, match, info.employer_org_number, convert,
                     cacheable=not (info.entity == "absence" and dialect.causes.has_dated_codes))
    caches, keys, resolve, text_of = layout.caches, layout.keys, layout.resolve, layout.format
    cached = layout.cacheable
    early, late = layout.order if layout.order else (0, 0)  # (0, 0): no order to check
    getitem = dict.__getitem__
    rows_read = 0
    block_rows = FIRST_BLOCK_ROWS
    out: list[str] = []
    append = out.append
    # Duplicate rows: a Bloom filter of row hashes (fixed size, so memory does not grow with the file) finds
    # candidates cheaply; duplicates.py confirms them exactly in SQL, so a false positive costs a lookup, never
    # a row. Past MAX_TRACKED_ROWS the filter would fill up, and SQL checks the whole batch instead.
    max_tracked = MAX_TRACKED_ROWS
    nbits = 1 << max(16, (BLOOM_BITS_PER_ROW * max_tracked - 1).bit_length())
    bloom: bytearray | None = bytearray(nbits >> 3)
    mask, tracked = nbits - 1, 0
    candidates: list[int] = info.extra.setdefault("duplicate_candidates", [])
    info.extra["duplicates"] = "candidates"
    # A failing row is held back until the next row arrives: if it turns out to be the last line of a file that
    # ends without a line break, the file was cut off in transfer and is rejected as a whole.
    held: tuple[int, str | None, str, list[str], bool] | None = None
    line = 1  # the line the previous record ended on; the next one starts after it
    with path.open(encoding=info.extra["encoding"], newline="") as f:
        # strict: a quote left open must not silently swallow the following lines into one field
        reader = csv.reader(f, delimiter=dialect.delimiter, quotechar=dialect.quotechar, strict=True)
        try:
            header = next(reader)
            for numbers, records in _blocks(f, dialect, reader.line_num):
                for line, fields in zip(numbers, records, strict=True):
                    if held is not None:
                        yield _quarantined(held, header, pnr_index)
                        held = None
                    if len(fields) != width:
                        if not fields or (len(fields) == 1 and not fields[0].strip()):
                            continue  # a blank line is not a row
                        rows_read += 1
                        held = (line, None, f"expected {width} fields separated by {dialect.delimiter!r}, "
                                f"found {len(fields)}", fields, False)
                        continue
                    rows_read += 1
                    outs = None
                    if cached:
                        try:
                            outs = tuple(map(getitem, caches, keys(fields)))
                        except KeyError:
                            pass  # a value not seen yet (or not valid): convert the row
                        else:
                            if outs[late] < outs[early] != NULL:
                                outs = None  # the dates are out of order: let resolve() have convert say so
                    if outs is None:
                        try:
                            outs = resolve(line, fields)
                        except RowProblem as p:
                            held = (line, p.field, p.reason, fields, True)
                            continue
                    if bloom is not None:
                        h = hash(outs)  # every value but the line number (the constant segments are constant)
                        a, b = h & mask, (h >> 32) & mask
                        bit_a, bit_b = 1 << (a & 7), 1 << (b & 7)
                        a >>= 3
                        b >>= 3
                        if bloom[a] & bit_a and bloom[b] & bit_b:
                            candidates.append(line)
                        else:
                            bloom[a] |= bit_a
                            bloom[b] |= bit_b
                        tracked += 1
                        if tracked >= max_tracked or len(candidates) >= max_tracked:
                            bloom = None  # too many rows to track: let PostgreSQL check the whole batch
                            info.extra["duplicates"] = "check_all"
                    append(text_of(line, *outs))
                    if len(out) >= block_rows:
                        yield CopyRows(table, out)
                        out = []
                        append = out.append
                        block_rows = min(2 * block_rows, BLOCK_ROWS)
        except csv.Error as exc:
            raise FileRejected(f"line {line + 1}: cannot be read as CSV ({exc}); the record starting on this "
                               "line has a misplaced or unclosed quote") from None
    if out:
        yield CopyRows(table, out)
    if held is not None:
        if not info.extra["ends_with_newline"]:
            raise FileRejected(f"line {held[0]}: truncated last line: the file ends without a line break and its "
                               f"last row is incomplete ({mask_personnummer(held[2])})")
        yield _quarantined(held, header, pnr_index)
    return rows_read


def _quarantined(held: tuple, header: list[str], pnr_index: int) -> Quarantined:
    line, field, reason, fields, exact = held
    return Quarantined(line, field, mask_personnummer(reason), _record(fields, header, pnr_index, exact))
