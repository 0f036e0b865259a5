"""The privacy scan: search every table, log and outbox file for anything shaped like a personnummer with a valid
check digit. A hit fails the run and names where it is, never what it is (the number is masked in the report).
"""

from __future__ import annotations

import logging
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql

from frisk.identity import find_personnummer
from frisk.warehouse import server_url

log = logging.getLogger(__name__)

# A prefilter PostgreSQL can evaluate fast; Python then checks the Luhn digit and the month.
_SQL_SHAPE = r"(^|[^0-9A-Za-z])((19|20)?[0-9]{6}[-+]?[0-9]{4})([^0-9A-Za-z]|$)"
_TEXT_TYPES = ("text", "character varying", "character", "jsonb", "json")
_SKIP_SCHEMAS = ("pg_catalog", "information_schema", "pg_toast")
_TEXT_SUFFIXES = (".txt", ".log", ".csv", ".json", ".md", ".html", ".xml", ".yml", ".yaml", ".sql")


@dataclass(frozen=True)
class Hit:
    where: str   # schema.table.column or a file path (with line, sheet or page)
    count: int

    def __str__(self) -> str:
        return f"{self.where}: {self.count} personnummer-shaped value(s)"


def scan_database(conninfo: str | None = None, max_rows_per_column: int = 1000) -> list[Hit]:
    hits: list[Hit] = []
    with psycopg.connect(conninfo or server_url("warehouse")) as conn:
        columns = conn.execute(
            """select c.table_schema, c.table_name, c.column_name
                 from information_schema.columns c
                 join information_schema.tables t using (table_schema, table_name)
                where c.data_type = any(%s) and not (c.table_schema = any(%s))
                  and c.table_schema not like 'pg_temp%%'
                order by 1, 2, 3""",
            (list(_TEXT_TYPES), list(_SKIP_SCHEMAS)),
        ).fetchall()
        for schema, table, column in columns:
            query = sql.SQL("select {col}::text from {tbl} where {col}::text ~ %s limit %s").format(
                col=sql.Identifier(column), tbl=sql.Identifier(schema, table))
            try:
                values = [r[0] for r in conn.execute(query, (_SQL_SHAPE, max_rows_per_column))]
            except psycopg.Error:
                conn.rollback()  # a view over something we may not read; the tables behind it are scanned
                continue
            n = sum(len(find_personnummer(v)) for v in values if v)
            if n:
                hits.append(Hit(f"{schema}.{table}.{column}", n))
    return hits


def _file_texts(path: Path) -> Iterable[tuple[str, str]]:
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        with zipfile.ZipFile(path) as zf:
            for name in zf.namelist():
                if name.endswith(".xml"):
                    yield f"{path}!{name}", zf.read(name).decode("utf-8", "replace")
    elif suffix == ".pdf":
        from pypdf import PdfReader

        for i, page in enumerate(PdfReader(path).pages, start=1):
            yield f"{path} page {i}", page.extract_text() or ""
    elif suffix in _TEXT_SUFFIXES or path.name.endswith(".error.txt"):
        yield str(path), path.read_text(encoding="utf-8", errors="replace")


def scan_files(roots: Iterable[Path]) -> list[Hit]:
    hits: list[Hit] = []
    for root in roots:
        if not root.exists():
            continue
        files = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
        for path in files:
            try:
                for where, text in _file_texts(path):
                    n = len(find_personnummer(text))
                    if n:
                        hits.append(Hit(where, n))
            except (OSError, zipfile.BadZipFile, ValueError) as exc:
                log.warning("privacy scan could not read %s: %s", path, exc)
    return hits


def default_roots() -> list[Path]:
    """Logs, the outbox and rejected files' error reports: everything Frisk itself writes outside the database."""
    from frisk.config import settings

    cfg = settings()
    roots = [cfg.home / "logs", cfg.airflow_home / "logs", cfg.outbox_dir]
    rejected = cfg.rejected_dir
    if rejected.exists():
        roots.extend(rejected.rglob("*.error.txt"))
    return roots


def scan(conninfo: str | None = None, roots: Iterable[Path] | None = None) -> list[Hit]:
    hits = scan_database(conninfo) + scan_files(default_roots() if roots is None else roots)
    for hit in hits:
        log.error("privacy scan: %s", hit)
    return hits
