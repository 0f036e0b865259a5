"""Fetch, hash, store and load the public statistics; one batch per dataset (FK file) or per KPI (Kolada
pages).

For every URL: the last response that was loaded gives the conditional-request headers (ETag,
Last-Modified); a 304, or a 200 whose SHA-256 equals that response's, reuses the stored response instead of
storing it again. The batch is keyed by the content hash (one page: the body's SHA-256, several: the hash
of the page hashes), so unchanged content makes no new batch (`skipped`), exactly like a re-delivered file.
New content is stored in one transaction: the audit.batches row, every new raw.http_responses row and the
value rows, each value row pointing at the response it came from (response_id). A body that cannot be read
is stored with a `rejected` batch and an error naming the URL and the position; earlier loaded batches stay
as they were, so staging keeps the last good data. A URL that cannot be fetched (after retries) gives a
`failed` result and changes nothing.

Manual drops: FK Excel files in landing/statistics/ go through frisk.loading.load_file (archive/rejected).
Both paths run inside frisk.load_guard: an unreachable warehouse raises `WarehouseUnavailable` naming the dataset
or file, the warehouse address (without password) and the reason, instead of psycopg's bare OperationalError.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlsplit

import psycopg

from frisk import landing
from frisk.identity import mask_personnummer
from frisk.load_guard import guarded, warehouse_errors
from frisk.loading import FileRejected, LoadResult, Quarantined, Row, _Writer, finish_batch, load_file
from frisk.statistics import fk_excel, kolada
from frisk.statistics.http_client import FetchError, HttpClient
from frisk.statistics.settings import base_url, kolada_years, sources
from frisk.warehouse import server_url

log = logging.getLogger(__name__)

SOURCE = "statistics"
FETCH_NOT_STORED = ("nothing from it was stored; the next attempt fetches it again and the last loaded data stay "
                    "in force")


@dataclass
class Page:
    url: str
    body: bytes
    sha256: str
    fetched_at: Any = None
    status: int = 200
    content_type: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    response_id: int | None = None  # set when an identical stored response is reused
    doc: dict | None = None  # decoded JSON (Kolada)


@dataclass
class Fetched:
    name: str  # audit.batches.file_name: the first URL
    entity: str  # fk | kolada
    dialect: str
    delivery_key: str  # what a newer fetch of the same dataset shares with the older one
    pages: list[Page] = field(default_factory=list)
    rejection: str | None = None
    not_modified: int = 0

    @property
    def sha256(self) -> str:
        if len(self.pages) == 1:
            return self.pages[0].sha256
        return hashlib.sha256("\n".join(p.sha256 for p in self.pages).encode()).hexdigest()


def _latest_loaded(conn: psycopg.Connection, url: str) -> tuple | None:
    return conn.execute(
        """select r.response_id, r.etag, r.last_modified, r.sha256, r.body
             from raw.http_responses r join audit.batches b using (batch_id)
            where r.url = %s and b.status = 'loaded' and r.http_status = 200
            order by r.fetched_at desc, r.response_id desc limit 1""",
        (url,),
    ).fetchone()


def _fetch_page(
    client: HttpClient, conn: psycopg.Connection, url: str, accept: str | None
) -> tuple[Page, bool]:
    """(page, not_modified). The stored body stands in for a 304 or an identical 200."""
    prev = _latest_loaded(conn, url)
    resp = client.get(
        url, etag=prev[1] if prev else None, last_modified=prev[2] if prev else None, accept=accept
    )
    if resp.not_modified:
        if prev is None:
            raise FetchError(f"GET {url}: 304 Not Modified, but no earlier response is stored to reuse")
        return Page(url, bytes(prev[4]), prev[3], response_id=prev[0]), True
    assert resp.body is not None and resp.sha256 is not None
    page = Page(
        url,
        resp.body,
        resp.sha256,
        resp.fetched_at,
        resp.status,
        resp.content_type,
        resp.etag,
        resp.last_modified,
    )
    if prev and prev[3] == resp.sha256:
        page.response_id = prev[0]
        return page, True
    return page, False


def fetch_fk(client: HttpClient, conninfo: str, base: str, dataset: dict[str, str]) -> Fetched:
    url = f"{base}/{dataset['path'].lstrip('/')}"
    fetched = Fetched(url, "fk", "fk_excel", f"fk/{dataset['name']}")
    with psycopg.connect(conninfo) as conn:
        page, same = _fetch_page(client, conn, url, None)
    fetched.pages.append(page)
    fetched.not_modified += same
    return fetched


def fetch_kolada(
    client: HttpClient, conninfo: str, base: str, kpi: str, municipalities: list[str], years: list[int]
) -> Fetched:
    url: str | None = kolada.kpi_url(base, kpi, municipalities, years)
    fetched = Fetched(
        url,
        "kolada",
        "kolada_" + (urlsplit(base).path.rstrip("/").rsplit("/", 1)[-1] or "api"),
        f"kolada/{kpi}",
    )
    max_pages = int(sources()["kolada"]["max_pages"])
    seen_urls: set[str] = set()
    with psycopg.connect(conninfo) as conn:
        while url:
            if url in seen_urls or len(fetched.pages) >= max_pages:
                fetched.rejection = (
                    f"{fetched.name}: pagination does not end (page {len(fetched.pages) + 1} "
                    f"would be {url}); nothing from this response set was loaded"
                )
                break
            seen_urls.add(url)
            page, same = _fetch_page(client, conn, url, "application/json")
            fetched.pages.append(page)
            fetched.not_modified += same
            try:
                page.doc = kolada.decode(page.body, url)
                url = kolada.next_page(page.doc, url)
            except FileRejected as exc:
                fetched.rejection = f"page {len(fetched.pages)}: {exc}"
                break
    return fetched


def _rows(fetched: Fetched, response_ids: list[int]) -> Generator[Row | Quarantined, None, int]:
    if fetched.entity == "fk":
        file_name = unquote(urlsplit(fetched.name).path.rsplit("/", 1)[-1]) or fetched.name
        return (yield from fk_excel.parse_bytes(fetched.pages[0].body, file_name, response_ids[0]))
    read, seen, offset = 0, set(), 0
    for page_no, (page, rid) in enumerate(zip(fetched.pages, response_ids, strict=True), start=1):
        assert page.doc is not None
        read += yield from kolada.parse_page(page.doc, page_no, rid, seen, offset)
        offset += len(page.doc["values"])
    return read


def _insert_responses(conn: psycopg.Connection, batch_id: int, pages: list[Page]) -> list[int]:
    ids = []
    for p in pages:
        if p.response_id is not None:
            ids.append(p.response_id)
            continue
        (rid,) = conn.execute(
            """insert into raw.http_responses (batch_id, url, fetched_at, http_status, content_type, etag,
                                               last_modified, sha256, body)
               values (%s, %s, coalesce(%s, now()), %s, %s, %s, %s, %s, %s) returning response_id""",
            (
                batch_id,
                p.url,
                p.fetched_at,
                p.status,
                p.content_type,
                p.etag,
                p.last_modified,
                p.sha256,
                p.body,
            ),
        ).fetchone()
        ids.append(rid)
    return ids


def store(fetched: Fetched, conninfo: str, run_id: str | None = None) -> LoadResult:
    """Load one fetched dataset in one transaction (or record its rejection). Never raises for bad content."""
    started = time.monotonic()
    columns = fk_excel.COLUMNS if fetched.entity == "fk" else kolada.COLUMNS
    table = next(iter(columns))
    result = LoadResult(source=SOURCE, file_name=fetched.name, status="loaded", entity=fetched.entity)
    error = mask_personnummer(fetched.rejection) if fetched.rejection else None
    if error is None:
        with psycopg.connect(conninfo) as conn:
            row = conn.execute(
                """insert into audit.batches (source, entity, file_name, file_sha256, delivery_key, dialect,
                                              run_id)
                   values (%s, %s, %s, %s, %s, %s, %s)
                   on conflict (source, file_sha256) where status in ('loading', 'loaded', 'gate_rejected')
                   do nothing returning batch_id""",
                (
                    SOURCE,
                    fetched.entity,
                    fetched.name,
                    fetched.sha256,
                    fetched.delivery_key,
                    fetched.dialect,
                    run_id,
                ),
            ).fetchone()
            if row is None:
                conn.rollback()
                result.status, result.seconds = "skipped", time.monotonic() - started
                log.info("%s: unchanged (same SHA-256 as a loaded batch), skipped", fetched.name)
                return result
            result.batch_id = row[0]
            response_ids = _insert_responses(conn, result.batch_id, fetched.pages)
            writer = _Writer(conn, result.batch_id, columns, SOURCE, fetched.name, fetched.entity)
            gen = _rows(fetched, response_ids)
            try:
                while True:
                    try:
                        writer.add(next(gen))
                    except StopIteration as stop:
                        result.rows_read = int(stop.value or 0)
                        break
            except FileRejected as exc:
                conn.rollback()
                error = mask_personnummer(str(exc))
            else:
                writer.flush()
                result.rows_loaded = writer.counts[table]
                result.rows_quarantined = writer.quarantined
                finish_batch(conn, result, fetched.name, started)
                conn.commit()
                log.info(
                    "%s: batch %s, %d response(s), %d values read, %d loaded, %d quarantined, %.2f s",
                    fetched.name,
                    result.batch_id,
                    len(fetched.pages),
                    result.rows_read,
                    result.rows_loaded,
                    result.rows_quarantined,
                    result.seconds,
                )
                return result
    # Rejected: keep the responses (they explain the failure) under a rejected batch; load no values.
    with psycopg.connect(conninfo) as conn:
        (batch_id,) = conn.execute(
            """insert into audit.batches (source, entity, file_name, file_sha256, delivery_key, dialect,
                                          status,
                                          error, finished_at, run_id)
               values (%s, %s, %s, %s, %s, %s, 'rejected', %s, now(), %s) returning batch_id""",
            (
                SOURCE,
                fetched.entity,
                fetched.name,
                fetched.sha256,
                fetched.delivery_key,
                fetched.dialect,
                error,
                run_id,
            ),
        ).fetchone()
        _insert_responses(conn, batch_id, fetched.pages)
    result.status, result.error, result.batch_id = "rejected", error, batch_id
    result.rows_read = result.rows_loaded = result.rows_quarantined = 0
    result.seconds = time.monotonic() - started
    log.error("%s: rejected, the last good data stays in force: %s", fetched.name, error)
    return result


def _run(name: str, fetch: Callable[[], Fetched], conninfo: str, run_id: str | None) -> dict:
    """Fetch and store one dataset; a fetch failure becomes a `failed` result instead of an exception."""
    started = time.monotonic()
    # The fetch reads the last stored response (conditional request) and the store writes in one transaction:
    # with the warehouse down either fails before anything is stored, with a message that says so.
    with warehouse_errors(name, conninfo, FETCH_NOT_STORED):
        return _fetch_and_store(name, fetch, conninfo, run_id, started)


def _fetch_and_store(name: str, fetch: Callable[[], Fetched], conninfo: str, run_id: str | None,
                     started: float) -> dict:
    try:
        fetched = fetch()
    except FetchError as exc:
        log.error("%s: fetch failed, nothing changed: %s", name, exc)
        return {
            "source": SOURCE,
            "file_name": name,
            "status": "failed",
            "error": str(exc),
            "seconds": round(time.monotonic() - started, 3),
        }
    result = store(fetched, conninfo, run_id).as_dict()
    result.update(
        url=fetched.name,
        delivery_key=fetched.delivery_key,
        responses=len(fetched.pages),
        responses_unchanged=fetched.not_modified,
        seconds=round(time.monotonic() - started, 3),
    )
    return result


def load_fk(
    run_id: str | None = None,
    *,
    base: str | None = None,
    client: HttpClient | None = None,
    conninfo: str | None = None,
) -> list[dict]:
    """Every FK dataset in sources.yml, from the configured base URL (default: the bundled snapshot)."""
    base, client, conninfo = base_url("fk", base), client or HttpClient(), conninfo or server_url("warehouse")
    return [
        _run(f"fk/{d['name']}", lambda d=d: fetch_fk(client, conninfo, base, d), conninfo, run_id)
        for d in sources()["fk"]["datasets"]
    ]


def load_kolada(
    run_id: str | None = None,
    *,
    base: str | None = None,
    client: HttpClient | None = None,
    conninfo: str | None = None,
    kpis: list[str] | None = None,
    municipalities: list[str] | None = None,
    years: list[int] | None = None,
) -> list[dict]:
    """Every configured Kolada KPI (one request set per KPI, pages followed)."""
    cfg = sources()["kolada"]
    base, client, conninfo = (
        base_url("kolada", base),
        client or HttpClient(),
        conninfo or server_url("warehouse"),
    )
    munis = list(cfg["municipalities"] if municipalities is None else municipalities)
    yrs = years or kolada_years()
    return [
        _run(f"kolada/{k}", lambda k=k: fetch_kolada(client, conninfo, base, k, munis, yrs), conninfo, run_id)
        for k in (kpis or cfg["kpis"])
    ]


def load_pending(run_id: str | None = None, *, conninfo: str | None = None) -> list[dict]:
    """FK Excel files dropped by hand into landing/statistics/: loaded, then archived (or rejected)."""
    results = []
    for path in landing.pending_files(SOURCE):
        # Guarded like every landing file: another run may have moved it away meanwhile (skipped), and an
        # unreachable warehouse raises WarehouseUnavailable with the file left in landing.
        r = guarded(path, SOURCE, lambda path=path: load_file(
            path,
            source=SOURCE,
            columns=fk_excel.COLUMNS,
            primary_table=fk_excel.TABLE,
            sniff=fk_excel.sniff,
            parse=fk_excel.parse,
            run_id=run_id,
            conninfo=conninfo,
        ), conninfo=conninfo)
        results.append(r.as_dict())
    return results


def load_all(
    run_id: str | None = None,
    *,
    fk_base_url: str | None = None,
    kolada_base_url: str | None = None,
    client: HttpClient | None = None,
    conninfo: str | None = None,
) -> list[dict]:
    """FK and Kolada from the configured URLs (default: bundled snapshots), then manual drops.

    Never raises for a source that is down or sends garbage: its result says `failed` / `rejected` and why.
    """
    started = time.monotonic()
    client, conninfo = client or HttpClient(), conninfo or server_url("warehouse")
    results = [
        *load_fk(run_id, base=fk_base_url, client=client, conninfo=conninfo),
        *load_kolada(run_id, base=kolada_base_url, client=client, conninfo=conninfo),
        *load_pending(run_id, conninfo=conninfo),
    ]
    log.info("public statistics: %s in %.1f s", summarise(results), time.monotonic() - started)
    return results


def summarise(results: list[dict]) -> str:
    counts: dict[str, int] = {}
    for r in results:
        counts[r["status"]] = counts.get(r["status"], 0) + 1
    rows = sum(r.get("rows_loaded") or 0 for r in results)
    return ", ".join(f"{n} {s}" for s, n in sorted(counts.items())) + f"; {rows} value rows loaded"


def failures(results: list[dict]) -> Iterator[str]:
    for r in results:
        if r["status"] in ("failed", "rejected"):
            yield f"{r['file_name']}: {r['status']}: {r.get('error')}"
