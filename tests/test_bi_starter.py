"""The BI starter dashboard: its questions run as a real BI login against marts built by dbt, and the Metabase
provisioning script makes the expected API calls (against a stub of Metabase's API on loopback: no Metabase
server can run here)."""

from __future__ import annotations

import importlib.util
import json
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import psycopg
import pytest

ROOT = Path(__file__).resolve().parents[1]
QUESTIONS = sorted((ROOT / "deploy" / "metabase" / "questions").glob("*.sql"))


def _provision_module():
    spec = importlib.util.spec_from_file_location("provision", ROOT / "deploy" / "metabase" / "provision.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_questions_cover_the_dashboard_topics() -> None:
    text = " ".join(q.read_text(encoding="utf-8") for q in QUESTIONS)
    for mart in ("fct_sick_leave_monthly", "rpt_sick_leave_key_figures", "rpt_absence_signal_counts",
                 "rpt_grant_summary", "rpt_intervention_effects", "rpt_public_benchmark"):
        assert f"marts.{mart}" in text
    assert "person_key" not in text


@pytest.mark.slow
def test_questions_run_as_a_bi_login_on_real_marts(warehouse: str, tmp_path: Path) -> None:
    """Build the marts with the real pipeline pieces on generated data, then run every question as BI."""
    from frisk.demo import generate
    from frisk.security import create_login
    from tests.dbt_pipeline import build_marts_from_landing

    landing = tmp_path / "landing"
    generate(landing, employees=150, years=1, seed=3)
    build_marts_from_landing(landing, warehouse, tmp_path)
    login = f"bi_{uuid.uuid4().hex[:8]}"
    create_login(login, "pw", employer_org_number="2120009903", conninfo=warehouse)
    with psycopg.connect(warehouse, autocommit=True) as conn:
        conn.execute("select meta.apply_mart_security('marts')")
    bi_url = warehouse.replace("postgresql://postgres:", f"postgresql://{login}:pw", 1)
    with psycopg.connect(bi_url) as conn:
        for q in QUESTIONS:
            rows = conn.execute(q.read_text(encoding="utf-8")).fetchall()
            if q.name.startswith("05"):
                # 150 people over one year give no outcome group above the suppression threshold: the question
                # runs and shows nothing (the effect figures are covered by tests/test_dbt_interventions_*)
                continue
            assert rows, f"{q.name} returned nothing"
            employers = {v for r in rows for v in r if isinstance(v, str) and v.isdigit() and len(v) == 10}
            assert employers <= {"2120009903"}, f"{q.name} shows another employer's rows"


class _StubMetabase(BaseHTTPRequestHandler):
    calls: list[tuple[str, str, dict | None]] = []
    next_id = 100

    def _reply(self, body) -> None:
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _body(self) -> dict | None:
        n = int(self.headers.get("Content-Length") or 0)
        return json.loads(self.rfile.read(n)) if n else None

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        self.calls.append(("GET", self.path, None))
        replies = {"/api/health": {"status": "ok"}, "/api/session/properties": {"setup-token": "tok"},
                   "/api/database": {"data": [{"id": 7, "name": "Frisk warehouse (marts)"}]},
                   "/api/card": [], "/api/dashboard": []}
        self._reply(replies.get(self.path, {}))

    def do_POST(self) -> None:  # noqa: N802
        body = self._body()
        self.calls.append(("POST", self.path, body))
        type(self).next_id += 1
        self._reply({"id": "session-1" if self.path == "/api/session" else self.next_id})

    def do_PUT(self) -> None:  # noqa: N802
        self.calls.append(("PUT", self.path, self._body()))
        self._reply({})

    def log_message(self, *args) -> None:
        pass


def test_provisioning_creates_database_questions_and_dashboard() -> None:
    provision = _provision_module()
    _StubMetabase.calls = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _StubMetabase)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        mb = provision.Metabase(f"http://127.0.0.1:{server.server_address[1]}")
        mb.wait(10)
        result = provision.provision(mb, {"FRISK_BI_PASSWORD": "bi-pw", "MB_ADMIN_PASSWORD": "admin-pw"})
    finally:
        server.shutdown()
    setup = next(b for m, p, b in _StubMetabase.calls if p == "/api/setup")
    assert setup["database"]["details"]["user"] == "frisk_bi"
    assert setup["database"]["details"]["schema-filters-patterns"] == "marts"
    cards = [b for m, p, b in _StubMetabase.calls if m == "POST" and p == "/api/card"]
    assert len(cards) == len(QUESTIONS) and all(c["dataset_query"]["database"] == 7 for c in cards)
    dash = [b for m, p, b in _StubMetabase.calls if m == "PUT" and p.startswith("/api/dashboard/")]
    assert len(dash) == 1 and [d["card_id"] for d in dash[0]["dashcards"]] == result["cards"]
