"""The polite HTTP client against a real local server on 127.0.0.1 serving recorded responses.

`RecordedServer` (and the `http_server` fixture) is also used by the Kolada and load tests.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from frisk.statistics.http_client import FetchError, HttpClient, HttpSettings, retry_after_seconds


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds before answering (to provoke a client timeout)


class RecordedServer:
    """Serves queued replies per path (with query); a path's last reply repeats. Records every request."""

    def __init__(self) -> None:
        self.routes: dict[str, list[Reply]] = {}
        self.requests: list[tuple[str, dict[str, str]]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                server.requests.append((self.path, dict(self.headers.items())))
                queue = server.routes.get(self.path)
                if queue is None:
                    self.send_error(404)
                    return
                reply = queue.pop(0) if len(queue) > 1 else queue[0]
                if reply.delay:
                    time.sleep(reply.delay)
                etag = reply.headers.get("ETag")
                if reply.status == 200 and etag and self.headers.get("If-None-Match") == etag:
                    self.send_response(304)
                    self.send_header("ETag", etag)
                    self.end_headers()
                    return
                self.send_response(reply.status)
                for k, v in reply.headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(reply.body)))
                self.end_headers()
                self.wfile.write(reply.body)

            def log_message(self, *args: object) -> None:
                pass

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request: object, client_address: object) -> None:
                pass  # a client that timed out closes the socket under a sleeping handler: expected here

        self.httpd = Server(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def add(self, path: str, *replies: Reply) -> None:
        self.routes[path] = list(replies)

    def count(self, path: str) -> int:
        return sum(1 for p, _ in self.requests if p == path)


@pytest.fixture
def http_server() -> Iterator[RecordedServer]:
    srv = RecordedServer()
    srv.thread.start()
    yield srv
    srv.httpd.shutdown()
    srv.httpd.server_close()


def fast_client(**overrides: float | int | str) -> HttpClient:
    """The configured client with test-sized timeouts and back-off (the rules stay those of sources.yml)."""
    values: dict[str, float | int | str] = {
        "connect_timeout": 2.0,
        "read_timeout": 0.5,
        "backoff_base": 0.01,
        "backoff_max": 0.05,
        "max_attempts": 3,
    }
    values.update(overrides)
    return HttpClient(HttpSettings.from_config(**values))


def test_user_agent_and_plain_success(http_server: RecordedServer) -> None:
    http_server.add("/a", Reply(200, b"hello", {"Content-Type": "text/plain", "ETag": '"v1"'}))
    r = fast_client().get(http_server.base_url + "/a")
    assert (r.status, r.body, r.etag, r.attempts) == (200, b"hello", '"v1"', 1)
    assert r.sha256 == "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
    ua = http_server.requests[0][1]["User-Agent"]
    assert ua.startswith("frisk/") and ua.endswith("(+https://github.com/frisk-kommun/frisk)")


def test_500_then_success_is_retried_with_backoff(http_server: RecordedServer) -> None:
    http_server.add("/flaky", Reply(500, b"oops"), Reply(503, b"busy"), Reply(200, b"ok"))
    client = fast_client()
    r = client.get(http_server.base_url + "/flaky")
    assert (r.body, r.attempts) == (b"ok", 3)
    assert len(client.waits) == 2 and client.waits[1] >= client.waits[0] * 0.5  # exponential, with jitter
    assert all(w <= 0.05 for w in client.waits)


def test_429_honours_retry_after(http_server: RecordedServer) -> None:
    http_server.add("/limited", Reply(429, b"slow down", {"Retry-After": "1"}), Reply(200, b"ok"))
    client = fast_client()
    started = time.monotonic()
    r = client.get(http_server.base_url + "/limited")
    assert r.body == b"ok" and client.waits == [1.0]
    assert time.monotonic() - started >= 1.0


def test_retry_after_longer_than_allowed_fails_clearly(http_server: RecordedServer) -> None:
    http_server.add("/later", Reply(503, b"", {"Retry-After": "7200"}))
    with pytest.raises(FetchError, match=r"/later: HTTP 503.*retry after 7200 s"):
        fast_client().get(http_server.base_url + "/later")
    assert http_server.count("/later") == 1


def test_timeout_then_success(http_server: RecordedServer) -> None:
    http_server.add("/slow", Reply(200, b"late", delay=1.5), Reply(200, b"prompt"))
    client = fast_client(read_timeout=0.3)
    r = client.get(http_server.base_url + "/slow")
    assert (r.body, r.attempts) == (b"prompt", 2)


def test_retries_exhausted_and_4xx_not_retried(http_server: RecordedServer) -> None:
    http_server.add("/down", Reply(502, b"bad gateway"))
    with pytest.raises(FetchError, match=r"GET http://127\.0\.0\.1:\d+/down: HTTP 502 .*after 3 attempts"):
        fast_client().get(http_server.base_url + "/down")
    assert http_server.count("/down") == 3
    with pytest.raises(FetchError, match=r"/missing: HTTP 404 .*not retried"):
        fast_client().get(http_server.base_url + "/missing")
    assert http_server.count("/missing") == 1


def test_connection_refused_is_retried_then_fails() -> None:
    srv = RecordedServer()  # bound but never served: closing it frees a port nobody listens on
    url = srv.base_url + "/x"
    srv.httpd.server_close()
    client = fast_client(max_attempts=2)
    with pytest.raises(FetchError, match="connection error.*after 2 attempts"):
        client.get(url)
    assert len(client.waits) == 1


def test_conditional_request_gets_304(http_server: RecordedServer) -> None:
    http_server.add(
        "/c", Reply(200, b"same", {"ETag": '"abc"', "Last-Modified": "Wed, 06 Nov 2024 08:00:00 GMT"})
    )
    client = fast_client()
    first = client.get(http_server.base_url + "/c")
    again = client.get(http_server.base_url + "/c", etag=first.etag, last_modified=first.last_modified)
    assert again.not_modified and again.body is None
    headers = http_server.requests[1][1]
    assert headers["If-None-Match"] == '"abc"'
    assert headers["If-Modified-Since"] == "Wed, 06 Nov 2024 08:00:00 GMT"


def test_file_urls_use_the_same_rules(tmp_path: Path) -> None:
    f = tmp_path / "snap.json"
    f.write_text('{"values": []}')
    client = fast_client()
    r = client.get(f.as_uri())
    assert r.status == 200 and r.etag == f'"{r.sha256}"' and r.content_type == "application/json"
    assert client.get(f.as_uri(), etag=r.etag).not_modified
    with pytest.raises(FetchError, match="cannot read"):
        client.get((tmp_path / "nope.json").as_uri())


def test_retry_after_http_date() -> None:
    import datetime as dt

    now = dt.datetime(2024, 11, 6, 8, 0, 0, tzinfo=dt.UTC)
    assert retry_after_seconds("Wed, 06 Nov 2024 08:00:30 GMT", now) == 30.0
    assert retry_after_seconds("120") == 120.0
    assert retry_after_seconds("soon") is None
