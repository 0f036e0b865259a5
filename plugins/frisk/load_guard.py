"""The guard every loader puts around one file (or one fetched dataset): the two things that are not bad input.

1. **The warehouse is unreachable**, or the connection breaks mid-load (`psycopg.OperationalError`): the task is
   retried by Airflow, so the message must say what is wrong without a traceback to read: which file, which
   warehouse (the URL without its password), why, and that nothing was lost (the server rolls back an unfinished
   transaction and the file stays in landing). Raised as `WarehouseUnavailable`.
2. **Another run moved the file away** (two runs over the same landing folder, or a retried task whose first try
   already archived it): the file is skipped, not an error. The other run's transaction holds the batch (unique
   per SHA-256) and ours rolled back, so nothing is lost or loaded twice.

Bad *content* is not handled here: parsers reject or quarantine it and `frisk.loading.load_file` records that.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit, urlunsplit

import psycopg

from frisk.identity import mask_personnummer
from frisk.loading import LoadResult
from frisk.warehouse import server_url

log = logging.getLogger(__name__)

T = TypeVar("T")

FILE_STAYS = "nothing from this file was loaded and it stays in landing for the next attempt"
NO_LONGER_IN_LANDING = "file no longer in landing"
MOVED_BY_ANOTHER_RUN = "file moved away by another run while this one was reading it"


class WarehouseUnavailable(RuntimeError):
    """The warehouse cannot be reached (or the connection broke mid-load): retry later, the input waits."""


def safe_url(url: str) -> str:
    """The connection URL without its password, for messages."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)
    user = (parts.username or "") + ":***"
    return urlunsplit(parts._replace(netloc=f"{user}@{netloc[-1]}"))


def _reason(exc: BaseException) -> str:
    # psycopg's first line says it all ("connection ... failed: Connection refused"); the rest is libpq detail.
    text = str(exc).strip()
    return mask_personnummer(text.splitlines()[0]) if text else type(exc).__name__


@contextmanager
def warehouse_errors(what: str, conninfo: str | None = None, consequence: str = FILE_STAYS) -> Iterator[None]:
    """Turn a lost or refused warehouse connection inside the block into `WarehouseUnavailable`.

    `what` names the file or dataset, `consequence` says what happens to it (nothing is half loaded: the server
    rolls back a transaction whose client went away).
    """
    try:
        yield
    except psycopg.OperationalError as exc:
        url = safe_url(conninfo or server_url("warehouse"))
        raise WarehouseUnavailable(
            f"{what}: the warehouse at {url} could not be reached or the connection broke ({_reason(exc)}); "
            f"{consequence}") from None


def guarded(path: Path | str, source: str, fn: Callable[[], T], *, conninfo: str | None = None,
            skipped: Callable[[str], T] | None = None) -> T:
    """Run `fn()` (the load of the landing file `path`) inside the guard.

    Returns `fn()`'s result; or, when the file is gone before or during the load because another run (or an
    earlier try) moved it, `skipped(reason)` (default: a `LoadResult` with status `skipped`). Raises
    `WarehouseUnavailable` when the warehouse cannot be used; the file then stays in landing.
    """
    path = Path(path)

    def skip(reason: str) -> T:
        if skipped is not None:
            return skipped(reason)
        return LoadResult(source=source, file_name=path.name, status="skipped", error=reason)  # type: ignore[return-value]

    if not path.exists():
        # A retried task whose first attempt already archived or rejected the file: nothing left to do.
        log.warning("%s: no longer in landing (processed by an earlier attempt or another run?), skipped", path.name)
        return skip(NO_LONGER_IN_LANDING)
    try:
        with warehouse_errors(path.name, conninfo, FILE_STAYS):
            return fn()
    except FileNotFoundError:
        # Two runs over the same landing folder: the other one archived (or rejected) the file between our look
        # and our read. Its transaction holds the batch (unique per SHA-256), ours rolled back: nothing lost.
        if path.exists():
            raise  # a different file is missing (a configuration problem): not ours to hide
        log.warning("%s: moved away by another run while this one was reading it, skipped", path.name)
        return skip(MOVED_BY_ANOTHER_RUN)
