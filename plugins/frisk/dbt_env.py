"""The environment dbt needs: connection fields derived from the warehouse URL, and private target/log paths.

dbt's profile wants host/port/user/dbname separately; the rest of Frisk passes one URL. A unix-socket URL
(`?host=/path`) works too, since libpq treats a host starting with '/' as a socket directory.

The build's sessions get a larger `work_mem` (FRISK_DBT_WORK_MEM, default 128MB, through libpq's PGOPTIONS,
which dbt-postgres leaves alone): PostgreSQL's default of 4MB made the build's sorts and hashes of a few million
rows (distinct counts, the outcome pool) spill to disk, 2-3x slower at 50,000 employees. With dbt's threads
and a few sort nodes per query this stays well under a gigabyte.

dbt runs one thread more than the cores this process may use (FRISK_DBT_THREADS overrides it; 1 gives each
node's time alone): the extra thread keeps the cores busy while another waits on dbt's own Python (compiling,
logging, introspection). More threads than that only make the nodes on the night's critical path share the cores
with more of the others: on 2 cores, 3 threads ran the incremental night at 50,000 x 5 years in 12.3 s on average
against 12.9 s with 4 (eight runs each, alternating; bench/README.md, session 13).

dbt's file log (logs/dbt.log) is written at info level (FRISK_DBT_LOG_LEVEL_FILE overrides it; `debug` logs
every statement with its SQL, about 2.5 MB a night at 50,000 x 5 years). Formatting and writing those lines is
Python that holds the one interpreter lock dbt's threads share: at info a night at 50,000 x 5 years used 9.5 s of
the process's CPU against 10.0 s at debug (medians of four warm nights each, alternating). What each node ran
stays in target/run/, and its timing and result in audit.dbt_nodes.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from frisk.config import DBT_PROJECT_DIR
from frisk.warehouse import server_url


def default_threads() -> int:
    """dbt's threads unless FRISK_DBT_THREADS says otherwise: the usable cores plus one."""
    return len(os.sched_getaffinity(0)) + 1


def dbt_environ(warehouse_url: str | None = None, target_path: Path | None = None, *,
                incremental_night: bool = False) -> dict[str, str]:
    """dbt's environment for the warehouse at `warehouse_url`; `incremental_night`: the sessions of an incremental
    build (build_aside when not a full refresh), which run without parallel query workers (see above)."""
    url = warehouse_url or server_url("warehouse")
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    host = query.get("host", [parts.hostname or "localhost"])[0]
    env = {
        "FRISK_DBT_HOST": host,
        "FRISK_DBT_PORT": str(parts.port or query.get("port", ["5432"])[0]),
        "FRISK_DBT_USER": unquote(parts.username or "postgres"),
        "FRISK_DBT_PASSWORD": unquote(parts.password or ""),
        "FRISK_DBT_DBNAME": parts.path.lstrip("/") or "warehouse",
        "DBT_PROFILES_DIR": str(DBT_PROJECT_DIR),
        "DBT_PROJECT_DIR": str(DBT_PROJECT_DIR),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "PGOPTIONS": _pg_options(incremental_night),
        "FRISK_DBT_THREADS": os.environ.get("FRISK_DBT_THREADS") or str(default_threads()),
        "DBT_LOG_LEVEL_FILE": os.environ.get("FRISK_DBT_LOG_LEVEL_FILE") or "info",
    }
    if target_path is not None:
        # separate target/log folders let tests and concurrent runs use dbt side by side
        env["DBT_TARGET_PATH"] = str(target_path)
        env["DBT_LOG_PATH"] = str(target_path / "logs")
    return env


def _pg_options(incremental_night: bool) -> str:
    options = f"-c work_mem={os.environ.get('FRISK_DBT_WORK_MEM', '128MB')}"
    if incremental_night:
        workers = os.environ.get("FRISK_DBT_NIGHT_PARALLEL_WORKERS") or "0"
        if not workers.isdigit():
            raise ValueError(f"FRISK_DBT_NIGHT_PARALLEL_WORKERS must be a whole number of workers, not {workers!r}")
        options += f" -c max_parallel_workers_per_gather={workers}"
    return options


def apply(warehouse_url: str | None = None, target_path: Path | None = None) -> dict[str, str]:
    env = dbt_environ(warehouse_url, target_path)
    os.environ.update(env)
    return env
