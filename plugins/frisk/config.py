"""Where things live: every path and connection setting comes from the environment, with defaults.

`FRISK_HOME` (state: embedded PostgreSQL, Airflow home, pseudonym key), `FRISK_LANDING_DIR` (incoming files),
`FRISK_WAREHOUSE_URL` (an external PostgreSQL instead of the embedded one), `FRISK_OUTBOX_DIR` (meeting packs).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"
EXPECTATIONS_DIR = REPO_ROOT / "expectations"
DAGS_DIR = REPO_ROOT / "dags"
DAGS_FILE_FOLDER = DAGS_DIR

LANDING_SOURCES = ("payroll", "invoices", "payments", "statistics")


@dataclass(frozen=True)
class Settings:
    home: Path
    landing_dir: Path
    outbox_dir: Path
    warehouse_url: str | None  # None means: the embedded PostgreSQL under `home`

    @property
    def pgdata(self) -> Path:
        return self.home / "pgdata"

    @property
    def airflow_home(self) -> Path:
        return self.home / "airflow"

    @property
    def key_file(self) -> Path:
        return self.home / "pseudonym.key"

    @property
    def archive_dir(self) -> Path:
        return self.landing_dir.parent / "archive"

    @property
    def rejected_dir(self) -> Path:
        return self.landing_dir.parent / "rejected"


def settings() -> Settings:
    """Read the settings now (not at import), so tests and the CLI can change the environment first."""
    home = Path(os.environ.get("FRISK_HOME", REPO_ROOT / ".frisk")).resolve()
    landing = Path(os.environ.get("FRISK_LANDING_DIR", REPO_ROOT / "data" / "landing")).resolve()
    outbox = Path(os.environ.get("FRISK_OUTBOX_DIR", REPO_ROOT / "data" / "outbox")).resolve()
    url = os.environ.get("FRISK_WAREHOUSE_URL") or None
    return Settings(home=home, landing_dir=landing, outbox_dir=outbox, warehouse_url=url)
