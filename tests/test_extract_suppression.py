"""Small-group suppression with complementary suppression: the rules proved on small hand-built units."""

from __future__ import annotations

import itertools

from frisk.extracts.figures import Cell, Topic, Unit, protect
from frisk.extracts.suppression import Constraint, suppress


def test_primary_and_complementary_in_one_unit() -> None:
    # a unit of three teams and their total; team c has 3 employees
    counts = {"a": 20, "b": 12, "c": 3, "total": 35}
    status = suppress(counts, [Constraint("total", ("a", "b", "c"))], threshold=11)
    assert status["c"] == "primary"
    assert status["b"] == "complementary"  # the smallest visible part: c cannot be total - a - b any more
    assert status["a"] is None and status["total"] is None


def test_suppressed_parts_together_must_reach_threshold() -> None:
    # two small teams hidden, but their sum (3 + 4 = 7 people) would follow from the total: hide one more
    counts = {"a": 30, "b": 25, "c": 3, "d": 4, "total": 62}
    status = suppress(counts, [Constraint("total", ("a", "b", "c", "d"))], threshold=11)
    assert {k for k, v in status.items() if v} == {"c", "d", "b"}


def test_only_part_left_means_total_goes() -> None:
    status = suppress({"a": 5, "b": 0, "total": 5}, [Constraint("total", ("a", "b"))], threshold=11)
    assert status == {"a": "primary", "b": None, "total": "primary"}
    # an empty cell is no complement (everyone knows it is zero): the total goes instead
    status = suppress({"a": 5, "b": 0, "total": 25, "c": 20},
                      [Constraint("total", ("a", "b", "c"))], threshold=11)
    assert status["c"] == "complementary" and status["b"] is None


def test_two_dimensional_table_cannot_be_recovered() -> None:
    """months x sectors with row totals: no hidden cell is alone in any row or column equation."""
    n = {("m1", "care"): 30, ("m1", "school"): 4, ("m1", "admin"): 15,
         ("m2", "care"): 31, ("m2", "school"): 5, ("m2", "admin"): 16}
    for m in ("m1", "m2"):
        n[(m, "total")] = sum(v for (mm, _), v in n.items() if mm == m)
    for s in ("care", "school", "admin", "total"):
        n[("all", s)] = n[("m1", s)] + n[("m2", s)]
    rows = [Constraint((m, "total"), tuple((m, s) for s in ("care", "school", "admin"))) for m in ("m1", "m2", "all")]
    cols = [Constraint(("all", s), (("m1", s), ("m2", s))) for s in ("care", "school", "admin", "total")]
    status = suppress(n, rows + cols, threshold=11)
    for c in rows + cols:
        members = (c.total, *c.parts)
        hidden = [k for k in members if status[k]]
        assert len(hidden) != 1, c  # one hidden member of an equation can be solved for
        if hidden and not status[c.total]:
            assert sum(n[k] for k in hidden) >= 11


def _unit(uid: str, school: int, care: int, is_group: bool = False, employers=()) -> Unit:
    t = Topic("trend", ("month", "sector"))
    t.cells = {("m", "school"): Cell(school, {"pct": 5.0}), ("m", "care"): Cell(care, {"pct": 8.0}),
               ("m", "total"): Cell(school + care, {"pct": 7.0})}
    t.constraints = [(("m", "total"), (("m", "school"), ("m", "care")))]
    return Unit(uid, uid, tuple(employers) or (uid,), is_group, topics={"trend": t})


def test_group_pack_does_not_reveal_a_member_cell() -> None:
    """Västerby's school (8) is hidden in its own pack; the group's school figure would be Frisköping's plus
    Västerby's, so it goes too, and its values are blanked in every pack."""
    a, b = _unit("A", school=20, care=30), _unit("B", school=8, care=15)
    g = _unit("G", school=28, care=45, is_group=True, employers=("A", "B"))
    hidden = protect([a, b, g], threshold=11)
    tb, tg, ta = b.topics["trend"], g.topics["trend"], a.topics["trend"]
    assert tb.cells[("m", "school")].status == "primary"
    assert tb.cells[("m", "school")].values == {"pct": None}
    assert tg.cells[("m", "school")].suppressed  # group = A + B would give B away
    assert not ta.cells[("m", "school")].suppressed  # A's own figure stays: the group figure is hidden instead
    for unit in (a, b, g):
        for cell in unit.topics["trend"].cells.values():
            assert cell.suppressed == all(v is None for v in cell.values.values())
    assert hidden == sum(c.suppressed for u in (a, b, g) for c in u.topics["trend"].cells.values())
    # brute force: no published combination of one equation leaves exactly one unknown
    equations = [("B", ("m", "total"), [("B", ("m", "school")), ("B", ("m", "care"))]),
                 ("G", ("m", "total"), [("G", ("m", "school")), ("G", ("m", "care"))])]
    equations += [("G", ("m", s), [("A", ("m", s)), ("B", ("m", s))]) for s in ("school", "care", "total")]
    units = {"A": a, "B": b, "G": g}
    for uid, total, parts in equations:
        members = [(uid, total), *parts]
        unknown = [m for m in members if units[m[0]].topics["trend"].cells[m[1]].suppressed]
        assert len(unknown) != 1, (uid, total)


def test_suppression_is_stable_under_order() -> None:
    counts = {"a": 3, "b": 30, "c": 12, "t": 45}
    results = {tuple(sorted(suppress(dict(p), [Constraint("t", ("a", "b", "c"))], 11).items()))
               for p in itertools.permutations(counts.items())}
    assert len(results) == 1
