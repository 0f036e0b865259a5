"""The invoice chain is a `fingerprinted_table` chain: kept when its inputs did not change, rebuilt otherwise.

dbt_project/macros/materializations/fingerprinted_table.sql: a table is rebuilt only when the fingerprint of its
inputs (its SQL, the seeds' contents, its parents' fingerprints, the batches of the raw sources it reads, the
as-of date when the SQL reads it) differs from the one stored when it was last built. A kept table is observable
as the same relation: its OID is unchanged (a rebuild creates a new table and renames it in place).

One world (the grant test's invoices, specifications and payments), built as of 2024-01-15, then night after
night: nothing new (all 11 kept); a new invoice batch; a superseding payment batch rejected; two seeds edited
(the service catalogue, and a shorter episode gap from 2024-02-01); the as-of date moving up to and across that
setting's valid_from. After each change exactly the affected models are rebuilt and every one of the 11 tables
equals a `--full-refresh`, which rebuilds all of them. A build that crashes between a table's commit and its
fingerprint's leaves no fingerprint: the table is rebuilt next time, even when the inputs are back to what the
old fingerprint described.
"""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path
from typing import Any

import psycopg

from frisk.config import DBT_PROJECT_DIR
from frisk.dbt_runner import dbt_invoke
from tests.test_dbt_interventions_grant import _load_world
from tests.test_dbt_interventions_support import EMPLOYER_1, PROVIDER_A, Invoice, Line, insert_invoice

STAGING = ("stg_invoices__documents", "stg_invoices__lines", "stg_invoices__allowance_charges",
           "stg_invoices__tax_subtotals", "stg_invoices__specifications", "stg_invoices__payments")
INTERMEDIATE = ("int_invoice_services", "int_invoice_settlements", "int_intervention_episodes", "int_grant_lines",
                "int_grant_allocation")
CHAIN = STAGING + INTERMEDIATE
RELATIONS = {m: f"{'staging' if m in STAGING else 'intermediate'}.{m}" for m in CHAIN}
# the 11 models and the interventions seeds; dbt's tests are left to the other intervention tests
SELECT = ("--select", "+int_grant_allocation", "stg_invoices__allowance_charges", "stg_invoices__tax_subtotals",
          "path:seeds/interventions", "--exclude-resource-type", "test", "unit_test")


def _project(tmp_path: Path) -> Path:
    """A copy of the dbt project whose seeds a test may edit."""
    copy = tmp_path / "dbt_project"
    shutil.copytree(DBT_PROJECT_DIR, copy, ignore=shutil.ignore_patterns("target", "logs", "dbt_packages"))
    return copy


def _dbt(url: str, project: Path, target: Path, *args: str, as_of: str = "2024-01-15",
         elapsed: list[float] | None = None) -> dict[str, Any]:
    """Run dbt in this process, as the warehouse build does; returns the models' results by name (and appends
    the seconds dbt spent running nodes, without parsing, to `elapsed`)."""
    res = dbt_invoke([*args], warehouse_url=url, target_path=target, as_of=as_of, project_dir=project)
    assert res.success, [(r.node.name, r.message) for r in res.result.results if r.status != "success"] \
        if res.result else res.exception
    if elapsed is not None:
        elapsed.append(res.result.elapsed_time)
    return {r.node.name: r for r in res.result.results if r.node.resource_type == "model"}


def _state(url: str) -> dict[str, tuple[int, list[str]]]:
    """Each table's OID and its rows (as text, sorted)."""
    with psycopg.connect(url) as conn:
        return {m: (conn.execute("select %s::regclass::oid", (rel,)).fetchone()[0],
                    [r[0] for r in conn.execute(f"select t::text from {rel} as t order by 1")])
                for m, rel in RELATIONS.items()}


def _rebuilt(before: dict, after: dict) -> set[str]:
    return {m for m in CHAIN if after[m][0] != before[m][0]}


def _night(url: str, project: Path, target: Path, before: dict, expect_rebuilt: set[str],
           as_of: str = "2024-01-15") -> dict:
    """An incremental build that rebuilds exactly `expect_rebuilt`, keeps the rest row for row, and equals a
    full refresh (which rebuilds everything). Returns the state after the full refresh."""
    results = _dbt(url, project, target, "build", *SELECT, as_of=as_of)
    after = _state(url)
    assert _rebuilt(before, after) == expect_rebuilt
    for m in set(CHAIN) - expect_rebuilt:
        assert after[m][1] == before[m][1], m
        assert results[m].message == "KEPT", (m, results[m].message)
    assert all(results[m].message != "KEPT" for m in expect_rebuilt)
    _dbt(url, project, target, "build", *SELECT, "--full-refresh", as_of=as_of)
    full = _state(url)
    assert _rebuilt(after, full) == set(CHAIN)  # --full-refresh always rebuilds
    for m in CHAIN:
        assert after[m][1] == full[m][1], f"{m}: incremental differs from a full refresh"
    return full


def _edit_seed(project: Path, name: str, old: str, new: str) -> None:
    path = next(project.joinpath("seeds").rglob(f"{name}.csv"))
    text = path.read_text(encoding="utf-8")
    assert old in text, (name, old)
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_invoice_chain_is_kept_until_its_inputs_change(warehouse: str, tmp_path: Path) -> None:
    url, project, target = warehouse, _project(tmp_path), tmp_path / "target"
    # a crash between the table's commit and the fingerprint's, on demand (the config is the same either way)
    payments = project / "models" / "staging" / "invoices" / "stg_invoices__payments.sql"
    payments.write_text('{{ config(post_hook=after_commit("{% if var(\'crash_after_commit\', false) %}select 1 / 0'
                        '{% endif %}")) }}\n' + payments.read_text(encoding="utf-8"), encoding="utf-8")
    _load_world(url)

    elapsed: list[float] = []
    first = _dbt(url, project, target, "build", *SELECT, elapsed=elapsed)
    night0 = _state(url)
    # the fixture has no document-level allowances or VAT subtotals
    assert [m for m in CHAIN if not night0[m][1]] == ["stg_invoices__allowance_charges", "stg_invoices__tax_subtotals"]
    with psycopg.connect(url) as conn:
        stored = dict(conn.execute("select relation_name, fingerprint from audit.model_fingerprints").fetchall())
    assert set(stored) == set(RELATIONS.values())

    # nothing new: every model kept, no DDL (same OID), same rows, same fingerprints
    second = _dbt(url, project, target, "build", *SELECT, elapsed=elapsed)
    night1 = _state(url)
    assert _rebuilt(night0, night1) == set()
    assert night1 == night0
    assert {m: r.message for m, r in second.items() if m in CHAIN} == dict.fromkeys(CHAIN, "KEPT")
    with psycopg.connect(url) as conn:
        assert dict(conn.execute("select relation_name, fingerprint from audit.model_fingerprints").fetchall()) \
            == stored
    print(f"\ninvoice chain: the 11 models {sum(first[m].execution_time for m in CHAIN):.2f} s built, "
          f"{sum(second[m].execution_time for m in CHAIN):.2f} s kept; the builds with the seeds "
          f"{elapsed[0]:.2f} s, {elapsed[1]:.2f} s")

    # a new invoice batch: everything reading the invoice batches; the payments staging is kept
    with psycopg.connect(url) as conn:
        insert_invoice(conn, Invoice("A-5", PROVIDER_A, EMPLOYER_1, date(2024, 1, 10), [
            Line(1200, date(2024, 1, 5), "P6", "HS01"),
        ]))
    night2 = _night(url, project, target, night1, set(CHAIN) - {"stg_invoices__payments"})
    assert any("A-5" in row for row in night2["stg_invoices__documents"][1])

    # the corrected payment file is rejected: the first delivery is current again (same rows in raw, same
    # max(batch_id): only the batches' status tells); the payments and what reads them are rebuilt
    with psycopg.connect(url) as conn:
        conn.execute("""update audit.batches set status = 'rejected'
                         where batch_id = (select max(batch_id) from audit.batches where source = 'payments')""")
    night3 = _night(url, project, target, night2,
                    {"stg_invoices__payments", "int_invoice_settlements", "int_grant_lines", "int_grant_allocation"})
    assert night3["stg_invoices__payments"][1] != night2["stg_invoices__payments"][1]

    # that rejection is undone, and the build crashes right after the payments table committed: the table holds
    # the new rows, and its fingerprint is gone (deleted in the same transaction). When the batch is rejected
    # again, the inputs are the ones the old fingerprint described, but the table is rebuilt all the same; what
    # reads it never saw the other rows and is kept.
    with psycopg.connect(url) as conn:
        conn.execute("""update audit.batches set status = 'loaded'
                         where batch_id = (select max(batch_id) from audit.batches where source = 'payments')""")
    crash = dbt_invoke(["build", *SELECT, "--vars", "{crash_after_commit: true}"], warehouse_url=url,
                       target_path=target, as_of="2024-01-15", project_dir=project)
    assert not crash.success
    crashed = _state(url)
    assert _rebuilt(night3, crashed) == {"stg_invoices__payments"}
    assert crashed["stg_invoices__payments"][1] == night2["stg_invoices__payments"][1]
    with psycopg.connect(url) as conn:
        conn.execute("""update audit.batches set status = 'rejected'
                         where batch_id = (select max(batch_id) from audit.batches where source = 'payments')""")
        assert not conn.execute("select 1 from audit.model_fingerprints "
                                "where relation_name = 'staging.stg_invoices__payments'").fetchall()
    recovered = _dbt(url, project, target, "build", *SELECT)
    night3b = _state(url)
    assert _rebuilt(crashed, night3b) == {"stg_invoices__payments"}
    assert recovered["stg_invoices__payments"].message != "KEPT"
    # the inputs are night 3's, which was a full refresh
    assert {m: rows for m, (_, rows) in night3b.items()} == {m: rows for m, (_, rows) in night3.items()}
    night3 = night3b

    # seeds edited: a service's type in the catalogue, and from 2024-02-01 a shorter episode gap (not yet in
    # force on the as-of date, but the seed changed). The staging and the settlements are kept.
    _edit_seed(project, "service_catalogue", "HS01,Hälsosamtal,health_talk", "HS01,Hälsosamtal,assessment")
    _edit_seed(project, "intervention_settings", "episode_gap_days,90,2010-01-01,,",
               "episode_gap_days,30,2024-02-01,,Shorter from February 2024\nepisode_gap_days,90,2010-01-01,2024-01-31,")
    night4 = _night(url, project, target, night3,
                    {"int_invoice_services", "int_intervention_episodes", "int_grant_lines", "int_grant_allocation"})
    assert night4["int_invoice_services"][1] != night3["int_invoice_services"][1]

    # the as-of date moves, but the setting's value on it does not: all kept
    results = _dbt(url, project, target, "build", *SELECT, as_of="2024-01-31")
    night5 = _state(url)
    assert _rebuilt(night4, night5) == set() and night5 == night4
    assert {m: r.message for m, r in results.items() if m in CHAIN} == dict.fromkeys(CHAIN, "KEPT")

    # the day the shorter gap takes effect: the episodes (P1's services 31 days apart split) and what reads them;
    # a row as text is (service_key,episode_id,...)
    night6 = _night(url, project, target, night5,
                    {"int_intervention_episodes", "int_grant_lines", "int_grant_allocation"}, as_of="2024-02-01")
    assert len({r.split(",")[1] for r in night6["int_intervention_episodes"][1]}) > \
        len({r.split(",")[1] for r in night5["int_intervention_episodes"][1]})


def test_a_fingerprinted_table_reading_unfingerprinted_inputs_fails_loudly(warehouse: str, tmp_path: Path) -> None:
    project = _project(tmp_path)
    models = project / "models" / "staging" / "invoices"
    # a view as parent: its changes would go unseen
    (models / "stg_invoices__misuse_view.sql").write_text(
        "select * from {{ ref('stg_payroll__absence') }}\n", encoding="utf-8")
    # a raw source without meta.batch_source
    (models / "stg_invoices__misuse_source.sql").write_text(
        "select * from {{ source('payroll_raw', 'payroll_absence') }}\n", encoding="utf-8")
    res = dbt_invoke(["run", "--select", "stg_invoices__misuse_view", "stg_invoices__misuse_source"],
                     warehouse_url=warehouse, target_path=tmp_path / "target", project_dir=project)
    assert not res.success
    errors = {r.node.name: " ".join(str(r.message).split()) for r in res.result.results}
    assert "fingerprinted_table stg_invoices__misuse_view reads stg_payroll__absence, which is materialized as " \
           "'view'" in errors["stg_invoices__misuse_view"], errors
    assert "fingerprinted_table stg_invoices__misuse_source reads source payroll_raw.payroll_absence, which has " \
           "no meta.batch_source" in errors["stg_invoices__misuse_source"], errors


def test_kept_models_are_counted_apart_from_built_ones() -> None:
    from frisk.dbt_runner import BuildResult, NodeResult

    nodes = [NodeResult("model.frisk.int_grant_lines", "model", "success", 0.01, None, "KEPT"),
             NodeResult("model.frisk.int_sick_spells", "model", "success", 1.2, 10, "INSERT 0 10"),
             NodeResult("seed.frisk.age_bands", "seed", "success", 0.1, 3, "INSERT 3"),
             NodeResult("test.frisk.unique_x", "test", "pass", 0.1, None, None)]
    result = BuildResult("r", True, 2.0, nodes)
    assert (result.models_built, result.models_kept, result.tests_passed) == (2, 1, 1)
    assert result.as_dict()["models_kept"] == 1
    assert "kept (inputs unchanged)" in nodes[0].line() and "success" in nodes[1].line()
