"""load_all end to end in a real warehouse: bundled snapshots (offline), configured URLs, manual drops."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import psycopg
import pytest

from frisk.statistics import load_all
from frisk.statistics.load import load_fk
from tests import test_statistics_http
from tests.test_fk_excel import FK, OHT, SJP, _variant
from tests.test_statistics_http import RecordedServer, Reply, fast_client

http_server = test_statistics_http.http_server  # the local-server fixture, shared

RIKET_2024_09 = """select sex, value::text from raw.fk_statistics join audit.batches using (batch_id)
                    where delivery_key = 'fk/sjukpenningtal' and region_level = 'riket'
                      and period_month = '2024-09-01' and age_band = 'Samtliga 16-64 år'
                      and measure = 'sjukpenningtal_1_0' order by sex"""


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FRISK_FK_BASE_URL", raising=False)
    monkeypatch.delenv("FRISK_KOLADA_BASE_URL", raising=False)


def test_snapshots_and_manual_drops(warehouse: str, frisk_env: Path, offline: None) -> None:
    drops = frisk_env / "data" / "landing" / "statistics"
    (drops / "sjukpenningtal_kommun.xlsx").write_bytes(_variant())
    shutil.copy(FK / "pagaende_sjukfall_diagnos_2024_11_06.xlsx", drops / "diagnos.xlsx")

    started = time.monotonic()
    results = load_all("run-1")
    seconds = time.monotonic() - started
    by_name = {Path(r["file_name"]).name.split("/")[-1]: r for r in results}
    assert [r["status"] for r in results] == ["loaded"] * 9 + ["rejected", "loaded"]  # drops in name order
    assert by_name[SJP.name]["rows_loaded"] == 756 and by_name[OHT.name]["rows_loaded"] == 108
    assert by_name[SJP.name]["url"].startswith("file://")
    assert by_name["sjukpenningtal_kommun.xlsx"]["rows_quarantined"] == 7
    assert "lacks Ålder" in by_name["diagnos.xlsx"]["error"]
    assert seconds < 20, seconds

    with psycopg.connect(warehouse) as conn:
        assert conn.execute(RIKET_2024_09).fetchall() == [("K", "13.50"), ("M", "7.30"), ("T", "10.30")]
        # 7 KPIs x 21 municipalities x 7 years x 3 genders, from 7 stored responses
        assert conn.execute(
            "select count(*), count(distinct response_id), count(value) from raw.kolada_values"
        ).fetchone() == (3087, 7, 3081)
        assert (
            conn.execute(
                "select count(*) from raw.http_responses where sha256 = encode(sha256(body), 'hex')"
            ).fetchone()[0]
            == 9
        )
        # fetched rows trace to their response; manual drops have none
        assert conn.execute("""select b.entity, b.delivery_key, count(*), count(f.response_id)
                                 from raw.fk_statistics f join audit.batches b using (batch_id)
                                group by 1, 2 order by 2""").fetchall() == [
            ("fk", "fk/ohalsotal", 108, 108),
            ("fk", "fk/sjukpenningtal", 756, 756),
            ("fk", "sjukpenningtal_kommun.xlsx", 17, 0),
        ]
        assert conn.execute("select count(*) from quarantine.rows where entity = 'fk'").fetchone()[0] == 7
    assert (frisk_env / "data" / "archive" / "statistics").is_dir()
    assert list((frisk_env / "data" / "rejected" / "statistics").glob("*diagnos.xlsx.error.txt"))

    # the next run finds nothing new: every dataset is skipped, no response stored again
    again = load_all("run-2")
    assert [r["status"] for r in again] == ["skipped"] * 9
    assert all(r["responses_unchanged"] == 1 for r in again)
    with psycopg.connect(warehouse) as conn:
        assert conn.execute("select count(*) from raw.http_responses").fetchone()[0] == 9


def test_configured_url_conditional_requests_and_a_new_edition(
    warehouse: str, http_server: RecordedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FRISK_FK_BASE_URL", http_server.base_url + "/fk/")
    sjp, oht = f"/fk/{SJP.name}", f"/fk/{OHT.name}"
    xlsx = {"Content-Type": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
    http_server.add(sjp, Reply(500, b"oops"), Reply(200, SJP.read_bytes(), xlsx | {"ETag": '"sjp-1"'}))
    http_server.add(
        oht, Reply(200, OHT.read_bytes(), xlsx | {"Last-Modified": "Wed, 06 Nov 2024 08:00:00 GMT"})
    )

    first = load_fk("r1", client=fast_client())
    assert [(r["status"], r["rows_loaded"]) for r in first] == [("loaded", 756), ("loaded", 108)]
    assert http_server.count(sjp) == 2  # a 500, then success

    second = load_fk("r2", client=fast_client())
    assert [r["status"] for r in second] == ["skipped", "skipped"]
    sjp_headers = [h for p, h in http_server.requests if p == sjp][-1]
    oht_headers = [h for p, h in http_server.requests if p == oht][-1]
    assert sjp_headers["If-None-Match"] == '"sjp-1"' and "frisk/" in sjp_headers["User-Agent"]
    assert oht_headers["If-Modified-Since"] == "Wed, 06 Nov 2024 08:00:00 GMT"

    # FK publishes a new edition at the same URL: a new batch, same delivery key, supersedes the old one
    http_server.add(sjp, Reply(200, _variant(), xlsx | {"ETag": '"sjp-2"'}))
    third = load_fk("r3", client=fast_client())
    assert [r["status"] for r in third] == ["loaded", "skipped"]
    with psycopg.connect(warehouse) as conn:
        rows = conn.execute("""select b.batch_id, r.http_status, r.etag, r.content_type like '%%sheet'
                                 from audit.batches b join raw.http_responses r using (batch_id)
                                where b.delivery_key = 'fk/sjukpenningtal' order by 1""").fetchall()
        assert [(s, e, ok) for _, s, e, ok in rows] == [(200, '"sjp-1"', True), (200, '"sjp-2"', True)]
        assert conn.execute(
            "select distinct source_file from raw.fk_statistics where batch_id = %s", (rows[1][0],)
        ).fetchall() == [(SJP.name,)]
