"""Rows of a payroll file -> validated, pseudonymised rows for raw.payroll_absence / raw.payroll_personnel.

`parse(path, info)` is the generator `frisk.loading.load_file` drives: it streams the file with the csv module
(one row in memory at a time), yields a `Row` per valid input row and a `Quarantined` per invalid one, and
returns the number of input rows read. The per-row work is a handful of memoised lookups (see values.py).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Generator
from pathlib import Path

from frisk.identity import MASK, Pseudonymiser, mask_personnummer
from frisk.loading import FileInfo, FileRejected, Quarantined, Row
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
MAX_TRACKED_ROWS = 1_000_000  # ~60 MB of row hashes; larger files get the duplicate check in SQL only
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

    return convert


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

    return convert


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


def parse(
    path: Path, info: FileInfo, pseudonymiser: Pseudonymiser | None = None
) -> Generator[Row | Quarantined, None, int]:
    """Stream `path` (already sniffed into `info`); yield rows and quarantined rows; return rows read."""
    dialect: Dialect = info.extra["dialect"]
    match: HeaderMatch = info.extra["header"]
    rules = Rules(dialect, pseudonymiser or Pseudonymiser())
    convert = CONVERTERS[info.entity](dialect, match, rules, info.employer_org_number)
    table, width, pnr_index = TABLES[info.entity], match.width, match.index["personnummer"]
    rows_read = 0
    # Duplicate rows: a set of row hashes finds candidates cheaply; duplicates.py confirms them exactly in SQL.
    # Past MAX_TRACKED_ROWS the set is dropped (bounded memory) and SQL checks the whole batch instead.
    seen: set[int] | None = set()
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
            for fields in reader:
                if held is not None:
                    yield _quarantined(held, header, pnr_index)
                    held = None
                line = reader.line_num
                if len(fields) != width:
                    if not fields or (len(fields) == 1 and not fields[0].strip()):
                        continue  # a blank line is not a row
                    rows_read += 1
                    held = (line, None, f"expected {width} fields separated by {dialect.delimiter!r}, "
                            f"found {len(fields)}", fields, False)
                    continue
                rows_read += 1
                try:
                    values = convert(line, fields)
                except RowProblem as p:
                    held = (line, p.field, p.reason, fields, True)
                    continue
                if seen is not None:
                    digest = hash(values[1:])  # every value but the line number
                    if digest in seen:
                        candidates.append(line)
                    elif len(seen) < MAX_TRACKED_ROWS and len(candidates) < MAX_TRACKED_ROWS:
                        seen.add(digest)
                    else:  # too many rows to track in memory: let PostgreSQL check the whole batch
                        seen = None
                        info.extra["duplicates"] = "check_all"
                yield Row(table, values)
        except csv.Error as exc:
            raise FileRejected(f"line {line + 1}: cannot be read as CSV ({exc}); the record starting on this "
                               "line has a misplaced or unclosed quote") from None
    if held is not None:
        if not info.extra["ends_with_newline"]:
            raise FileRejected(f"line {held[0]}: truncated last line: the file ends without a line break and its "
                               f"last row is incomplete ({mask_personnummer(held[2])})")
        yield _quarantined(held, header, pnr_index)
    return rows_read


def _quarantined(held: tuple, header: list[str], pnr_index: int) -> Quarantined:
    line, field, reason, fields, exact = held
    return Quarantined(line, field, mask_personnummer(reason), _record(fields, header, pnr_index, exact))
