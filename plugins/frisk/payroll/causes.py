"""Absence causes: a dialect's delivered codes mapped to Frisk's small set of categories.

The mapping is configuration (the dialect YAML), optionally with validity dates per code, because payroll systems
rename and re-purpose codes over the years. A code the mapping does not know is kept as delivered and flagged
(`absence_category = 'unknown'`, `cause_is_known = false`): an absence is never dropped for its cause.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

CATEGORIES = frozenset({"sick_leave", "child_care", "parental_leave", "vacation", "other"})
UNKNOWN = ("unknown", False)


class ConfigError(ValueError):
    """A dialect file that cannot be used; the message names the file and the key."""


@dataclass(frozen=True, slots=True)
class _Period:
    category: str
    valid_from: str | None  # ISO dates, inclusive; compared as strings (ISO order is date order)
    valid_to: str | None


def _iso(value: object, where: str) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.date):
        return value.isoformat()
    try:
        return dt.date.fromisoformat(str(value)).isoformat()
    except ValueError:
        raise ConfigError(f"{where}: {value!r} is not an ISO date (YYYY-MM-DD)") from None


class CauseMap:
    """Delivered code -> (category, is_known), honouring validity dates on the absence's first day."""

    def __init__(self, mapping: Mapping[str, object], case_sensitive: bool, where: str) -> None:
        self.case_sensitive = case_sensitive
        self._plain: dict[str, tuple[str, bool]] = {}
        self._dated: dict[str, tuple[_Period, ...]] = {}
        for code, spec in (mapping or {}).items():
            key = self._key(str(code))
            periods = self._periods(spec, f"{where}: causes.{code}")
            if len(periods) == 1 and periods[0].valid_from is None and periods[0].valid_to is None:
                self._plain[key] = (periods[0].category, True)
            else:
                self._dated[key] = periods

    def _key(self, code: str) -> str:
        code = code.strip()
        return code if self.case_sensitive else code.casefold()

    @staticmethod
    def _periods(spec: object, where: str) -> tuple[_Period, ...]:
        items = spec if isinstance(spec, list) else [spec]
        out = []
        for item in items:
            if isinstance(item, str):
                item = {"category": item}
            if not isinstance(item, dict) or "category" not in item:
                raise ConfigError(f"{where}: expected a category or {{category, valid_from, valid_to}}")
            category = item["category"]
            if category not in CATEGORIES:
                raise ConfigError(f"{where}: category {category!r} is not one of {sorted(CATEGORIES)}")
            out.append(_Period(category, _iso(item.get("valid_from"), where), _iso(item.get("valid_to"), where)))
        return tuple(out)

    def lookup(self, code: str, from_date: str) -> tuple[str, bool]:
        """(category, is_known) for a delivered code on an absence starting `from_date` (ISO)."""
        key = self._key(code)
        hit = self._plain.get(key)
        if hit is not None:
            return hit
        for p in self._dated.get(key, ()):
            if (p.valid_from is None or p.valid_from <= from_date) and (p.valid_to is None or from_date <= p.valid_to):
                return p.category, True
        return UNKNOWN

    @property
    def has_dated_codes(self) -> bool:
        return bool(self._dated)
