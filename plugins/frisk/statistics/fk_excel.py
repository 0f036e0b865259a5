"""Försäkringskassan open-data Excel (sjukpenningtal 1.0/2.0, ohälsotal) -> tidy rows in raw.fk_statistics.

FK's statistics database exports one table per file: `År, Månad, Län, Kommun, Ålder, Kön, <measure>` with
places like `Riket`, `20 Dalarnas län`, `1421 Orust`. Exports differ in small ways (a title block above the
header, an extra notes sheet, a second measure column), so the table is found by its header names, in any
sheet, within the first rows (`header_search_rows` in sources.yml), never by position. Every value cell
becomes one row: (period month, region level/code/name, age band, sex, measure, value, suppressed flag).

`sniff`/`parse` follow the loader contract (frisk.loading) for manual drops; `parse_bytes` is the same
parser for a fetched response. "Rows read" counts value cells, because that is what one raw row holds.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from collections.abc import Generator, Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import openpyxl

from frisk.loading import FileInfo, FileRejected, Quarantined, Row
from frisk.statistics.settings import sources

TABLE = "raw.fk_statistics"
COLUMNS = {
    TABLE: (
        "response_id",
        "source_file",
        "sheet",
        "row_no",
        "period_month",
        "region_level",
        "region_code",
        "region_name",
        "age_band",
        "sex",
        "measure",
        "value",
        "is_suppressed",
    ),
}

_MONTHS = {
    name: i
    for i, name in enumerate(
        (
            "januari",
            "februari",
            "mars",
            "april",
            "maj",
            "juni",
            "juli",
            "augusti",
            "september",
            "oktober",
            "november",
            "december",
        ),
        start=1,
    )
}
_KOMMUN = re.compile(r"^(\d{4})\s+(\S.*)$")
_LAN = re.compile(r"^(\d{2})\s+(\S.*)$")


def _norm(value: Any) -> str:
    return " ".join(str(value).split()).casefold() if value is not None else ""


def _text(value: Any) -> str:
    return " ".join(str(value).split()) if value is not None else ""


@dataclass(frozen=True)
class Table:
    sheet: str
    header_row: int  # 1-based Excel row
    columns: dict[str, int]  # dimension header (as in sources.yml) -> 0-based column
    measures: tuple[tuple[int, str, str], ...]  # (column, header as printed, measure)


def _rules() -> dict[str, Any]:
    return sources()["fk"]


def _match_header(cells: tuple[Any, ...], rules: dict[str, Any]) -> tuple[Table | None, list[str]]:
    """A Table when `cells` is the header row, else None and the headers it lacks (for the error message)."""
    index = {_norm(c): i for i, c in enumerate(cells) if _norm(c)}
    missing = [h for h in rules["required_headers"] if _norm(h) not in index]
    measures = tuple(
        (index[_norm(m["header"])], _text(cells[index[_norm(m["header"])]]), m["measure"])
        for m in rules["measures"]
        if _norm(m["header"]) in index
    )
    if not measures:
        missing.append("a value column (" + ", ".join(m["header"] for m in rules["measures"]) + ")")
    if missing:
        return None, missing
    columns = {
        h: index[_norm(h)]
        for h in (*rules["required_headers"], *rules["optional_headers"])
        if _norm(h) in index
    }
    return Table("", 0, columns, measures), []


def _open(data: bytes, name: str) -> openpyxl.Workbook:
    try:
        # read_only streams the sheets; openpyxl parses the XML with defusedxml when it is installed
        return openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise FileRejected(
            f"{name}: not a readable Excel workbook (.xlsx): {type(exc).__name__}: {exc}"
        ) from exc


def find_tables(wb: openpyxl.Workbook, name: str) -> list[Table]:
    """Every sheet's statistics table, found by its header row; FileRejected when no sheet has one."""
    rules = _rules()
    found: list[Table] = []
    closest: tuple[int, str, int, list[str]] | None = None  # (number missing, sheet, row, missing)
    for ws in wb.worksheets:
        for row_no, cells in enumerate(
            ws.iter_rows(max_row=int(rules["header_search_rows"]), values_only=True), start=1
        ):
            if not any(_norm(c) for c in cells):
                continue
            table, missing = _match_header(tuple(cells), rules)
            if table:
                found.append(Table(ws.title, row_no, table.columns, table.measures))
                break
            if closest is None or len(missing) < closest[0]:
                closest = (len(missing), ws.title, row_no, missing)
    if not found:
        hint = (
            f"; closest: sheet '{closest[1]}' row {closest[2]} lacks {', '.join(closest[3])}"
            if closest
            else "; the workbook has no non-empty rows"
        )
        raise FileRejected(
            f"{name}: no sheet has a header row with "
            + ", ".join(rules["required_headers"])
            + " and a value column"
            + hint
        )
    return found


class _FieldError(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


def _period(year: Any, month: Any) -> dt.date:
    try:
        y = int(_text(year))
    except ValueError:
        raise _FieldError("År", f"not a year: {_text(year)!r}") from None
    if not 1990 <= y <= 2100:
        raise _FieldError("År", f"year out of range: {y}")
    m_text = _norm(month)
    try:
        m = _MONTHS.get(m_text) or int(m_text.split("-")[-1])  # '09', 9, 'september' or '2024-09'
        return dt.date(y, m, 1)
    except ValueError:
        raise _FieldError("Månad", f"not a month: {_text(month)!r}") from None


def _region(lan: Any, kommun: Any, riket: set[str]) -> tuple[str, str, str, str]:
    """(level, code, name, field) of the finest place: the Kommun cell unless it is empty or repeats Län."""
    lan_t, kommun_t = _text(lan), _text(kommun)
    use_kommun = (
        bool(kommun_t) and not _norm(kommun_t).startswith("samtliga") and _norm(kommun_t) != _norm(lan_t)
    )
    place, field = (kommun_t, "Kommun") if use_kommun else (lan_t, "Län")
    if _norm(place) in riket:
        return "riket", "00", "Riket", field
    if m := _KOMMUN.match(place):
        if use_kommun and (lm := _LAN.match(lan_t)) and lm.group(1) != m.group(1)[:2]:
            raise _FieldError("Kommun", f"kommun {m.group(1)} is not in län {lm.group(1)}")
        return "kommun", m.group(1), m.group(2), field
    if m := _LAN.match(place):
        return "lan", m.group(1), m.group(2), field
    raise _FieldError(field, f"place not recognised: {place!r} (expected 'Riket', 'NN Län' or 'NNNN Kommun')")


# raw.fk_statistics.value is numeric(10, 2): a larger value (or NaN / infinity, which Decimal accepts) would make
# the COPY fail and with it the whole file, so such a cell is quarantined instead. Real rates are below 100.
MAX_ABS_VALUE = Decimal("99999999.99")


def _in_range(value: Decimal) -> Decimal:
    if not value.is_finite() or abs(value) > MAX_ABS_VALUE:
        raise ValueError(f"out of range: {value} (a value must be a finite number of at most {MAX_ABS_VALUE})")
    return value


def _value(cell: Any, suppressed: set[str]) -> tuple[Decimal | None, bool]:
    """(value, is_suppressed). An empty cell or a marker like 'rojd' / '..' is suppressed (value withheld)."""
    if cell is None or (isinstance(cell, str) and not cell.strip()):
        return None, True
    if isinstance(cell, bool):
        raise ValueError(f"not a number: {cell!r}")
    if isinstance(cell, int | float):
        return _in_range(Decimal(str(cell))), False
    text = _text(cell)
    if _norm(text) in suppressed:
        return None, True
    try:
        return _in_range(Decimal(text.replace("\u00a0", "").replace(" ", "").replace(",", "."))), False
    except InvalidOperation:
        raise ValueError(f"not a number: {text!r}") from None


def _rows(
    table: Table,
    rows: Iterable[tuple[Any, ...]],
    source_file: str,
    response_id: int | None,
    counter: list[int],
) -> Generator[Row | Quarantined, None, None]:
    rules = _rules()
    sex_map = {_norm(k): v for k, v in rules["sex"].items()}
    riket = {_norm(n) for n in rules["riket_names"]}
    suppressed = {_norm(s) for s in rules["suppressed_markers"]}
    col = table.columns

    def cell(cells: tuple[Any, ...], header: str) -> Any:
        i = col.get(header)
        return cells[i] if i is not None and i < len(cells) else None

    for row_no, cells in enumerate(rows, start=table.header_row + 1):
        cells = tuple(cells)
        if not any(_norm(c) for c in cells):
            continue
        measure_cells = [
            (cells[i] if i < len(cells) else None, header, measure) for i, header, measure in table.measures
        ]
        if not _norm(cell(cells, "Län")) and all(_norm(c) == "" for c, _, _ in measure_cells):
            continue  # a note below the table ("Källa: Försäkringskassan"), not data

        def record(cells: tuple[Any, ...] = cells, measure_cells: list = measure_cells) -> dict[str, str]:
            # built only for a quarantined cell: most rows never need it
            return {h: _text(cell(cells, h)) for h in col} | {h: _text(c) for c, h, _ in measure_cells}

        counter[0] += len(measure_cells)
        try:
            period = _period(cell(cells, "År"), cell(cells, "Månad"))
            level, code, name, _ = _region(cell(cells, "Län"), cell(cells, "Kommun"), riket)
            age = _text(cell(cells, "Ålder"))
            if not age:
                raise _FieldError("Ålder", "empty")
            sex = sex_map.get(_norm(cell(cells, "Kön")))
            if sex is None:
                raise _FieldError("Kön", f"not recognised: {_text(cell(cells, 'Kön'))!r}")
        except _FieldError as exc:
            # one quarantine row per value cell, so rows read = loaded + quarantined holds
            for _ in measure_cells:
                yield Quarantined(
                    row_no,
                    exc.field,
                    f"{source_file} sheet '{table.sheet}' row {row_no}: {exc}",
                    record(),
                    entity="fk",
                )
            continue
        for raw, header, measure in measure_cells:
            try:
                value, is_suppressed = _value(raw, suppressed)
            except ValueError as exc:
                yield Quarantined(
                    row_no,
                    header,
                    f"{source_file} sheet '{table.sheet}' row {row_no}: {header}: {exc}",
                    record(),
                    entity="fk",
                )
                continue
            yield Row(
                TABLE,
                (
                    response_id,
                    source_file,
                    table.sheet,
                    row_no,
                    period,
                    level,
                    code,
                    name,
                    age,
                    sex,
                    measure,
                    value,
                    is_suppressed,
                ),
            )


def parse_bytes(
    data: bytes, source_file: str, response_id: int | None = None
) -> Generator[Row | Quarantined, None, int]:
    """Parse a workbook's bytes; yields rows and quarantined cells, returns the number of value cells read."""
    wb = _open(data, source_file)
    try:
        counter = [0]
        for table in find_tables(wb, source_file):
            ws = wb[table.sheet]
            yield from _rows(
                table,
                ws.iter_rows(min_row=table.header_row + 1, values_only=True),
                source_file,
                response_id,
                counter,
            )
        return counter[0]
    finally:
        wb.close()


def sniff(path: Path) -> FileInfo:
    """For a manual drop: reject anything that is not an FK statistics workbook before a batch is opened."""
    if path.suffix.lower() != ".xlsx":
        raise FileRejected(
            f"{path.name}: only FK open-data Excel files (.xlsx) are read from landing/statistics/"
        )
    wb = _open(path.read_bytes(), path.name)
    try:
        tables = find_tables(wb, path.name)
    finally:
        wb.close()
    measures = sorted({m for t in tables for _, _, m in t.measures})
    return FileInfo(entity="fk", dialect="fk_excel", delivery_key=path.name, extra={"measures": measures})


def parse(path: Path, info: FileInfo) -> Generator[Row | Quarantined, None, int]:
    return (yield from parse_bytes(path.read_bytes(), path.name, info.extra.get("response_id")))
