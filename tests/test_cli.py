"""The `frisk` command against a real PostgreSQL."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import psycopg

from frisk.cli import main


def test_up_is_idempotent_and_url_prints_the_warehouse(warehouse: str, capsys) -> None:
    assert main(["up"]) == 0
    assert main(["up"]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert out == [warehouse, warehouse]
    assert main(["url"]) == 0
    url = capsys.readouterr().out.strip()
    with psycopg.connect(url) as conn:
        schemas = {r[0] for r in conn.execute("select schema_name from information_schema.schemata")}
        assert {"raw", "quarantine", "audit", "meta"} <= schemas
        migrations = conn.execute("select count(*) from meta.schema_migrations").fetchone()[0]
        files = list((Path(__file__).parents[1] / "plugins/frisk/migrations").glob("*.sql"))
        assert migrations == len(files)


def test_console_script_help() -> None:
    exe = Path(sys.executable).parent / "frisk"
    out = subprocess.run([str(exe), "--help"], capture_output=True, text=True, check=True).stdout
    for command in ("up", "url", "run", "demo-data", "down", "airflow", "docs"):
        assert command in out


def test_docs_are_generated_where_the_summary_points(warehouse: str, frisk_env: Path, monkeypatch) -> None:
    from frisk import docs
    from frisk.dbt_runner import docs_index

    monkeypatch.setenv("FRISK_HOME", str(frisk_env / "home"))
    index = docs.generate()
    assert index.is_file() and index == docs_index()
    assert "model.frisk.fct_sick_spells" in (index.parent / "manifest.json").read_text(encoding="utf-8")
    assert (index.parent / "catalog.json").is_file()  # column types and descriptions for the published marts
