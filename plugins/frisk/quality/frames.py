"""Rows from PostgreSQL as a typed pandas DataFrame for Great Expectations, plus personnummer-shape flags.

Each column gets the pandas dtype of its PostgreSQL type (numeric -> float64, integers -> Int64, date ->
datetime64, boolean -> boolean, text -> str), so the suites' type expectations see what the database holds.
Free-text columns are scanned here for personnummer shapes (shape, Luhn check digit, plausible month) into a
boolean flag column: the GX expectation on it reports only True/False, so a found number never lands in GX's
stored results or Data Docs.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import pandas as pd
import psycopg

from frisk.identity import looks_like_personnummer
from frisk.quality.suites import PNR_PREFIX

# PostgreSQL type OIDs -> a pandas conversion
_INT = {20, 21, 23, 26}
_NUM = {700, 701, 1700}
_DATE = {1082}
_TS = {1114, 1184}
_BOOL = {16}
_TEXT = {25, 1043, 1042, 19}


def read_frame(conn: psycopg.Connection, sql: str, params: Iterable[Any] | dict[str, Any] = ()) -> pd.DataFrame:
    cur = conn.execute(sql, params)
    desc = cur.description or []
    rows = cur.fetchall()
    df = pd.DataFrame.from_records(rows, columns=[d.name for d in desc])
    for d in desc:
        df[d.name] = _convert(df[d.name], d.type_code)
    return df


def _convert(s: pd.Series, oid: int) -> pd.Series:
    # GX 1.x type expectations understand numpy dtypes, and per-value Python types for object columns, but not
    # pandas extension dtypes (Int64, boolean, str): so nullable ints/bools stay Python objects.
    if oid in _NUM:
        return pd.to_numeric(s, errors="raise").astype("float64")
    if oid in _DATE:
        return pd.to_datetime(s).astype("datetime64[s]")
    if oid in _TS:
        return pd.to_datetime(s, utc=True)
    if oid in _INT or oid in _BOOL:
        if s.notna().all():
            return s.astype("int64" if oid in _INT else "bool")
        if oid in _INT:  # from_records turns ints mixed with None into floats (1960.0): back to Python ints
            return pd.Series([None if pd.isna(v) else int(v) for v in s], index=s.index, dtype=object)
        return s.astype(object).where(s.notna(), None)
    return s.astype(object).where(s.notna(), None)


# Hex digests and UUIDs (surrogate keys such as md5 ids) hold long digit runs by chance; one in a few hundred
# passes the shape, check-digit and month test, so they are not scanned (person keys have their own check).
_HEX_ID = re.compile(r"^(?:[0-9a-f]{16,}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$")


def _has_personnummer(value: object) -> bool:
    return isinstance(value, str) and not _HEX_ID.match(value) and looks_like_personnummer(value)


def flag_personnummer(df: pd.DataFrame, columns: Iterable[str]) -> pd.DataFrame:
    """Add `pnr_shaped__<col>` (bool) for each column: does the text hold a personnummer-shaped number?"""
    for col in columns:
        df[PNR_PREFIX + col] = df[col].map(_has_personnummer).astype("bool")
    return df


def text_columns(df: pd.DataFrame) -> list[str]:
    """Columns holding text (object columns whose values are strings)."""
    return [c for c in df.columns
            if (df[c].dtype == object or pd.api.types.is_string_dtype(df[c]))
            and df[c].map(lambda v: isinstance(v, str)).any()]
