"""Critical-path-first order for dbt's threads: of the nodes ready to run, the one with the most work behind it.

dbt hands its threads the ready nodes in order of their depth in the graph (GraphQueue._get_scores: the level of a
topological sort, shallowest first), and it has no setting to change that (dbt-core issue 10632, open). On the
nightly build that order keeps the longest chain waiting: at 50,000 employees x 5 years the chain from the payroll
changes to the outcome evaluation (int_payroll_person_changes -> ... -> int_outcome_window_metrics ->
fct_intervention_outcomes -> rpt_intervention_effects) is about 23 s of a 28 s night, and twice a ready node of it
waited more than a second for a thread busy with a shallow staging test or a short mart that nothing waits for.

This is list scheduling by critical path (the classic HEFT heuristic): a node's priority is the longest path from
it to the end of the graph, each node weighed by the seconds it took in the previous build (dbt_runner reads them
from the audit), or a default by kind when it has none.
The order only chooses among nodes whose parents are done, so it never changes what runs or what a node sees,
only which ready node a free thread takes first.

It changes dbt's GraphQueue for the duration of one invocation (dbt runs in this process: dbt_runner), and does
nothing, with a warning, on a dbt whose queue no longer has the methods it changes.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
from collections.abc import Iterator, Mapping
from typing import Any

log = logging.getLogger(__name__)

_PATCHED = threading.Lock()  # held while dbt's GraphQueue is changed

# seconds assumed for a node the previous run did not time (a first build, a new node): a model is the work,
# a test a quick query, anything else (exposures, sources) free
DEFAULT_SECONDS = {"model": 1.0, "seed": 1.0, "snapshot": 1.0, "test": 0.1, "unit_test": 0.1}


def node_seconds(node_id: str, seconds: Mapping[str, float]) -> float:
    if node_id in seconds:
        return seconds[node_id]
    return DEFAULT_SECONDS.get(node_id.split(".", 1)[0], 0.0)


def critical_path_scores(graph: Any, seconds: Mapping[str, float]) -> dict[str, float]:
    """Scores for dbt's priority queue (lower runs first): minus the seconds of the longest path from each node to
    the end of `graph` (a networkx DiGraph, edges from parent to child), the node's own seconds included."""
    import networkx as nx

    remaining: dict[str, float] = {}
    for node in reversed(list(nx.topological_sort(graph))):
        after = max((remaining[child] for child in graph.successors(node)), default=0.0)
        remaining[node] = node_seconds(node, seconds) + after
    # rounded, so that a tie (equal paths) falls back on the node id, as dbt's own order does
    return {node: -round(length, 3) for node, length in remaining.items()}


@contextlib.contextmanager
def critical_path_first(threads: int, seconds: Mapping[str, float] | None = None) -> Iterator[None]:
    """While the block runs (one dbt invocation with `threads` threads), dbt's threads take the ready node with the
    longest path behind it, each node weighed by `seconds` (a node not in it: by kind, DEFAULT_SECONDS).

    Two changes to dbt's queue, both needed. Its scores become the critical path (critical_path_scores). And a node
    is taken off the queue only when a thread is free: dbt's main loop takes every node as soon as it is ready and
    hands it to its thread pool, whose own queue is first come, first served, so a priority would only order
    nodes that became ready at the same moment. With at most `threads` nodes taken and not yet done, the pool's
    queue stays empty and the choice is made when a thread frees, among all the nodes ready then."""
    try:
        from dbt.graph.queue import GraphQueue
    except ImportError:  # pragma: no cover - dbt is a dependency of the project
        yield
        return
    originals = {name: GraphQueue.__dict__.get(name) for name in ("__init__", "_get_scores", "get", "mark_done")}
    if any(f is None for f in originals.values()):
        log.warning("dbt's GraphQueue is not the one frisk.dbt_schedule knows: nodes run in dbt's own order")
        yield
        return
    if not _PATCHED.acquire(blocking=False):
        # another dbt invocation in this process changed the class and will restore it: this one runs with the
        # queue as it finds it (changed, with the other's weights, or dbt's own once restored)
        yield
        return
    weights = seconds or {}

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        self._frisk_free_threads = threading.BoundedSemaphore(max(1, threads))
        originals["__init__"](self, *args, **kwargs)

    def _get_scores(self: Any, graph: Any) -> dict[str, float]:
        return critical_path_scores(graph, weights)

    def get(self: Any, block: bool = True, timeout: float | None = None) -> Any:
        if not self._frisk_free_threads.acquire(block, timeout if block else None):
            raise queue.Empty
        try:
            return originals["get"](self, block, timeout)
        except BaseException:
            self._frisk_free_threads.release()  # nothing was taken (a get with a timeout that ran out)
            raise

    def mark_done(self: Any, node_id: Any) -> None:
        try:
            originals["mark_done"](self, node_id)
        finally:
            self._frisk_free_threads.release()

    patched = {"__init__": __init__, "_get_scores": _get_scores, "get": get, "mark_done": mark_done}
    for name, f in patched.items():
        setattr(GraphQueue, name, f)
    try:
        yield
    finally:
        for name, f in originals.items():
            setattr(GraphQueue, name, f)
        _PATCHED.release()
