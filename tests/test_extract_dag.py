"""The meeting_extract DAG run for real with dag.test(): packs written, asset outlet, e-mail via SMTP connection."""

from __future__ import annotations

import json
import threading
import warnings
from pathlib import Path

import pytest

from tests.conftest import run_dag
from tests.extract_marts import create_marts


@pytest.fixture
def smtp_sink():
    """A local SMTP server (Python 3.11's smtpd) that keeps the messages it receives."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import asyncore
        import smtpd

    received: list[tuple[str, list[str], bytes]] = []

    class Sink(smtpd.SMTPServer):
        def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
            received.append((mailfrom, rcpttos, data))

    server = Sink(("127.0.0.1", 0), None, decode_data=False)
    thread = threading.Thread(target=asyncore.loop, kwargs={"timeout": 0.05}, daemon=True)
    thread.start()
    yield server.socket.getsockname()[1], received
    server.close()
    thread.join(timeout=5)


def test_meeting_extract_dag(airflow_home: Path, warehouse: str, frisk_env: Path, smtp_sink,
                             monkeypatch: pytest.MonkeyPatch) -> None:
    port, received = smtp_sink
    create_marts(warehouse)
    from frisk.extracts.config import DEFAULT_CONFIG

    cfg = frisk_env / "meetings.yml"
    cfg.write_text(DEFAULT_CONFIG.read_text().replace("conn_id: null", "conn_id: frisk_smtp_test")
                   .replace("to: []", "to: [hr@example.org, fk@example.org]"))
    monkeypatch.setenv("FRISK_MEETINGS_CONFIG", str(cfg))
    monkeypatch.setenv("AIRFLOW_CONN_FRISK_SMTP_TEST",
                       json.dumps({"conn_type": "smtp", "host": "127.0.0.1", "port": port,
                                   "extra": {"from_email": "frisk@example.org"}}))

    run = run_dag("meeting_extract", run_conf={"as_of": "2025-04-01"})
    assert run.state == "success"
    folder = frisk_env / "data" / "outbox" / "dalarna-syd" / "2025-04-01"
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["run_id"] == run.run_id
    assert len(manifest["files"]) == 18

    assert len(received) == 1
    sender, rcpts, data = received[0]
    assert sender == "frisk@example.org" and sorted(rcpts) == ["fk@example.org", "hr@example.org"]
    assert data.count(b"application/pdf") == 3 and b"2120009903_sammanfattning.pdf" in data

    import importlib.util

    from frisk.assets import OUTBOX
    from frisk.config import DAGS_DIR

    spec = importlib.util.spec_from_file_location("dag_meeting_extract_check", DAGS_DIR / "meeting_extract.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    dag = module.meeting_extract_dag
    assert dag.get_task("build").outlets == [OUTBOX]
    assert dag.default_args["owner"] == "frisk" and dag.default_args["retries"] == 2 and dag.tags
    assert dag.timetable.expression == "0 6 1 1,4,7,10 *"  # meetings.yml: quarterly
