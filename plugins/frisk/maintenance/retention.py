"""Retention: purge person-level rows older than the configured period, and record what was removed."""

from __future__ import annotations

import datetime as dt
import logging
from importlib import resources
from pathlib import Path

import psycopg
import yaml

from frisk.warehouse import server_url

log = logging.getLogger(__name__)


def load_config(path: Path | None = None) -> dict:
    text = path.read_text(encoding="utf-8") if path else \
        resources.files("frisk.maintenance").joinpath("retention.yml").read_text(encoding="utf-8")
    return yaml.safe_load(text)


def cutoff(today: dt.date, years: int) -> dt.date:
    try:
        return today.replace(year=today.year - years)
    except ValueError:  # 29 February
        return today.replace(year=today.year - years, day=28)


def purge(today: dt.date | None = None, config: dict | None = None, run_id: str | None = None,
          conninfo: str | None = None) -> list[dict]:
    """Delete rows older than the cutoff from each configured table, in one transaction. Returns per table."""
    cfg = config or load_config()
    today = today or dt.date.today()
    limit = cutoff(today, int(cfg["retention_years"]))
    results = []
    with psycopg.connect(conninfo or server_url("warehouse")) as conn:
        for entry in cfg["tables"]:
            table, expr = entry["table"], entry["older_than"]
            schema, name = table.split(".")
            exists = conn.execute("select to_regclass(%s)", (table,)).fetchone()[0]
            if exists is None:
                continue
            # table and expression come from the reviewed YAML above, never from user input
            qualified = psycopg.sql.Identifier(schema, name)
            query = psycopg.sql.SQL("delete from {} where ({}) < %s").format(qualified, psycopg.sql.SQL(expr))
            removed = conn.execute(query, (limit,)).rowcount
            conn.execute(
                "insert into audit.retention_runs (run_id, table_name, cutoff_date, rows_removed) "
                "values (%s, %s, %s, %s)", (run_id, table, limit, removed))
            results.append({"table": table, "cutoff_date": limit.isoformat(), "rows_removed": removed})
            log.info("retention: %s rows older than %s removed from %s", removed, limit, table)
        conn.commit()
    return results
