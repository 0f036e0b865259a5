"""Provision Metabase from files: admin user, the warehouse (read-only role frisk_bi, schema marts only), one
question per SQL file in questions/ and the starter dashboard "Frisk: sjukfrånvaro och tidiga insatser".

Runs once in the compose deployment (service metabase-setup); idempotent: an existing card or dashboard with the
same name is updated, not duplicated. Standard library only, so it runs in a plain python image.

Environment: MB_URL (default http://metabase:3000), MB_ADMIN_EMAIL, MB_ADMIN_PASSWORD, FRISK_BI_PASSWORD,
WAREHOUSE_HOST (default warehouse), WAREHOUSE_PORT (5432), WAREHOUSE_DB (warehouse).
"""

from __future__ import annotations

import json
import os
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

QUESTIONS = Path(__file__).parent / "questions"
DASHBOARD = "Frisk: sjukfrånvaro och tidiga insatser"
DATABASE = "Frisk warehouse (marts)"
# display type per question file (by prefix): line charts for trends, tables for the rest
DISPLAY = {"01": "line", "03": "bar", "04": "table", "06": "line"}


class Metabase:
    def __init__(self, url: str) -> None:
        self.url = url.rstrip("/")
        self.session: str | None = None

    def call(self, method: str, path: str, body: dict | None = None) -> dict | list:
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(f"{self.url}{path}", data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        if self.session:
            req.add_header("X-Metabase-Session", self.session)
        with urllib.request.urlopen(req, timeout=60) as resp:
            raw = resp.read()
        return json.loads(raw) if raw else {}

    def wait(self, seconds: float = 600) -> None:
        deadline = time.monotonic() + seconds
        while True:
            try:
                self.call("GET", "/api/health")
                return
            except (urllib.error.URLError, OSError):
                if time.monotonic() > deadline:
                    raise
                time.sleep(5)


def questions() -> list[tuple[str, str, str]]:
    """(file prefix, title from the leading comment, SQL) per file, in name order."""
    out = []
    for path in sorted(QUESTIONS.glob("*.sql")):
        text = path.read_text(encoding="utf-8")
        lines = text.splitlines()
        title = lines[0].lstrip("- ").strip() if lines and lines[0].startswith("--") else path.stem
        out.append((path.name[:2], title, text))
    return out


def provision(mb: Metabase, env: dict[str, str]) -> dict:
    props = mb.call("GET", "/api/session/properties")
    token = props.get("setup-token") if isinstance(props, dict) else None
    details = {"host": env.get("WAREHOUSE_HOST", "warehouse"), "port": int(env.get("WAREHOUSE_PORT", "5432")),
               "dbname": env.get("WAREHOUSE_DB", "warehouse"), "user": "frisk_bi",
               "password": env["FRISK_BI_PASSWORD"], "schema-filters-type": "inclusion",
               "schema-filters-patterns": "marts"}
    email, password = env.get("MB_ADMIN_EMAIL", "admin@frisk.local"), env["MB_ADMIN_PASSWORD"]
    if token:
        mb.call("POST", "/api/setup", {
            "token": token,
            "user": {"email": email, "password": password, "first_name": "Frisk", "last_name": "Admin"},
            "prefs": {"site_name": "Frisk", "allow_tracking": False},
            "database": {"engine": "postgres", "name": DATABASE, "details": details},
        })
    mb.session = mb.call("POST", "/api/session", {"username": email, "password": password})["id"]
    dbs = mb.call("GET", "/api/database")
    dbs = dbs.get("data", dbs) if isinstance(dbs, dict) else dbs
    db_id = next((d["id"] for d in dbs if d["name"] == DATABASE), None)
    if db_id is None:
        db_id = mb.call("POST", "/api/database", {"engine": "postgres", "name": DATABASE, "details": details})["id"]
    existing = {c["name"]: c["id"] for c in mb.call("GET", "/api/card")}
    card_ids = []
    for prefix, title, sql in questions():
        card = {"name": title, "display": DISPLAY.get(prefix, "table"), "visualization_settings": {},
                "dataset_query": {"type": "native", "native": {"query": sql}, "database": db_id}}
        if title in existing:
            mb.call("PUT", f"/api/card/{existing[title]}", card)
            card_ids.append(existing[title])
        else:
            card_ids.append(mb.call("POST", "/api/card", card)["id"])
    dashboards = {d["name"]: d["id"] for d in mb.call("GET", "/api/dashboard")}
    description = "Startpanel: trend, nyckeltal, signaler, bidrag, effekter, jämförelse."
    dash_id = dashboards.get(DASHBOARD) or mb.call(
        "POST", "/api/dashboard", {"name": DASHBOARD, "description": description})["id"]
    dashcards = [{"id": -(i + 1), "card_id": cid, "row": (i // 2) * 6, "col": (i % 2) * 12, "size_x": 12,
                  "size_y": 6} for i, cid in enumerate(card_ids)]
    mb.call("PUT", f"/api/dashboard/{dash_id}", {"dashcards": dashcards})
    return {"database_id": db_id, "cards": card_ids, "dashboard_id": dash_id}


def main() -> int:
    mb = Metabase(os.environ.get("MB_URL", "http://metabase:3000"))
    mb.wait()
    result = provision(mb, dict(os.environ))
    print(f"Metabase provisioned: {result}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
