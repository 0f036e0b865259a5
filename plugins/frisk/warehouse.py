"""The warehouse connection: the embedded PostgreSQL (pgserver) under FRISK_HOME, or FRISK_WAREHOUSE_URL.

The embedded server keeps running after the process that started it exits (so `frisk up` then `psql "$(frisk
url)"` works); `frisk down` stops it. It listens on a unix socket only, so nothing is exposed on the network.
"""

from __future__ import annotations

import logging
import os
import subprocess
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg

from frisk.config import settings

log = logging.getLogger(__name__)

DATABASES = ("warehouse", "airflow")


def _embedded_server(pgdata: Path):
    # pgserver looks up a runtime dir at import; keep it inside FRISK_HOME rather than /tmp/runtime-<uid>.
    os.environ.setdefault("XDG_RUNTIME_DIR", str(pgdata.parent / "run"))
    Path(os.environ["XDG_RUNTIME_DIR"]).mkdir(parents=True, exist_ok=True, mode=0o700)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pgserver

    pgdata.mkdir(parents=True, exist_ok=True)
    _clear_stale_pid_file(pgdata)
    # cleanup_mode=None: the server outlives this process; `frisk down` stops it.
    return pgserver.get_server(pgdata, cleanup_mode=None)


def _clear_stale_pid_file(pgdata: Path) -> None:
    """After a crash the postmaster's lock files stay behind (postmaster.pid and the socket's .lock). A killed
    postmaster can linger as a zombie nobody reaps, and both pgserver and PostgreSQL take a pid that still exists
    for a running server: `frisk up` would never restart it. Lock files whose process is gone or a zombie are
    stale; removing them lets PostgreSQL start with crash recovery."""
    import psutil

    for lock in [pgdata / "postmaster.pid", *pgdata.glob(".s.PGSQL.*.lock")]:
        try:
            pid = int(lock.read_text().split()[0])
        except (OSError, ValueError, IndexError):
            continue
        try:
            if psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
                continue
        except psutil.NoSuchProcess:
            pass
        log.warning("removing stale %s (pid %s is gone): the server starts with crash recovery", lock, pid)
        lock.unlink(missing_ok=True)


def server_url(database: str = "warehouse") -> str:
    """URL of `database` on the configured server, starting the embedded one when needed."""
    cfg = settings()
    if cfg.warehouse_url:
        # The URL names the warehouse database; Airflow's and the maintenance database sit beside it.
        return cfg.warehouse_url if database == "warehouse" else _with_database(cfg.warehouse_url, database)
    srv = _embedded_server(cfg.pgdata)
    return srv.get_uri(database)


def _with_database(url: str, database: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + database))


def ensure_databases() -> None:
    """Create the `warehouse` and `airflow` databases when missing (idempotent)."""
    with psycopg.connect(server_url("postgres"), autocommit=True) as conn:
        existing = {r[0] for r in conn.execute("select datname from pg_database")}
        for name in DATABASES:
            if name not in existing:
                conn.execute(f'create database "{name}"')
                log.info("created database %s", name)


def stop_embedded() -> bool:
    """Stop the embedded server if it runs. Returns whether one was stopped."""
    cfg = settings()
    pid_file = cfg.pgdata / "postmaster.pid"
    if not pid_file.exists():
        return False
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from pgserver._commands import POSTGRES_BIN_PATH
    cmd = [str(POSTGRES_BIN_PATH / "pg_ctl"), "stop", "-D", str(cfg.pgdata), "-m", "fast", "-w"]
    if os.geteuid() == 0:  # pgserver runs the server as the unprivileged `pgserver` user when we are root
        cmd = ["su", "pgserver", "-s", "/bin/sh", "-c", " ".join(cmd)]
    subprocess.run(cmd, check=True, capture_output=True)
    return True


def sqlalchemy_url(database: str = "warehouse", driver: str = "psycopg") -> str:
    """The same URL for SQLAlchemy (`postgresql+psycopg://` or `postgresql+psycopg2://`)."""
    url = server_url(database)
    return url.replace("postgresql://", f"postgresql+{driver}://", 1)


@contextmanager
def connect(autocommit: bool = False, database: str = "warehouse") -> Iterator[psycopg.Connection]:
    with psycopg.connect(server_url(database), autocommit=autocommit) as conn:
        yield conn


def migrate(conninfo: str | None = None) -> list[str]:
    """Apply the SQL files in frisk/migrations in name order, once each. Returns the names applied now.

    All pending migrations and their bookkeeping rows commit in one transaction, so a failure leaves the
    database as it was. A transaction-level advisory lock serialises concurrent callers.
    """
    applied_now: list[str] = []
    files = sorted(
        (f for f in resources.files("frisk.migrations").iterdir() if f.name.endswith(".sql")),
        key=lambda f: f.name,
    )
    with psycopg.connect(conninfo or server_url("warehouse")) as conn:
        conn.execute("select pg_advisory_xact_lock(hashtext('frisk.migrate'))")
        conn.execute("create schema if not exists meta")
        conn.execute(
            "create table if not exists meta.schema_migrations "
            "(name text primary key, applied_at timestamptz not null default now())"
        )
        done = {r[0] for r in conn.execute("select name from meta.schema_migrations")}
        for f in files:
            if f.name in done:
                continue
            conn.execute(f.read_text(encoding="utf-8"))
            conn.execute("insert into meta.schema_migrations(name) values (%s)", (f.name,))
            applied_now.append(f.name)
            log.info("applied migration %s", f.name)
        conn.commit()
    return applied_now


def up() -> str:
    """Start (or find) the server, create the databases, apply migrations. Returns the warehouse URL."""
    if not settings().warehouse_url:
        ensure_databases()  # an external server's databases are the administrator's
    migrate()
    from frisk.security import ensure_service_logins

    ensure_service_logins()
    return server_url("warehouse")
