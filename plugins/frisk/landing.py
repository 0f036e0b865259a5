"""The landing folders: which files wait, their hashes, and where they go afterwards.

`landing/<source>/` holds new files; a processed file moves to `archive/<source>/`, a rejected one to
`rejected/<source>/` with a sibling `<name>.error.txt` that a person can read. Names collide over time (a corrected
file keeps its name), so moved files get a timestamp prefix.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import shutil
from pathlib import Path

from frisk.config import settings
from frisk.identity import mask_personnummer

_CHUNK = 1 << 20


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(_CHUNK):
            h.update(chunk)
    return h.hexdigest()


def source_dir(source: str) -> Path:
    return settings().landing_dir / source


def pending_files(source: str, suffixes: tuple[str, ...] | None = None) -> list[Path]:
    """Files waiting in landing/<source>/, oldest name first. Hidden and partial (`.part`, `.tmp`) files wait."""
    folder = source_dir(source)
    if not folder.is_dir():
        return []
    files = []
    for p in sorted(folder.iterdir()):
        if not p.is_file() or p.name.startswith(".") or p.suffix in (".part", ".tmp"):
            continue
        if p.name.endswith(".error.txt"):
            continue
        if suffixes and not p.name.lower().endswith(suffixes):
            continue
        files.append(p)
    return files


def _stamp() -> str:
    return dt.datetime.now().strftime("%Y%m%dT%H%M%S%f")


def _move(path: Path, target_dir: Path) -> Path | None:
    """Move `path` into `target_dir` (timestamped name); None when another run moved it away first."""
    target_dir.mkdir(parents=True, exist_ok=True)
    target = target_dir / f"{_stamp()}__{path.name}"
    try:
        os.replace(path, target)
    except FileNotFoundError:
        # Two runs over one landing folder finish the same file at once (one loaded it, the other skipped it): the
        # other run won the move between our existence check and ours. Not an error; the batch is recorded.
        if path.exists():
            raise
        return None
    except OSError:  # another file system
        shutil.move(str(path), target)
    return target


def archive(path: Path, source: str) -> Path | None:
    """Move a processed file to archive/<source>/. A file another run already moved is not an error."""
    if not path.exists():
        return None
    return _move(path, settings().archive_dir / source)


def reject(path: Path, source: str, message: str) -> Path | None:
    """Move an unreadable file to rejected/<source>/ and write a readable `.error.txt` beside it."""
    if not path.exists():
        return None
    target = _move(path, settings().rejected_dir / source)
    if target is None:
        return None  # another run moved it (and wrote its own .error.txt)
    text = (
        f"File: {path.name}\n"
        f"Source: {source}\n"
        f"Rejected at: {dt.datetime.now().isoformat(timespec='seconds')}\n\n"
        f"{mask_personnummer(message)}\n\n"
        "Nothing from this file was loaded. Correct the file and deliver it again into the landing folder.\n"
    )
    target.with_name(target.name + ".error.txt").write_text(text, encoding="utf-8")
    return target
