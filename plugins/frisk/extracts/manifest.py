"""manifest.json of a pack folder: every file with its SHA-256, the data period, the run, the headline figures.

The headline figures (already suppressed) let the next pack say what changed without opening old workbooks.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from pathlib import Path

MANIFEST = "manifest.json"
_DATE_DIR = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def file_entry(folder: Path, path: Path, unit_id: str, kind: str) -> dict:
    return {"path": path.relative_to(folder).as_posix(), "unit": unit_id, "kind": kind,
            "bytes": path.stat().st_size, "sha256": sha256_file(path)}


def write_manifest(folder: Path, body: dict) -> Path:
    path = folder / MANIFEST
    path.write_text(json.dumps(body, ensure_ascii=False, indent=2, default=str) + "\n", encoding="utf-8")
    return path


def verify(folder: Path) -> list[str]:
    """Problems with a delivered pack folder (missing files, wrong hashes); empty when it is intact."""
    body = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    problems = []
    for entry in body["files"]:
        p = folder / entry["path"]
        if not p.exists():
            problems.append(f"{entry['path']}: missing")
        elif sha256_file(p) != entry["sha256"]:
            problems.append(f"{entry['path']}: SHA-256 differs from manifest")
    return problems


def previous_manifest(group_dir: Path, as_of: dt.date) -> tuple[dt.date, dict] | None:
    """The latest earlier pack of this group (by folder date) that has a manifest, or None."""
    found = []
    if group_dir.is_dir():
        for d in group_dir.iterdir():
            if d.is_dir() and _DATE_DIR.match(d.name) and (d / MANIFEST).exists():
                when = dt.date.fromisoformat(d.name)
                if when < as_of:
                    found.append((when, d))
    if not found:
        return None
    when, d = max(found)
    return when, json.loads((d / MANIFEST).read_text(encoding="utf-8"))
