"""Meeting packs for regional collaboration meetings: Excel, PNG charts, a PDF summary and a manifest.

`build_packs(as_of, run_id)` is the entry point (used by dags/meeting_extract.py); the configuration is
meetings.yml beside this file. Imported lazily so `import frisk.extracts` stays cheap for DAG parsing.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path


def build_packs(as_of: dt.date, run_id: str | None = None, **kwargs) -> list[Path]:
    from frisk.extracts.pack import build_packs as _build

    return _build(as_of, run_id, **kwargs)


__all__ = ["build_packs"]
