"""The public_statistics_ingest DAG under real Airflow (dag.test) into a real warehouse."""

from __future__ import annotations

import json
from pathlib import Path

import psycopg
import pytest

from tests import test_statistics_http
from tests.conftest import run_dag
from tests.test_fk_excel import OHT, SJP, _variant
from tests.test_statistics_http import RecordedServer, Reply

http_server = test_statistics_http.http_server  # the local-server fixture, shared


@pytest.mark.slow
def test_dag_loads_fk_kolada_and_drops(
    airflow_home: Path,
    warehouse: str,
    frisk_env: Path,
    http_server: RecordedServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # FK from an Airflow connection (it wins over the environment variable), Kolada from the snapshot
    http_server.add(f"/fk/{SJP.name}", Reply(200, SJP.read_bytes(), {"ETag": '"from-connection"'}))
    http_server.add(f"/fk/{OHT.name}", Reply(200, OHT.read_bytes()))
    monkeypatch.setenv(
        "AIRFLOW_CONN_FRISK_FK",
        json.dumps({"conn_type": "http", "extra": {"base_url": http_server.base_url + "/fk"}}),
    )
    monkeypatch.setenv("FRISK_FK_BASE_URL", "http://127.0.0.1:9/not-used")
    monkeypatch.delenv("FRISK_KOLADA_BASE_URL", raising=False)
    drop = frisk_env / "data" / "landing" / "statistics" / "sjukpenningtal_kommun.xlsx"
    drop.write_bytes(_variant())

    dagrun = run_dag("public_statistics_ingest")
    assert dagrun.state == "success"

    with psycopg.connect(warehouse) as conn:
        riket = conn.execute("""select sex, value::float
                                  from raw.fk_statistics join audit.batches using (batch_id)
                                 where delivery_key = 'fk/sjukpenningtal'
                                   and region_level = 'riket' and period_month = '2024-09-01'
                                   and age_band = 'Samtliga 16-64 år' and measure = 'sjukpenningtal_1_0'
                                 order by sex""").fetchall()
        assert riket == [("K", 13.5), ("M", 7.3), ("T", 10.3)]
        # the three tasks run in any order: compare sets
        urls = dict(conn.execute("select url, etag from raw.http_responses").fetchall())
        fk = {u: e for u, e in urls.items() if u.startswith(http_server.base_url)}
        assert fk[f"{http_server.base_url}/fk/{SJP.name}"] == '"from-connection"' and len(fk) == 2
        assert len(urls) == 9 and sum(u.startswith("file://") and "/kolada/v2/" in u for u in urls) == 7
        assert conn.execute("select count(*) from raw.kolada_values").fetchone()[0] == 3087
        statuses = conn.execute(
            "select entity, status, count(*) from audit.batches group by 1, 2 order by 1"
        ).fetchall()
        assert statuses == [("fk", "loaded", 3), ("kolada", "loaded", 7)]
        assert conn.execute(
            "select count(*) from raw.fk_statistics where region_level = 'kommun' and response_id is null"
        ).fetchone()[0] == 4  # Falun and Borlänge, two measures each
        run_ids = {r for (r,) in conn.execute("select distinct run_id from audit.batches")}
        assert run_ids == {dagrun.run_id}
    assert not drop.exists()
    assert list((frisk_env / "data" / "archive" / "statistics").glob("*sjukpenningtal_kommun.xlsx"))
