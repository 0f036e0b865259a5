"""Duplicate rows within one file, confirmed by PostgreSQL after the COPY, in the same transaction.

A row is a duplicate when every value after validation and pseudonymisation equals an earlier row's (so the same
person written as `19YYMMDD-NNNC` and `YYMMDDNNNC` counts as the same row). The parser keeps a set of row hashes
and notes the lines whose hash it has seen before (candidates); this hook confirms them exactly in SQL, looking
only at the persons involved. A file with no candidate costs nothing here. For a file too large to track in
memory the parser gives up the set, and the whole batch is checked in SQL (PostgreSQL's sort spills to disk, so
memory stays bounded). The later copies move to quarantine.rows ("duplicate of line N"); the first one stays.
"""

from __future__ import annotations

from collections.abc import Callable

import psycopg

from frisk.loading import FileInfo
from frisk.payroll.parse import COLUMNS

Hook = Callable[[psycopg.Connection, int], int]


def quarantine_duplicates(table: str, info: FileInfo, file_name: str) -> Hook:
    """An `after_copy` hook for frisk.loading.load_file: returns how many rows of `table` it quarantined."""
    keys = ", ".join(c for c in COLUMNS[table] if c != "line_no")
    # person_key is left out of the quarantine record: the line numbers identify the rows well enough.
    record_cols = [c for c in COLUMNS[table] if c not in ("line_no", "person_key")]
    record = "jsonb_build_object(" + ", ".join(f"'{c}', t.{c}" for c in record_cols) + ")"
    scope = {
        "check_all": "",
        "candidates": "and person_key = any(%(persons)s::text[])",
    }

    # Each step is its own statement over a short list from the step before. The planner has no statistics yet
    # for the batch just copied (it guesses one row), so a single statement joining the batch to itself got
    # nested loops over the whole batch: minutes for a file of a million rows. Lists leave it nothing to guess.
    def find(mode: str) -> str:
        return f"""
            select line_no, first_line from (
                select line_no, min(line_no) over (partition by {keys}) as first_line
                from {table} where batch_id = %(batch)s::bigint {scope[mode]}
            ) ranked where line_no <> first_line
        """

    move = f"""
        with gone as (
            delete from {table} t where t.batch_id = %(batch)s::bigint and t.line_no = any(%(lines)s::bigint[])
            returning t.*
        )
        insert into quarantine.rows (batch_id, source, entity, file_name, line_no, field, reason, record)
        select %(batch)s, 'payroll', %(entity)s, %(file)s, t.line_no, null,
               'duplicate of line ' || f.first_line || ' (every value is the same)', {record}
        from gone t join unnest(%(lines)s::bigint[], %(firsts)s::bigint[]) as f (line_no, first_line)
             on f.line_no = t.line_no
    """

    def run(conn: psycopg.Connection, batch_id: int) -> int:
        mode = info.extra.get("duplicates", "check_all")
        lines = info.extra.get("duplicate_candidates") or []
        if mode == "candidates" and not lines:
            return 0
        with conn.cursor() as cur:
            persons: list[str] = []
            if mode == "candidates":
                # bigint[] like the column: PostgreSQL then hashes the list (an int[] list is searched row by
                # row, 9 s instead of 0.2 s for 3,000 candidates in a batch of a million rows)
                cur.execute(f"select distinct person_key from {table} "
                            "where batch_id = %s::bigint and line_no = any(%s::bigint[])", (batch_id, lines))
                persons = [p for (p,) in cur.fetchall()]
            cur.execute(find(mode), {"batch": batch_id, "persons": persons})
            duplicates = cur.fetchall()
            if not duplicates:
                return 0
            cur.execute(move, {"batch": batch_id, "entity": info.entity, "file": file_name,
                               "lines": [d[0] for d in duplicates], "firsts": [d[1] for d in duplicates]})
            return cur.rowcount

    return run
