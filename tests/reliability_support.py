"""Helpers shared by the reliability tests (tests/test_reliability_*.py): warehouse fingerprints, demo deliveries,
subprocess loaders.

A fingerprint is the row count and an order-independent checksum of every table outside `audit` (whose rows
record *that* a run happened, with timestamps and run ids, and so legitimately grow with every run).
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import psycopg

# audit.* records runs (times, run ids); marts_build is the build-aside schema, which after a publish holds the
# previous night's marts as the rollback copy, so it is compared separately where it matters.
EXCLUDED_SCHEMAS = ("audit", "marts_build", "pg_catalog", "information_schema", "pg_toast")
# What the incremental build found changed since the previous night (is_dirty, previous_as_of_date, the first
# month each changed person's month hours were recomputed from, the spells recomputed; the same for the outcome
# models): a record of the run, like audit, so a second identical night legitimately differs there. Their state
# tables are compared.
EXCLUDED_TABLES = ("intermediate.int_payroll_person_changes", "intermediate.int_month_hours_changes",
                   "intermediate.int_sick_spell_changes", "intermediate.int_outcome_person_changes")
# The dbt invocation that wrote a state table (int_payroll_person_state, int_outcome_person_state): a record of the
# run in every row, left out of every checksum.
RUN_ID_COLUMNS = ("build_id",)
DEMO_END = dt.date(2024, 12, 31)
DEMO_EMPLOYEES = 150
DEMO_SEED = 42
Fingerprint = dict[str, tuple[int, str]]


def fingerprint(url: str, schemas: tuple[str, ...] | None = None,
                exclude: tuple[str, ...] = EXCLUDED_SCHEMAS, exclude_columns: tuple[str, ...] = (),
                without_dbt_leftovers: bool = False) -> Fingerprint:
    """{schema.table: (rows, md5 of the sorted row md5s)} for every base table (of `schemas`, or all but `exclude`).

    `exclude_columns` leaves columns out of the checksum (ids from sequences, load times) to compare content only;
    RUN_ID_COLUMNS are always left out.
    `without_dbt_leftovers` skips dbt's `__dbt_backup`/`__dbt_tmp` relations: dbt drops a replaced table's backup
    after the commit that swapped it in, so a build killed in between leaves one, which dbt itself drops when it
    next builds that model.
    """
    out: Fingerprint = {}
    with psycopg.connect(url) as conn:
        tables = conn.execute(
            """select n.nspname, c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
               where c.relkind in ('r', 'p') and n.nspname not like 'pg_temp%%' and n.nspname not like 'pg_toast%%'
                 and (%(only)s::text[] is null or n.nspname = any(%(only)s))
                 and not n.nspname = any(%(exclude)s)
               order by 1, 2""",
            {"only": list(schemas) if schemas else None, "exclude": list(exclude)},
        ).fetchall()
        for schema, table in tables:
            if f"{schema}.{table}" in EXCLUDED_TABLES:
                continue
            if without_dbt_leftovers and table.endswith(("__dbt_backup", "__dbt_tmp")):
                continue
            columns = [c for (c,) in conn.execute(
                "select column_name from information_schema.columns where table_schema = %s and table_name = %s "
                "order by ordinal_position", (schema, table))]
            row = "t::text"
            if exclude_columns or set(columns) & set(RUN_ID_COLUMNS):
                kept = [c for c in columns if c not in exclude_columns and c not in RUN_ID_COLUMNS]
                row = "row(" + ", ".join(f't."{c}"' for c in kept) + ")::text"
            count, digest = conn.execute(
                f"select count(*), coalesce(md5(string_agg(md5({row}), '' order by md5({row}))), '') "
                f'from "{schema}"."{table}" t'
            ).fetchone()
            out[f"{schema}.{table}"] = (count, digest)
    return out


def generate_demo(target: Path, employees: int = DEMO_EMPLOYEES, years: int = 1) -> dict:
    """The demo generator's landing tree (payroll, invoices, payments) under `target`, always the same bytes."""
    from frisk.demo import generate

    return generate(target, employees=employees, years=years, seed=DEMO_SEED, end_date=DEMO_END)


def deliver(demo: Path, landing: Path, *sources: str) -> list[Path]:
    """Copy the demo files of `sources` into the landing folders (a delivery, or a re-delivery of the same bytes).

    Everything is delivered, the demo's credit note included: the mart check `grant_within_rate_of_paid` compares
    magnitudes, so a paid credit note (paid < 0, grant <= 0) passes and the build publishes.
    """
    copied = []
    for source in sources:
        (landing / source).mkdir(parents=True, exist_ok=True)
        for f in sorted((demo / source).iterdir()):
            copied.append(Path(shutil.copy2(f, landing / source / f.name)))
    return copied


def data_lines(path: Path) -> int:
    """Non-blank lines after the header: what 'rows in' means for a delimited file."""
    with path.open("rb") as f:
        return max(sum(1 for line in f if line.strip()) - 1, 0)


def batches(url: str, source: str | None = None) -> list[tuple]:
    """(file_name, status, rows_read, rows_loaded, rows_quarantined) of every batch, in batch order."""
    with psycopg.connect(url) as conn:
        return conn.execute(
            """select file_name, status, rows_read, rows_loaded, rows_quarantined from audit.batches
               where %(s)s::text is null or source = %(s)s order by batch_id""", {"s": source}).fetchall()
