"""dbt's threads take the ready node with the longest path behind it (frisk.dbt_schedule), not the shallowest.

On dbt's own queue class: while critical_path_first is active its scores come from the critical path and a node
is handed out only when a thread is free; dbt's depth order, every ready node at once, is back afterwards. In a
real `dbt run` of the project with one thread: of nodes that are all ready at once, the one the previous build
found slowest runs first; dbt's own order would take them by name. A build takes those seconds from the audit.
"""

from __future__ import annotations

import queue
from pathlib import Path
from types import SimpleNamespace

import networkx as nx
import psycopg
import pytest
from dbt.graph.queue import GraphQueue

from frisk import dbt_runner, dbt_schedule
from frisk.dbt_runner import dbt_invoke


def _graph() -> nx.DiGraph:
    # model.a -> model.b -> model.c is the long chain; model.z and test.t are short and as shallow as model.a
    g = nx.DiGraph()
    g.add_edges_from([("model.p.a", "model.p.b"), ("model.p.b", "model.p.c"), ("model.p.z", "test.p.t")])
    return g


def _first_out(queue: GraphQueue) -> str:
    return queue.inner.get()[1]


def test_scores_are_the_longest_path_to_the_end() -> None:
    seconds = {"model.p.a": 1.0, "model.p.b": 2.0, "model.p.c": 0.5, "model.p.z": 3.0, "test.p.t": 0.2}
    scores = dbt_schedule.critical_path_scores(_graph(), seconds)
    assert scores == {"model.p.a": -3.5, "model.p.b": -2.5, "model.p.c": -0.5, "model.p.z": -3.2, "test.p.t": -0.2}
    # untimed nodes weigh by kind: a model 1 s, a test 0.1 s
    assert dbt_schedule.critical_path_scores(_graph(), {}) == {
        "model.p.a": -3.0, "model.p.b": -2.0, "model.p.c": -1.0, "model.p.z": -1.1, "test.p.t": -0.1}


def test_dbt_queue_follows_the_critical_path_only_inside_the_block() -> None:
    # dbt's order: both sources of the graph are at depth 0, so the tie goes by name (model.p.a)
    assert _first_out(GraphQueue(_graph(), None, set())) == "model.p.a"
    with dbt_schedule.critical_path_first(3, {"model.p.z": 1.5, "model.p.a": 0.5}):
        # a: 0.5 + 1 + 1 = 2.5 s to the end; z: 1.5 + 0.1 = 1.6 s
        assert _first_out(GraphQueue(_graph(), None, set())) == "model.p.a"
    with dbt_schedule.critical_path_first(3, {"model.p.z": 4.0}):
        queue = GraphQueue(_graph(), None, set())
        assert _first_out(queue) == "model.p.z"  # 4.1 s behind it against a's 3 s
        assert _first_out(queue) == "model.p.a"
    assert _first_out(GraphQueue(_graph(), None, set())) == "model.p.a"  # dbt's own order again


class _Manifest:
    """What GraphQueue.get reads of dbt's manifest: the node of an id (any object that is not a microbatch model)."""

    def expect(self, unique_id: str) -> SimpleNamespace:
        return SimpleNamespace(unique_id=unique_id)


def test_a_node_is_taken_only_when_a_thread_is_free() -> None:
    # dbt takes every ready node at once into its thread pool's first-come queue; here, with one thread, the next
    # node is chosen when the running one is done, among everything ready then
    with dbt_schedule.critical_path_first(1, {"model.p.a": 2.0, "model.p.b": 3.0}):
        q = GraphQueue(_graph(), _Manifest(), set())
        assert q.get().unique_id == "model.p.a"
        with pytest.raises(queue.Empty):
            q.get(timeout=0.05)  # z is ready, but the one thread is busy
        q.mark_done("model.p.a")
        assert q.get().unique_id == "model.p.b"  # b, ready only now, before z (1.1 s behind it)
        q.mark_done("model.p.b")
        assert q.get().unique_id == "model.p.z"  # 1.1 s behind it (z, then its test) against c's 1 s
    # dbt's own queue hands out every ready node at once
    q = GraphQueue(_graph(), _Manifest(), set())
    assert {q.get().unique_id, q.get().unique_id} == {"model.p.a", "model.p.z"}


def test_a_second_invocation_in_the_process_leaves_the_class_to_the_first() -> None:
    dbt_own = dict(GraphQueue.__dict__)
    with dbt_schedule.critical_path_first(2):
        changed = dict(GraphQueue.__dict__)
        with dbt_schedule.critical_path_first(1):
            assert dict(GraphQueue.__dict__) == changed  # not changed twice
        assert dict(GraphQueue.__dict__) == changed  # nor restored by the inner one
    assert dict(GraphQueue.__dict__) == dbt_own


def test_a_build_weighs_the_nodes_with_the_latest_build_of_its_kind(warehouse: str) -> None:
    # the weights come from the audit: run_results.json in the target folder is `dbt docs generate`'s after a night
    with psycopg.connect(warehouse) as conn:
        assert dbt_runner.previous_node_seconds(conn, "tonight", False) == {}  # the first build: defaults by kind
        for run_id, full, started, secs in (("full-1", True, "2026-12-01", 60.0), ("night-2", False, "2026-12-02", 6.0),
                                            ("night-3", False, "2026-12-03", 5.0), ("full-4", True, "2026-12-04", 50.0),
                                            ("tonight", False, "2026-12-05", None)):
            conn.execute("insert into audit.builds (run_id, started_at, full_refresh) values (%s, %s, %s)",
                         (run_id, started, full))
            if secs is not None:
                conn.execute("insert into audit.dbt_nodes (run_id, unique_id, resource_type, status, seconds) "
                             "values (%s, 'model.frisk.m', 'model', 'success', %s)", (run_id, secs))
        assert dbt_runner.previous_node_seconds(conn, "tonight", False) == {"model.frisk.m": 5.0}
        assert dbt_runner.previous_node_seconds(conn, "tonight", True) == {"model.frisk.m": 50.0}
        conn.execute("delete from audit.dbt_nodes where run_id like 'night-%'")
        # no night timed yet: the latest full refresh is better than nothing
        assert dbt_runner.previous_node_seconds(conn, "tonight", False) == {"model.frisk.m": 50.0}


def test_a_real_run_takes_the_slowest_ready_node_first(warehouse: str, tmp_path: Path) -> None:
    # five staging views over raw tables the migrations created: all ready at once, none depends on another
    views = ["stg_invoices__documents", "stg_invoices__payments", "stg_payroll__absence", "stg_payroll__personnel",
             "stg_statistics__kolada_values"]
    res = dbt_invoke(["run", "--threads", "1", "--select", *views], warehouse_url=warehouse,
                     target_path=tmp_path / "target", node_seconds={
                         "model.frisk.stg_statistics__kolada_values": 9.0, "model.frisk.stg_payroll__absence": 5.0})
    assert res.success, res.exception
    order = [r.node.name for r in sorted(res.result.results, key=lambda r: r.timing[0].started_at)]
    assert order[:2] == ["stg_statistics__kolada_values", "stg_payroll__absence"]
    assert sorted(order[2:]) == order[2:]  # the untimed rest: equal weights, so by name as dbt would
    # dbt's file log holds the nodes at info level, not every statement (FRISK_DBT_LOG_LEVEL_FILE=debug does)
    log = (tmp_path / "target" / "logs" / "dbt.log").read_text(encoding="utf-8")
    assert "stg_payroll__absence" in log and "SQL status" not in log
