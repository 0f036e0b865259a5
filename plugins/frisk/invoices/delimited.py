"""Reading the semicolon-separated files beside the invoices (specifications, payments): header, fields,
values.

Both formats are small contracts (docs/architecture.md): UTF-8 (a BOM is tolerated), `;`, a fixed header, ISO
dates, amounts with a decimal point or comma. A wrong header or encoding rejects the whole file; a bad value
quarantines only its row, and the error names the line and the field.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterator
from decimal import Decimal, InvalidOperation
from pathlib import Path

from frisk.identity import validate_org_number
from frisk.invoices.limits import AMOUNT
from frisk.loading import FileRejected

MAX_BYTES = 200 * 1024 * 1024  # far above a year of specifications; bounds memory for a wrong file
_SPACES = re.compile(
    r"[\s\u00a0\u202f]"
)  # thousands separators seen in Swedish exports: space, nbsp, thin nbsp



class FieldError(ValueError):
    """A value that cannot be read; `field` names the column. The message never holds a personnummer."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def read_rows(path: Path, header: tuple[str, ...]) -> Iterator[tuple[int, dict[str, str] | None, list[str]]]:
    """Yield (line number, row as dict, or None when the field count is wrong, raw fields) per data line."""
    size = path.stat().st_size
    if size > MAX_BYTES:
        raise FileRejected(f"file is {size} bytes, more than the limit of {MAX_BYTES} bytes")
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise FileRejected(f"line {line}: the file is not UTF-8 (byte 0x{raw[exc.start]:02x})") from None
    if not text.strip():
        raise FileRejected("line 1: the file is empty")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=";")
    first = next(reader)
    got = tuple(h.strip().lower() for h in first)
    if got != header:
        hint = (
            " (is the file comma-separated? it must use ';')" if len(first) == 1 and "," in first[0] else ""
        )
        raise FileRejected(
            f"line 1: header not recognised{hint}; expected {';'.join(header)!r}, "
            f"found {';'.join(got)[:200]!r}"
        )
    for fields in reader:
        if not fields or all(not f.strip() for f in fields):
            continue  # blank lines (often a trailing one) are not rows
        line_no = reader.line_num
        row = (
            dict(zip(header, (f.strip() for f in fields), strict=True))
            if len(fields) == len(header)
            else None
        )
        yield line_no, row, fields


def amount(value: str, field: str) -> Decimal:
    text = _SPACES.sub("", value or "")
    if not text:
        raise FieldError(field, f"{field} is empty")
    if "," in text and "." in text:
        raise FieldError(field, f"{field} mixes decimal point and comma: {text[:30]!r}")
    try:
        result = Decimal(text.replace(",", "."))
    except InvalidOperation:
        raise FieldError(field, f"{field} is not an amount: {text[:30]!r}") from None
    if not result.is_finite():
        raise FieldError(field, f"{field} is not a finite amount: {text[:30]!r}")
    if not AMOUNT.fits(result):
        # Checked before the decimals (quantize fails beyond 28 digits) and here rather than by COPY, whose
        # NumericValueOutOfRange would abort the whole file; the value is not echoed (it may be a personnummer).
        raise FieldError(field, f"{field} is out of range: the warehouse column is {AMOUNT.describe()}")
    if result != result.quantize(Decimal("0.01")):
        raise FieldError(field, f"{field} must be an amount with at most two decimals: {text[:30]!r}")
    return result


def date(value: str, field: str) -> dt.date:
    text = (value or "").strip()
    if not text:
        raise FieldError(field, f"{field} is empty")
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise FieldError(field, f"{field} is not a date (YYYY-MM-DD): {text[:30]!r}") from None


def required(value: str, field: str) -> str:
    text = (value or "").strip()
    if not text:
        raise FieldError(field, f"{field} is empty")
    return text


def org_number(value: str, field: str) -> str:
    """A supplier's organisation number (10 digits, Luhn-checked), or a FieldError naming the field."""
    try:
        return validate_org_number(value)
    except ValueError as exc:
        raise FieldError(field, f"{field}: {exc}") from None
