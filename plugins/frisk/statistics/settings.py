"""The statistics configuration: `sources.yml` beside this module, plus base URLs from the environment.

Base URL precedence: an explicit argument (e.g. from an Airflow connection) > the environment variable
named in `sources.yml` (FRISK_FK_BASE_URL, FRISK_KOLADA_BASE_URL) > the bundled snapshot folder as a
`file://` URL, so the project runs offline through exactly the code that fetches from the internet.
"""

from __future__ import annotations

import datetime as dt
import os
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
SOURCES_FILE = HERE / "sources.yml"


@lru_cache(maxsize=4)
def _load(path: str) -> dict[str, Any]:
    with open(path, encoding="utf-8") as f:
        return yaml.safe_load(f)


def sources(path: Path | None = None) -> dict[str, Any]:
    """The parsed `sources.yml` (cached; treat as read-only)."""
    return _load(str(path or SOURCES_FILE))


def base_url(source: str, override: str | None = None) -> str:
    """Base URL for `fk` or `kolada`, without a trailing slash."""
    cfg = sources()[source]
    url = override or os.environ.get(cfg["base_url_env"]) or (HERE / cfg["snapshot_dir"]).as_uri()
    return url.rstrip("/")


def kolada_years(today: dt.date | None = None) -> list[int]:
    years = sources()["kolada"]["years"]
    last = years.get("to") or (today or dt.date.today()).year
    return list(range(int(years["from"]), int(last) + 1))


def airflow_base_url(source: str) -> str | None:
    """The base URL from the Airflow connection named in `sources.yml`; None when there is no such connection.

    The connection's `extra` may hold {"base_url": "..."}; otherwise its host is used when it is a full URL
    (`AIRFLOW_CONN_FRISK_KOLADA='{"conn_type": "http", "host": "https://api.kolada.se/v2"}'`), else schema,
    host, port and path are put together. Only call this inside an Airflow task.
    """
    from airflow.sdk import Connection

    conn_id = sources()[source]["airflow_connection"]
    try:
        conn = Connection.get(conn_id)
    except Exception:  # not defined: the environment variable or the snapshot applies
        return None
    extra = conn.extra_dejson or {}
    if extra.get("base_url"):
        return str(extra["base_url"])
    host = conn.host or ""
    if "://" in host:
        return host
    if not host:
        return None
    scheme = conn.schema or "https"
    port = f":{conn.port}" if conn.port else ""
    return f"{scheme}://{host}{port}"
