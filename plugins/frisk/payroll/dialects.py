"""Payroll dialects: one YAML file per export format, chosen by the file's header.

A dialect names the delimiter, the value rules (decimal separator, date formats, how open-ended absences and
extents are written) and, per entity (`absence`, `personnel`), which header text holds which Frisk field. A new
municipality with a slightly different export needs a new YAML file in `dialects/` (or in the folder named by
`FRISK_PAYROLL_DIALECTS_DIR`), not code. See docs/payroll-formats.md.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from frisk.payroll.causes import CauseMap, ConfigError

BUNDLED_DIR = Path(__file__).with_name("dialects")

# Frisk fields per entity, in the order the dialect YAML may map them. `REQUIRED_FIELDS` must be mapped by every
# dialect (the raw tables need them); the rest may be absent from a dialect or marked optional.
ENTITY_FIELDS: dict[str, tuple[str, ...]] = {
    "absence": ("employer_org_number", "personnummer", "employment_id", "absence_cause", "from_date", "to_date",
                "extent_pct", "hours"),
    "personnel": ("employer_org_number", "personnummer", "employment_id", "org_unit_code", "org_unit_name",
                  "sector", "occupation", "employment_rate_pct", "weekly_hours", "employment_start",
                  "employment_end"),
}
REQUIRED_FIELDS: dict[str, frozenset[str]] = {
    "absence": frozenset({"personnummer", "employment_id", "absence_cause", "from_date", "extent_pct"}),
    "personnel": frozenset({"personnummer", "employment_id", "org_unit_code"}),
}
SCALES = ("percent", "fraction_or_percent")


def normalise_header(text: str) -> str:
    """Header cells compare without case, surrounding space, repeated inner space or a stray BOM."""
    return " ".join(text.replace("\ufeff", "").split()).casefold()


@dataclass(frozen=True)
class Column:
    field: str
    headers: tuple[str, ...]  # accepted spellings, as written in the YAML
    optional: bool


@dataclass(frozen=True)
class Scale:
    kind: str  # percent | fraction_or_percent
    fraction_max: float = 1.0


@dataclass(frozen=True)
class HeaderMatch:
    entity: str
    index: dict[str, int]  # field -> column position in the file (only fields present)
    headers: dict[str, str]  # field -> header text as written in the file (for error messages)
    width: int  # number of columns every row must have


@dataclass(frozen=True)
class Dialect:
    name: str
    description: str
    source: Path
    delimiter: str
    quotechar: str
    decimal_separator: str
    date_formats: tuple[str, ...]
    open_end_values: frozenset[str]  # casefolded
    extent: Scale
    employment_rate: Scale
    org_from: str  # column | file_name
    org_patterns: dict[str, re.Pattern[str]]
    entities: dict[str, tuple[Column, ...]]
    causes: CauseMap
    sectors: dict[str, str]  # casefolded delivered value -> sector

    def match(self, cells: list[str]) -> HeaderMatch | None:
        """The entity whose columns are exactly `cells` (any order; optional columns may be missing)."""
        for entity in self.entities:
            missing, unexpected, index, headers = self.compare(entity, cells)
            if not missing and not unexpected:
                return HeaderMatch(entity, index, headers, len(cells))
        return None

    def compare(self, entity: str, cells: list[str]) -> tuple[list[str], list[str], dict[str, int], dict[str, str]]:
        """(missing headers, unexpected headers, field index, field header) of `cells` against one entity."""
        by_header = {}
        for col in self.entities[entity]:
            for h in col.headers:
                by_header[normalise_header(h)] = col
        index: dict[str, int] = {}
        headers: dict[str, str] = {}
        unexpected = []
        for i, cell in enumerate(cells):
            col = by_header.get(normalise_header(cell))
            if col is None or col.field in index:
                unexpected.append(cell.strip())
            else:
                index[col.field] = i
                headers[col.field] = cell.strip()
        missing = [c.headers[0] for c in self.entities[entity] if c.field not in index and not c.optional]
        return missing, unexpected, index, headers


def _as_tuple(value: object) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    return tuple(str(v) for v in value)


def _scale(spec: object, where: str) -> Scale:
    spec = spec or {"scale": "percent"}
    if not isinstance(spec, dict) or spec.get("scale") not in SCALES:
        raise ConfigError(f"{where}: scale must be one of {SCALES}")
    return Scale(spec["scale"], float(spec.get("fraction_max", 1.0)))


def _columns(entity: str, spec: object, org_from: str, where: str) -> tuple[Column, ...]:
    if entity not in ENTITY_FIELDS:
        raise ConfigError(f"{where}: unknown entity {entity!r} (expected {sorted(ENTITY_FIELDS)})")
    if not isinstance(spec, dict):
        raise ConfigError(f"{where}: expected a mapping of field: header")
    cols = []
    for field, value in spec.items():
        if field not in ENTITY_FIELDS[entity]:
            raise ConfigError(f"{where}.{field}: not a field of {entity} (expected {ENTITY_FIELDS[entity]})")
        optional = False
        if isinstance(value, dict):
            optional = bool(value.get("optional", False))
            value = value.get("header")
        if not value:
            raise ConfigError(f"{where}.{field}: no header text")
        cols.append(Column(field, _as_tuple(value), optional))
    required = set(REQUIRED_FIELDS[entity]) | ({"employer_org_number"} if org_from == "column" else set())
    mapped = {c.field for c in cols if not c.optional}
    if required - mapped:
        raise ConfigError(f"{where}: required fields not mapped (or marked optional): {sorted(required - mapped)}")
    return tuple(cols)


# libyaml's safe loader when PyYAML was built with it (the wheels are): the first file of a process parses the
# dialects, and the pure-Python loader took about 10 ms of a 5,000-employee file's 70 ms load
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def parse_dialect(path: Path) -> Dialect:
    where = path.name
    try:
        doc = yaml.load(path.read_text(encoding="utf-8"), Loader=_SAFE_LOADER)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{where}: not valid YAML: {exc}") from None
    if not isinstance(doc, dict):
        raise ConfigError(f"{where}: expected a mapping at the top level")
    try:
        org = doc.get("employer_org_number") or {"from": "column"}
        org_from = org.get("from")
        if org_from not in ("column", "file_name"):
            raise ConfigError(f"{where}: employer_org_number.from must be 'column' or 'file_name'")
        patterns = {e: re.compile(p, re.IGNORECASE) for e, p in (org.get("patterns") or {}).items()}
        entities = {e: _columns(e, spec, org_from, f"{where}: entities.{e}") for e, spec in doc["entities"].items()}
        if org_from == "file_name":
            for e in entities:
                if e not in patterns or "org" not in patterns[e].groupindex:
                    raise ConfigError(f"{where}: employer_org_number.patterns.{e} needs a (?P<org>...) group")
        delimiter = str(doc["delimiter"])
        if len(delimiter) != 1:
            raise ConfigError(f"{where}: delimiter must be one character")
        return Dialect(
            name=str(doc["name"]),
            description=str(doc.get("description", "")),
            source=path,
            delimiter=delimiter,
            quotechar=str(doc.get("quotechar", '"')),
            decimal_separator=str(doc.get("decimal_separator", ".")),
            date_formats=_as_tuple(doc.get("date_formats", ["%Y-%m-%d"])),
            open_end_values=frozenset(v.strip().casefold() for v in _as_tuple(doc.get("open_end_values", [""]))),
            extent=_scale(doc.get("extent"), f"{where}: extent"),
            employment_rate=_scale(doc.get("employment_rate"), f"{where}: employment_rate"),
            org_from=org_from,
            org_patterns=patterns,
            entities=entities,
            causes=CauseMap(doc.get("causes") or {}, bool(doc.get("causes_case_sensitive", False)), where),
            sectors={str(k).strip().casefold(): str(v) for k, v in (doc.get("sectors") or {}).items()},
        )
    except KeyError as exc:
        raise ConfigError(f"{where}: missing key {exc.args[0]!r}") from None
    except re.error as exc:
        raise ConfigError(f"{where}: bad file name pattern: {exc}") from None


def dialect_dirs() -> tuple[Path, ...]:
    extra = os.environ.get("FRISK_PAYROLL_DIALECTS_DIR")
    return (BUNDLED_DIR, Path(extra)) if extra else (BUNDLED_DIR,)


@cache
def _load(dirs: tuple[Path, ...]) -> tuple[Dialect, ...]:
    found: dict[str, Dialect] = {}
    for folder in dirs:
        for path in sorted(folder.glob("*.y*ml")):
            d = parse_dialect(path)
            if d.name in found:
                raise ConfigError(f"{path.name}: dialect name {d.name!r} already defined in {found[d.name].source}")
            found[d.name] = d
    if not found:
        raise ConfigError(f"no payroll dialects found in {', '.join(map(str, dirs))}")
    return tuple(found.values())


def load_dialects() -> tuple[Dialect, ...]:
    """Every configured dialect (bundled, then site-specific), parsed once per process."""
    return _load(dialect_dirs())
