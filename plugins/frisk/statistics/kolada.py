"""Kolada (the municipal key-figure database) REST JSON -> raw.kolada_values.

Request: `<base>/data/kpi/<KPI>/municipality/<id,id,...>/year/<y,y,...>` with the base URL ending in the
API version (`https://api.kolada.se/v2`), or `<base>/data/kpi/<KPI>/year/<years>` for all municipalities.
Response: `{"values": [{"kpi", "municipality", "period", "values": [{"gender", "value", "count",
"status"}]}], "count": n, "next_page": url}`; v3 names the link `next_url` (and may say `municipality_id`).
Pages are followed until no link is given.

A body that is not JSON, or not that shape at the top, rejects the whole response (the previous data stays
in force); a single odd value (unknown gender, a value that is not a number, a repeated key) is quarantined
with its position, e.g. `page 2 values[17].values[0].gender`.
"""

from __future__ import annotations

import json
from collections.abc import Generator, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urljoin

from frisk.loading import FileRejected, Quarantined, Row

TABLE = "raw.kolada_values"
COLUMNS = {
    TABLE: ("response_id", "kpi", "municipality_id", "period_year", "gender", "value", "count", "status"),
}
GENDERS = ("T", "K", "M")


def kpi_url(base_url: str, kpi: str, municipalities: Sequence[str], years: Sequence[int]) -> str:
    """The first-page URL for one KPI. An empty municipality list asks for all municipalities."""
    year_part = ",".join(str(y) for y in years)
    if municipalities:
        return (
            f"{base_url.rstrip('/')}/data/kpi/{kpi}/municipality/{','.join(municipalities)}/year/{year_part}"
        )
    return f"{base_url.rstrip('/')}/data/kpi/{kpi}/year/{year_part}"


def decode(body: bytes, url: str) -> dict[str, Any]:
    """The page as a dict, or FileRejected saying what is wrong with the body and where."""
    try:
        doc = json.loads(body.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise FileRejected(f"{url}: body is not UTF-8 (byte {exc.start})") from None
    except json.JSONDecodeError as exc:
        raise FileRejected(
            f"{url}: malformed JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"
        ) from None
    if not isinstance(doc, dict) or not isinstance(doc.get("values"), list):
        got = type(doc).__name__ if not isinstance(doc, dict) else "keys " + ", ".join(sorted(doc)[:8])
        raise FileRejected(
            f"{url}: not a Kolada data response: expected an object with a 'values' list, got {got}"
        )
    return doc


def next_page(doc: dict[str, Any], url: str) -> str | None:
    link = doc.get("next_page") or doc.get("next_url")
    if link is None or link == "":
        return None
    if not isinstance(link, str):
        raise FileRejected(f"{url}: next_page is not a URL: {link!r}")
    return urljoin(url, link)  # relative links resolve against the page they came from


MAX_ABS_VALUE = Decimal("9999999999.9999")
MAX_COUNT = 2**31 - 1  # raw.kolada_values.count is an integer


def _number(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValueError(f"not a number: {value!r}")
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise ValueError(f"not a number: {value!r}") from None
    # raw.kolada_values.value is numeric(14, 4): a value beyond it (or NaN / infinity) would fail the whole COPY
    if not number.is_finite() or abs(number) > MAX_ABS_VALUE:
        raise ValueError(f"out of range: {str(value)[:40]} (at most {MAX_ABS_VALUE})")
    return number


def parse_page(
    doc: dict[str, Any], page_no: int, response_id: int | None, seen: set[tuple], item_offset: int = 0
) -> Generator[Row | Quarantined, None, int]:
    """Rows of one decoded page; returns the number of gender values read. `seen` spans a fetch's pages."""
    read = 0
    for i, item in enumerate(doc["values"]):
        where = f"page {page_no} values[{i}]"
        line_no = item_offset + i + 1
        if not isinstance(item, dict) or not isinstance(item.get("values"), list):
            read += 1
            yield Quarantined(
                line_no,
                f"{where}.values",
                f"{where}: not an object with a 'values' list",
                {"item": item} if isinstance(item, dict) else {"item": repr(item)[:200]},
                entity="kolada",
            )
            continue
        kpi = item.get("kpi")
        municipality = item.get("municipality", item.get("municipality_id"))
        period = item.get("period")
        head = {"kpi": kpi, "municipality": municipality, "period": period}
        for j, entry in enumerate(item["values"]):
            read += 1
            at = f"{where}.values[{j}]"
            record = head | (entry if isinstance(entry, dict) else {"entry": repr(entry)[:200]})
            try:
                if not isinstance(kpi, str) or not kpi:
                    raise _Bad(f"{where}.kpi", f"missing KPI id: {kpi!r}")
                if not isinstance(municipality, str | int) or not str(municipality).strip():
                    raise _Bad(f"{where}.municipality", f"missing municipality id: {municipality!r}")
                muni = str(municipality).strip().zfill(4)
                try:
                    year = int(str(period)[:4])
                except ValueError:
                    raise _Bad(f"{where}.period", f"not a year: {period!r}") from None
                if not isinstance(entry, dict):
                    raise _Bad(at, "not an object")
                gender = entry.get("gender")
                if gender not in GENDERS:
                    raise _Bad(f"{at}.gender", f"gender not T, K or M: {gender!r}")
                try:
                    value = _number(entry.get("value"))
                except ValueError as exc:
                    raise _Bad(f"{at}.value", str(exc)) from None
                count = entry.get("count")
                if count is not None and (isinstance(count, bool) or not isinstance(count, int)):
                    raise _Bad(f"{at}.count", f"not a whole number: {count!r}")
                if count is not None and not 0 <= count <= MAX_COUNT:
                    raise _Bad(f"{at}.count", f"out of range: {count} (0 to {MAX_COUNT})")
                key = (kpi, muni, year, gender)
                if key in seen:
                    raise _Bad(at, f"repeats {kpi} {muni} {year} {gender} given earlier in this response")
                seen.add(key)
            except _Bad as bad:
                yield Quarantined(line_no, bad.field, f"{bad.field}: {bad.reason}", record, entity="kolada")
                continue
            status = entry.get("status")
            yield Row(
                TABLE,
                (
                    response_id,
                    kpi,
                    muni,
                    year,
                    gender,
                    value,
                    count,
                    str(status) if status not in (None, "") else None,
                ),
            )
    return read


class _Bad(Exception):
    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field, self.reason = field, reason
