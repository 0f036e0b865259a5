"""fct_interventions is incremental per person and still equals a full refresh, night after night.

World: the one of test_dbt_interventions_outcomes, built and published with build_aside as the nightly DAG does.
- Night 2: T2 (services in 2023) gets a sick spell in a late file, so only the persons whose sick leave changed
  are recomputed: T2's services (only the rows that changed are written), the other services are the published
  rows, and the whole mart equals a full refresh as of the same date.
- Night 3: a new invoice (a service to C2) rebuilds the invoice chain, so every service is rebuilt.
Both incremental nights are compared with a full refresh of the same night.
The grant caps test reads the invoice chain alone, and the grant mart's reconciliation and grain tests read rows that
are a function of the chain and the seeds: night 2 keeps the chain the published build tested, so the three skip
their scans (invoice_chain_as_published); night 3 and the full refreshes run them in full. Likewise the row-level
payroll staging tests read only the batches the published build's staging did not show (audit.builds.batches_seen):
a bad row in a new batch still fails the night; and the spell marts' relationship tests read only the spells
recomputed that night (a broken one of them fails).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import psycopg

from frisk import dbt_runner
from tests.test_dbt_interventions_outcomes import _world
from tests.test_dbt_interventions_outcomes_incremental import _absence, _new_batch
from tests.test_dbt_interventions_support import EMPLOYER_1, PROVIDER_A, Invoice, Line, insert_invoice, pkey

MART = "fct_interventions"


def _mart(url: str, schema: str = dbt_runner.BUILD_SCHEMA, mart: str = MART) -> list[str]:
    with psycopg.connect(url) as conn:
        return [r[0] for r in conn.execute(f"select x::text from {schema}.{mart} as x order by 1")]


def _batches_seen(url: str, run_id: str) -> list[int]:
    """The payroll batches a build recorded as shown by staging, checked against the staging views themselves."""
    with psycopg.connect(url) as conn:
        seen = conn.execute("select batches_seen from audit.builds where run_id = %s", (run_id,)).fetchone()[0]
        shown = [r[0] for r in conn.execute("select batch_id from staging.stg_payroll__absence union "
                                            "select batch_id from staging.stg_payroll__personnel order by 1")]
    assert seen == shown
    return seen


def _staging_test_sql(target: Path) -> str:
    return next(target.joinpath("run").rglob("relationships_stg_payroll__abs*.sql")).read_text(encoding="utf-8")


# the grant tests that read the invoice chain and the grant mart (a function of the chain and the seeds), each with
# the table its full scan reads
CHAIN_TESTS = {"assert_grant_within_caps": "int_grant_allocation",
               "assert_grant_spend_reconciles_with_invoices": "fct_grant_lines",
               "assert_grant_eligibility_one_row_per_line": "fct_grant_lines"}


def _caps_test_scans(target: Path) -> bool:
    """Whether the last build ran the grant tests in full (each one's executed SQL reads its table, a quoted
    relation name: the comments name it too): all of them or none."""
    scans = {name: f'."{table}"' in next(target.joinpath("run").rglob(f"{name}.sql")).read_text(encoding="utf-8")
             for name, table in CHAIN_TESTS.items()}
    assert len(set(scans.values())) == 1, scans
    return next(iter(scans.values()))


def _spell_tests_scoped(target: Path) -> bool:
    """Whether the last build's relationship tests of the spell marts read only tonight's recomputed spells (each
    one's executed SQL reads int_sick_spell_changes): all of them or none."""
    scoped = {p.name: "int_sick_spell_changes" in p.read_text(encoding="utf-8") for p in
              [*target.joinpath("run").rglob("relationships_fct_sick_spells_*.sql"),
               *target.joinpath("run").rglob("relationships_fct_absence_sign*.sql")]}
    assert len(scoped) == 4 and len(set(scoped.values())) == 1, scoped
    return next(iter(scoped.values()))


def _episode_test_fails(url: str, target: Path, as_of: str, recomputed: bool) -> bool:
    """Point one spell's episode at no spell in the build schema, a spell int_sick_spells recomputed tonight or
    not, and run the episode relationship test as the incremental night does: whether it fails. Restored after."""
    pick = "" if recomputed else "not"
    with psycopg.connect(url) as conn:
        spell = conn.execute(
            f"select spell_id, episode_id from {dbt_runner.BUILD_SCHEMA}.fct_sick_spells where spell_id {pick} in "
            "(select spell_id from intermediate.int_sick_spell_changes) order by 1 limit 1").fetchone()
        assert spell is not None
        conn.execute(f"update {dbt_runner.BUILD_SCHEMA}.fct_sick_spells set episode_id = 'no-such-spell' "
                     "where spell_id = %s", (spell[0],))
    try:
        res = dbt_runner.dbt_invoke(["test", "--select", "fct_sick_spells,test_name:relationships"],
                                    warehouse_url=url, target_path=target, as_of=as_of, project_as_published=True)
        return any(r.status == "fail" and "episode_id" in r.node.unique_id for r in res.result.results)
    finally:
        with psycopg.connect(url) as conn:
            conn.execute(f"update {dbt_runner.BUILD_SCHEMA}.fct_sick_spells set episode_id = %s where spell_id = %s",
                         (spell[1], spell[0]))


def _night(url: str, target: Path, run_id: str, as_of: str, caps_scan: bool,
           break_episodes: bool = False) -> tuple[int, list[str]]:
    """Incremental night, then a full refresh of the same night: (rows the mart's incremental run inserted,
    the mart's rows), after asserting both builds give the same mart and that the incremental night ran the
    grant caps test in full or not as `caps_scan` says (the full refresh always does); with `break_episodes`, that the
    spell marts' relationship tests read the spells recomputed tonight and no others (_episode_test_fails)."""
    night = dbt_runner.build_aside(run_id, as_of=as_of, warehouse_url=url, target_path=target)
    assert night.success and not night.full_refresh, night.message
    inserted = next(n.rows_affected for n in night.nodes if n.unique_id == f"model.frisk.{MART}")
    assert _caps_test_scans(target) == caps_scan
    # the grant lines are written again only when the invoice chain changed; kept, the view still gives tonight's
    # status (compared with the full refresh below)
    lines_written = next(n.rows_affected for n in night.nodes if n.unique_id == "model.frisk.fct_grant_lines")
    grants = _mart(url, mart="fct_grant_eligibility")
    assert lines_written == (len(grants) if caps_scan else 0) and grants
    assert _spell_tests_scoped(target)
    if break_episodes:
        # a broken row among the spells recomputed tonight fails the test; one among the published spells that no
        # night touched is not read again
        assert _episode_test_fails(url, target, as_of, recomputed=True)
        assert not _episode_test_fails(url, target, as_of, recomputed=False)
    incremental = _mart(url)
    full = dbt_runner.build_aside(f"{run_id}-full", as_of=as_of, full_refresh=True, warehouse_url=url,
                                  target_path=target)
    assert full.success, full.message
    assert _caps_test_scans(target)
    assert not _spell_tests_scoped(target)
    assert incremental == _mart(url), f"{MART}: the incremental night differs from a full refresh as of {as_of}"
    assert grants == _mart(url, mart="fct_grant_eligibility"), f"fct_grant_eligibility differs as of {as_of}"
    # publish the incremental night's marts, as the DAG would have (the full refresh built the same rows)
    dbt_runner.publish(f"{run_id}-full", conninfo=url)
    return inserted, incremental


def test_interventions_incremental_equal_full_refresh(warehouse: str, tmp_path: Path) -> None:
    target = tmp_path / "target"
    _world(warehouse)
    first = dbt_runner.build_aside("night-1", as_of="2024-06-30", warehouse_url=warehouse, target_path=target)
    assert first.success and first.full_refresh, first.message  # nothing published yet
    dbt_runner.publish("night-1", conninfo=warehouse)
    published = _mart(warehouse, dbt_runner.PUBLISHED_SCHEMA)
    total = len(published)
    assert total > 10

    with psycopg.connect(warehouse) as conn:
        _absence(conn, _new_batch(conn, "absence", "franvaro_t2"), "T2", "2024-07-01", "2024-07-05")
        conn.commit()
    inserted, night2 = _night(warehouse, target, "night-2", "2024-08-15", caps_scan=False, break_episodes=True)
    assert _batches_seen(warehouse, "night-2")  # the last full refresh (night-2-full) is the published build
    t2_services = [r for r in night2 if pkey("T2") in r]
    # only T2's services were recomputed, and of them only those whose row changed were written (the changed_rows
    # strategy): services dated before the new spell come out as published, and are kept
    changed = set(night2) - set(published)
    assert {r for r in changed if pkey("T2") not in r} == set()
    assert inserted == len(changed) < len(t2_services) < total

    with psycopg.connect(warehouse) as conn:
        insert_invoice(conn, Invoice("A-103", PROVIDER_A, EMPLOYER_1, date(2024, 9, 30),
                                     [Line(1400, date(2024, 9, 1), "C2", "SS01")]))
        conn.commit()
    inserted, night3 = _night(warehouse, target, "night-3", "2024-09-30", caps_scan=True)
    assert inserted == len(night3) == total + 1  # the invoice chain changed: every service rebuilt

    # a new batch with a row whose absence category the seed does not know: the staging test reads only the new
    # batch's rows (not the ones the published night-3-full showed), and fails the night
    published_seen = _batches_seen(warehouse, "night-3-full")
    with psycopg.connect(warehouse) as conn:
        bad = _new_batch(conn, "absence", "franvaro_bad")
        _absence(conn, bad, "T3", "2024-10-01", "2024-10-02")
        conn.execute("update raw.payroll_absence set absence_category = 'no_such_category' where batch_id = %s",
                     (bad,))
        conn.commit()
    night4 = dbt_runner.build_aside("night-4", as_of="2024-10-15", warehouse_url=warehouse, target_path=target)
    assert not night4.success and not night4.full_refresh
    failed = [n.unique_id for n in night4.nodes if n.status == "fail"]
    assert len(failed) == 1 and "relationships_stg_payroll__absence" in failed[0], failed
    assert "batches_seen" in _staging_test_sql(target)
    assert bad not in published_seen and _batches_seen(warehouse, "night-4") == sorted([*published_seen, bad])
