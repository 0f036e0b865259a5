"""Kolada via the local HTTP server into a real warehouse: pagination, v3 links, bad bodies, no reloads."""

from __future__ import annotations

from pathlib import Path

import psycopg

from frisk.statistics import kolada
from frisk.statistics.load import load_kolada
from tests import test_statistics_http
from tests.test_statistics_http import RecordedServer, Reply, fast_client

http_server = test_statistics_http.http_server  # the local-server fixture, shared

FIX = Path(__file__).parent / "fixtures" / "kolada"
PATH = "/v2/data/kpi/N00090/municipality/2080,2081/year/2023,2024"


def _page(name: str, base: str) -> bytes:
    return (FIX / name).read_text().replace("{base}", base).encode()


def _load(
    srv: RecordedServer,
    version: str = "v2",
    kpi: str = "N00090",
    munis: list[str] | None = None,
    years: list[int] | None = None,
) -> dict:
    (result,) = load_kolada(
        "test-run",
        base=f"{srv.base_url}/{version}",
        client=fast_client(),
        kpis=[kpi],
        municipalities=munis or ["2080", "2081"],
        years=years or [2023, 2024],
    )
    return result


def test_url_shapes() -> None:
    assert (
        kolada.kpi_url("https://api.kolada.se/v2/", "N00090", ["2080", "2081"], [2023, 2024])
        == "https://api.kolada.se/v2/data/kpi/N00090/municipality/2080,2081/year/2023,2024"
    )
    assert (
        kolada.kpi_url("https://api.kolada.se/v3", "N00957", [], [2025])
        == "https://api.kolada.se/v3/data/kpi/N00957/year/2025"
    )


def test_pages_followed_values_linked_to_their_response(warehouse: str, http_server: RecordedServer) -> None:
    base = http_server.base_url + "/v2"
    http_server.add(PATH, Reply(200, _page("page1.json", base)))
    http_server.add(PATH + "?page=2&per_page=2", Reply(500, b"oops"), Reply(200, _page("page2.json", base)))
    r = _load(http_server)
    assert (r["status"], r["rows_read"], r["rows_loaded"], r["rows_quarantined"], r["responses"]) == (
        "loaded",
        12,
        11,
        1,
        2,
    )
    assert r["delivery_key"] == "kolada/N00090"
    with psycopg.connect(warehouse) as conn:
        responses = conn.execute(
            "select response_id, url, http_status, sha256 = encode(sha256(body), 'hex') "
            "from raw.http_responses where batch_id = %s order by response_id",
            (r["batch_id"],),
        ).fetchall()
        assert [(u.removeprefix(base), s, ok) for _, u, s, ok in responses] == [
            (PATH.removeprefix("/v2"), 200, True),
            (PATH.removeprefix("/v2") + "?page=2&per_page=2", 200, True),
        ]
        by_muni = dict(
            conn.execute(
                "select municipality_id, array_agg(distinct response_id) from raw.kolada_values group by 1"
            )
        )
        assert by_muni == {"2080": [responses[0][0]], "2081": [responses[1][0]]}
        assert conn.execute(
            "select value, status from raw.kolada_values "
            "where municipality_id = '2081' and period_year = 2024 and gender = 'K'"
        ).fetchone() == (None, "Missing")
        assert conn.execute(
            "select value::text from raw.kolada_values where municipality_id = '2080' "
            "and period_year = 2023 and gender = 'T'"
        ).fetchone() == ("7.9000",)
        q = conn.execute("select line_no, field, reason from quarantine.rows").fetchall()
        assert q == [
            (
                4,
                "page 2 values[1].values[1].gender",
                "page 2 values[1].values[1].gender: gender not T, K or M: 'X'",
            )
        ]
    # every page once more: unchanged content, nothing new stored or loaded
    again = _load(http_server)
    assert again["status"] == "skipped" and again["responses_unchanged"] == 2
    with psycopg.connect(warehouse) as conn:
        assert conn.execute("select count(*) from raw.http_responses").fetchone()[0] == 2
        assert conn.execute("select count(*) from audit.batches").fetchone()[0] == 1


def test_v3_next_url_relative_link(warehouse: str, http_server: RecordedServer) -> None:
    path = "/v3/data/kpi/N00938/municipality/2080/year/2024"
    http_server.add(path, Reply(200, _page("v3_page1.json", "")))
    http_server.add(path + "?page=2", Reply(200, _page("v3_page2.json", "")))
    r = _load(http_server, "v3", "N00938", ["2080"], [2024])
    assert (r["status"], r["rows_loaded"], r["responses"]) == ("loaded", 2, 2)
    with psycopg.connect(warehouse) as conn:
        got = conn.execute("select gender, value::float from raw.kolada_values order by gender").fetchall()
        assert got == [("K", 14.2), ("T", 10.9)]
        assert conn.execute("select dialect from audit.batches").fetchone() == ("kolada_v3",)


def test_malformed_body_fails_clearly_and_keeps_the_last_good_data(
    warehouse: str, http_server: RecordedServer
) -> None:
    base = http_server.base_url + "/v2"
    http_server.add(PATH, Reply(200, _page("page1.json", base)))
    http_server.add(PATH + "?page=2&per_page=2", Reply(200, _page("page2.json", base)))
    good = _load(http_server)
    assert good["status"] == "loaded"

    http_server.add(PATH, Reply(200, (FIX / "truncated.json").read_bytes()))
    bad = _load(http_server)
    assert bad["status"] == "rejected"
    assert bad["error"] == (
        f"page 1: {base}/data/kpi/N00090/municipality/2080,2081/year/2023,2024: "
        "malformed JSON at line 1 column 120: Expecting ',' delimiter"
    )
    http_server.add(PATH, Reply(200, b'{"error": "unknown kpi"}'))
    assert (
        "not a Kolada data response: expected an object with a 'values' list, got keys error"
        in _load(http_server)["error"]
    )
    http_server.add(PATH, Reply(503, b"maintenance"))
    down = _load(http_server)
    assert down["status"] == "failed" and "HTTP 503" in down["error"] and "after 3 attempts" in down["error"]

    with psycopg.connect(warehouse) as conn:
        batches = conn.execute("select status, rows_loaded from audit.batches order by batch_id").fetchall()
        assert batches == [("loaded", 11), ("rejected", 0), ("rejected", 0)]
        # the values of the good batch are untouched; the bad bodies are kept to look at
        assert conn.execute("select count(*), min(batch_id) from raw.kolada_values").fetchone() == (
            11,
            good["batch_id"],
        )
        kept = conn.execute(
            "select b.status, length(r.body) from raw.http_responses r join audit.batches b "
            "using (batch_id) where b.status = 'rejected' order by response_id"
        ).fetchall()
        assert kept == [("rejected", len((FIX / "truncated.json").read_bytes())), ("rejected", 24)]
