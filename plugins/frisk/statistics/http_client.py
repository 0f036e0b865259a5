"""Polite HTTP GET for public statistics: timeouts, retries with back-off, conditional requests, hashing.

One function serves both `https://` and `file://` URLs, so the offline default (bundled snapshots) runs the
same fetch -> hash -> store path as the internet. A `file://` response carries the content hash as its
ETag, which makes conditional requests (and the 304 branch) work for snapshots too.

Retried: HTTP 429 and 5xx (honouring Retry-After, seconds or an HTTP date), timeouts and connection errors,
with exponential back-off and jitter. Not retried: other 4xx, a missing file. Both end in `FetchError`,
whose message names the URL, the last reason and the number of attempts.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import hashlib
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

import requests

import frisk
from frisk.statistics.settings import sources

log = logging.getLogger(__name__)


class FetchError(Exception):
    """A URL could not be fetched (after the retries that make sense for the failure)."""


@dataclass(frozen=True)
class HttpSettings:
    user_agent: str
    connect_timeout: float
    read_timeout: float
    max_attempts: int
    backoff_base: float
    backoff_max: float
    retry_after_max: float

    @classmethod
    def from_config(cls, **overrides: float | int | str) -> HttpSettings:
        cfg = sources()["http"]
        values = {
            "user_agent": cfg["user_agent"].format(version=frisk.__version__),
            "connect_timeout": float(cfg["connect_timeout_seconds"]),
            "read_timeout": float(cfg["read_timeout_seconds"]),
            "max_attempts": int(cfg["max_attempts"]),
            "backoff_base": float(cfg["backoff_base_seconds"]),
            "backoff_max": float(cfg["backoff_max_seconds"]),
            "retry_after_max": float(cfg["retry_after_max_seconds"]),
        }
        values.update(overrides)
        return cls(**values)  # type: ignore[arg-type]


@dataclass
class Response:
    url: str
    status: int  # 200 (body present) or 304 (not modified: body None)
    fetched_at: dt.datetime  # timezone-aware
    body: bytes | None
    content_type: str | None
    etag: str | None
    last_modified: str | None
    attempts: int = 1

    @property
    def not_modified(self) -> bool:
        return self.status == 304

    @property
    def sha256(self) -> str | None:
        return hashlib.sha256(self.body).hexdigest() if self.body is not None else None


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def retry_after_seconds(value: str | None, now: dt.datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (seconds or an HTTP date); None if absent/unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return max(0.0, (when - (now or _now())).total_seconds())


class HttpClient:
    """GET with the project's politeness rules. `sleep` is injectable so tests can observe the waits."""

    def __init__(
        self,
        settings: HttpSettings | None = None,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.settings = settings or HttpSettings.from_config()
        self.session = session or requests.Session()
        self.session.headers["User-Agent"] = self.settings.user_agent
        self.sleep = sleep
        self.waits: list[float] = []  # every back-off actually waited, for logs and tests

    def get(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        accept: str | None = None,
    ) -> Response:
        if urlsplit(url).scheme == "file":
            return self._get_file(url, etag)
        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        if accept:
            headers["Accept"] = accept
        s = self.settings
        reason = "not tried"
        for attempt in range(1, s.max_attempts + 1):
            wait: float | None = None
            try:
                r = self.session.get(url, headers=headers, timeout=(s.connect_timeout, s.read_timeout))
            except requests.Timeout:
                reason = f"timed out (connect {s.connect_timeout:g} s, read {s.read_timeout:g} s)"
            except requests.ConnectionError as exc:
                reason = f"connection error: {type(exc).__name__}"
            else:
                if r.status_code == 304 or 200 <= r.status_code < 300:
                    return Response(
                        url=url,
                        status=304 if r.status_code == 304 else 200,
                        fetched_at=_now(),
                        body=None if r.status_code == 304 else r.content,
                        content_type=r.headers.get("Content-Type"),
                        etag=r.headers.get("ETag"),
                        last_modified=r.headers.get("Last-Modified"),
                        attempts=attempt,
                    )
                reason = f"HTTP {r.status_code} {r.reason or ''}".strip()
                if r.status_code != 429 and not 500 <= r.status_code < 600:
                    raise FetchError(f"GET {url}: {reason} (not retried)")
                wait = retry_after_seconds(r.headers.get("Retry-After"))
                if wait is not None and wait > s.retry_after_max:
                    raise FetchError(
                        f"GET {url}: {reason}, server asks to retry after {wait:.0f} s "
                        f"(more than the configured {s.retry_after_max:.0f} s)"
                    )
            if attempt == s.max_attempts:
                break
            if wait is None:
                # exponential back-off with jitter, so many clients do not retry in lock-step
                wait = min(s.backoff_max, s.backoff_base * 2 ** (attempt - 1)) * random.uniform(0.5, 1.0)
            log.warning(
                "GET %s: %s; attempt %d of %d, retrying in %.2f s", url, reason, attempt, s.max_attempts, wait
            )
            self.waits.append(wait)
            self.sleep(wait)
        raise FetchError(f"GET {url}: {reason} after {s.max_attempts} attempts")

    def _get_file(self, url: str, etag: str | None) -> Response:
        path = Path(url2pathname(unquote(urlsplit(url).path)))
        try:
            body = path.read_bytes()
        except OSError as exc:
            raise FetchError(f"GET {url}: cannot read {path}: {exc.strerror or exc}") from exc
        tag = f'"{hashlib.sha256(body).hexdigest()}"'
        mtime = email.utils.formatdate(path.stat().st_mtime, usegmt=True)
        if etag == tag:
            return Response(url, 304, _now(), None, None, tag, mtime)
        ctype = "application/json" if body[:1] in (b"{", b"[") else None
        return Response(url, 200, _now(), body, ctype, tag, mtime)
