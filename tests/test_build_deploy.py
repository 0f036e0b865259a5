"""A deploy makes the next night a full refresh: the dbt project a build ran is fingerprinted, and an incremental
night whose project differs from the last published build's runs as a full refresh instead (changed incremental
models may have new columns or indexes that dbt's incremental runs never add)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import psycopg

from frisk import dbt_runner
from frisk.config import DBT_PROJECT_DIR


def _copy_project(tmp_path: Path) -> Path:
    project = tmp_path / "dbt_project"
    shutil.copytree(DBT_PROJECT_DIR, project, ignore=shutil.ignore_patterns("target", "logs", "dbt_packages"))
    return project


def test_project_fingerprint_follows_what_shapes_a_build(tmp_path: Path) -> None:
    project = _copy_project(tmp_path)
    before = dbt_runner.project_fingerprint(project)
    assert before == dbt_runner.project_fingerprint(DBT_PROJECT_DIR)  # the path itself is not part of it

    (project / "target").mkdir(exist_ok=True)
    (project / "target" / "manifest.json").write_text("{}")
    (project / "logs").mkdir(exist_ok=True)
    (project / "logs" / "dbt.log").write_text("a run")
    assert dbt_runner.project_fingerprint(project) == before  # a run's output is not a deploy

    macro = project / "macros" / "changed_persons.sql"
    macro.write_text(macro.read_text(encoding="utf-8") + "\n{# a changed macro #}\n", encoding="utf-8")
    after_macro = dbt_runner.project_fingerprint(project)
    assert after_macro != before

    seed = next((project / "seeds").rglob("age_bands.csv"))
    seed.write_text(seed.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    assert dbt_runner.project_fingerprint(project) not in (before, after_macro)

    model = next((project / "models").rglob("int_sick_spells.sql"))
    model.rename(model.with_name("int_sick_spells_v2.sql"))  # a renamed file, same content
    assert dbt_runner.project_fingerprint(project) not in (before, after_macro)


def test_an_incremental_night_after_a_deploy_is_a_full_refresh(warehouse: str) -> None:
    with psycopg.connect(warehouse) as conn:
        assert dbt_runner.deploy_since_last_publish(conn, "A") == "no published build yet"
        conn.execute("""insert into audit.builds (run_id, status, finished_at, project_fingerprint)
                        values ('old', 'published', now() - interval '2 days', null)""")
        assert "recorded no dbt project fingerprint" in dbt_runner.deploy_since_last_publish(conn, "A")
        conn.execute("""insert into audit.builds (run_id, status, finished_at, project_fingerprint)
                        values ('n1', 'published', now() - interval '1 day', 'A'),
                               ('n2', 'failed', now(), 'B')""")  # a failed build of B is not what BI sees
        assert dbt_runner.deploy_since_last_publish(conn, "A") is None
        assert "changed since the last published build (n1)" in dbt_runner.deploy_since_last_publish(conn, "B")


def test_marts_are_behind_when_the_state_moved_since_the_last_publish(warehouse: str) -> None:
    with psycopg.connect(warehouse, autocommit=True) as conn:
        assert dbt_runner.person_state_fingerprint(conn) is None  # no build yet
        assert not dbt_runner.marts_behind_state(conn)  # nothing published: a full refresh anyway
        conn.execute("create schema if not exists intermediate")
        conn.execute("create table intermediate.int_payroll_person_state (person_key text, absence_fp text)")
        conn.execute("insert into intermediate.int_payroll_person_state values ('p1', 'a'), ('p2', 'b')")
        published = dbt_runner.person_state_fingerprint(conn)
        conn.execute("""insert into audit.builds (run_id, status, finished_at, person_state_fp)
                        values ('n1', 'published', now(), %s)""", (published,))
        assert not dbt_runner.marts_behind_state(conn)

        # a build advanced the state and was not published (or its process died before it could be)
        conn.execute("update intermediate.int_payroll_person_state set absence_fp = 'c' where person_key = 'p1'")
        assert dbt_runner.person_state_fingerprint(conn) != published
        assert dbt_runner.marts_behind_state(conn)
        conn.execute("update intermediate.int_payroll_person_state set absence_fp = 'a' where person_key = 'p1'")
        assert not dbt_runner.marts_behind_state(conn)  # the same state as published (a re-run of it)

        conn.execute("""insert into audit.builds (run_id, status, finished_at, person_state_fp)
                        values ('n0', 'published', now() + interval '1 second', null)""")
        assert dbt_runner.marts_behind_state(conn)  # a published build that recorded no state: be safe


def test_seeds_are_kept_only_while_no_other_project_built_since_the_last_publish(warehouse: str) -> None:
    """An incremental night skips the seeds (and the tests that read only seeds) when the seed tables hold this
    project's seeds: the last published build ran it, and no build since ran another project (whose seeds it
    would have loaded)."""
    with psycopg.connect(warehouse, autocommit=True) as conn:
        assert not dbt_runner.seeds_loaded(conn, "A")  # nothing published
        conn.execute("""insert into audit.builds (run_id, status, started_at, finished_at, project_fingerprint)
                        values ('n1', 'published', now() - interval '2 days', now() - interval '2 days', 'A')""")
        assert dbt_runner.seeds_loaded(conn, "A")
        assert not dbt_runner.seeds_loaded(conn, "B")  # a deploy: the night is a full refresh, seeds loaded
        conn.execute("""insert into audit.builds (run_id, status, started_at, project_fingerprint)
                        values ('n2', 'failed', now() - interval '1 day', 'A')""")
        assert dbt_runner.seeds_loaded(conn, "A")  # a failed night of the same project loaded the same seeds
        conn.execute("""insert into audit.builds (run_id, status, started_at, project_fingerprint)
                        values ('n3', 'failed', now() - interval '12 hours', 'B')""")
        assert not dbt_runner.seeds_loaded(conn, "A")  # B's night may have loaded B's seeds: load A's again
        conn.execute("""insert into audit.builds (run_id, status, started_at, finished_at, project_fingerprint)
                        values ('n4', 'published', now() - interval '1 hour', now(), 'A')""")
        assert dbt_runner.seeds_loaded(conn, "A")  # published since, so it loaded them (or they were A's)


def test_a_build_parses_first_and_a_project_that_does_not_parse_fails_it(warehouse: str, tmp_path: Path) -> None:
    """build_aside parses in a `dbt parse` that writes no artifacts and gives the build its manifest: the build
    writes manifest.json and run_results.json once, when it ends. A project that does not parse fails the build
    with dbt's message, recorded on the build's audit row."""
    target = tmp_path / "target"
    res = dbt_runner.dbt_invoke(["run", "--select", "stg_payroll__absence"], warehouse_url=warehouse,
                                target_path=target, as_of="2024-06-30", parse_first=True)
    assert res.success, res.exception
    written = {p.name for p in target.iterdir() if p.suffix == ".json"}
    assert {"manifest.json", "run_results.json"} <= written
    ran = json.loads((target / "run_results.json").read_text(encoding="utf-8"))
    assert [r["unique_id"] for r in ran["results"]] == ["model.frisk.stg_payroll__absence"]

    project = _copy_project(tmp_path)
    schema = next((project / "models" / "marts").rglob("_sick_leave.yml"))
    schema.write_text(schema.read_text(encoding="utf-8") + "\n  - name: [not, a, name]\n", encoding="utf-8")
    build = dbt_runner.build_aside("broken-project", as_of="2024-06-30", full_refresh=True, warehouse_url=warehouse,
                                   target_path=tmp_path / "broken", project_dir=project)
    assert not build.success and not build.nodes
    assert build.message and "dbt build raised" in build.message
    with psycopg.connect(warehouse) as conn:
        status, message = conn.execute("select status, message from audit.builds where run_id = 'broken-project'"
                                       ).fetchone()
    assert status == "failed" and message == build.message
