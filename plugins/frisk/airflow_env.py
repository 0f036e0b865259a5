"""The environment Airflow runs in for `frisk run`, `make airflow` and the DAG tests.

Airflow reads its configuration from the environment when it is imported, so everything here is computed before
any `airflow` import and passed to subprocesses (or set with `apply()` before an in-process import).
"""

from __future__ import annotations

import os
from pathlib import Path

from frisk.config import DAGS_FILE_FOLDER, settings
from frisk.warehouse import sqlalchemy_url


def airflow_environ(metadata_url: str | None = None) -> dict[str, str]:
    cfg = settings()
    home = cfg.airflow_home
    (home / "plugins").mkdir(parents=True, exist_ok=True)
    env = {
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS_FILE_FOLDER),
        # an empty plugins folder: the frisk package is installed, and Airflow must not import it as plugins
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(home / "plugins"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__DEFAULT_TIMEZONE": "Europe/Stockholm",
        "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": metadata_url or os.environ.get("FRISK_AIRFLOW_DB_URL")
        or sqlalchemy_url("airflow", driver="psycopg2"),
        "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(home / "logs"),
        "AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK": "False",
        "AIRFLOW__API__EXPOSE_CONFIG": "False",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "True",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(home / "passwords.json"),
    }
    for name in ("FRISK_HOME", "FRISK_LANDING_DIR", "FRISK_OUTBOX_DIR", "FRISK_WAREHOUSE_URL"):
        value = {
            "FRISK_HOME": str(cfg.home),
            "FRISK_LANDING_DIR": str(cfg.landing_dir),
            "FRISK_OUTBOX_DIR": str(cfg.outbox_dir),
            "FRISK_WAREHOUSE_URL": cfg.warehouse_url or sqlalchemy_url("warehouse").replace("+psycopg", ""),
        }[name]
        env[name] = value
    return env


def apply(metadata_url: str | None = None) -> dict[str, str]:
    """Set the Airflow environment in this process (before importing airflow)."""
    env = airflow_environ(metadata_url)
    os.environ.update(env)
    return env


def airflow_bin() -> Path:
    import sys

    return Path(sys.executable).parent / "airflow"
