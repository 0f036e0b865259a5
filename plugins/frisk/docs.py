"""dbt docs: generate the catalogue (every mart and column described) and serve it locally."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from frisk.config import DBT_PROJECT_DIR
from frisk.dbt_env import dbt_environ


def _dbt() -> str:
    return str(Path(sys.executable).parent / "dbt")


def generate(target_path: Path | None = None) -> Path:
    target = target_path or DBT_PROJECT_DIR / "target"
    env = {**os.environ, **dbt_environ(target_path=target)}
    subprocess.run([_dbt(), "docs", "generate", "--project-dir", str(DBT_PROJECT_DIR), "--quiet"], env=env,
                   check=True)
    return target / "index.html"


def serve(port: int = 8081) -> None:
    env = {**os.environ, **dbt_environ()}
    subprocess.run([_dbt(), "docs", "serve", "--project-dir", str(DBT_PROJECT_DIR), "--port", str(port),
                    "--no-browser"], env=env, check=False)
