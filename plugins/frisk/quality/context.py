"""The Great Expectations file context, run from a working copy under FRISK_HOME.

The committed project (expectations/gx: great_expectations.yml, suites, validation definitions, checkpoints) is
copied into FRISK_HOME/gx before each use; validation results and Data Docs are written there (in its
`uncommitted/`), never into the repository, and concurrent runs with different homes never share files.
GX is imported inside the functions: the import alone takes seconds.
"""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path
from typing import Any

from frisk.config import EXPECTATIONS_DIR, settings

log = logging.getLogger(__name__)

PROJECT_DIR = EXPECTATIONS_DIR / "gx"
# committed parts of the project; everything else in the working copy (uncommitted/) is output
_COMMITTED = ("great_expectations.yml", "expectations", "validation_definitions", "checkpoints")
RUNTIME_DATASOURCE = "frisk_runtime"


def working_dir() -> Path:
    return settings().home / "gx"


def data_docs_index() -> Path | None:
    """The Data Docs front page of this FRISK_HOME, when it has been built."""
    index = working_dir() / "uncommitted" / "data_docs" / "local_site" / "index.html"
    return index if index.exists() else None


def _sync_working_copy(target: Path) -> None:
    target.mkdir(parents=True, exist_ok=True)
    for name in _COMMITTED:
        src, dst = PROJECT_DIR / name, target / name
        if dst.is_dir():
            shutil.rmtree(dst)
        if src.is_dir():
            shutil.copytree(src, dst)
        elif src.exists():
            shutil.copy2(src, dst)
    (target / "uncommitted").mkdir(exist_ok=True)


def open_context() -> Any:
    """A FileDataContext on a fresh working copy of the committed project."""
    # GX reports progress bars and usage statistics otherwise; neither belongs in a nightly task log
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    import great_expectations as gx

    root = working_dir()
    _sync_working_copy(root)
    ctx = gx.get_context(mode="file", project_root_dir=str(root.parent), )
    return ctx


def runtime_asset(ctx: Any, name: str) -> Any:
    """The whole-dataframe batch definition of dataframe asset `name` (created in the working copy if new)."""
    ds = ctx.data_sources.get(RUNTIME_DATASOURCE)
    try:
        asset = ds.get_asset(name)
    except LookupError:
        asset = ds.add_dataframe_asset(name)
    try:
        return asset.get_batch_definition("batch")
    except (KeyError, LookupError):
        return asset.add_batch_definition_whole_dataframe("batch")


def build_data_docs(ctx: Any | None = None) -> Path | None:
    """Rebuild the Data Docs site from every validation result of this FRISK_HOME; returns index.html."""
    ctx = ctx or open_context()
    ctx.build_data_docs()
    index = data_docs_index()
    if index:
        log.info("GX Data Docs: %s", index)
    return index
