"""Small-group suppression with complementary suppression, over every pack of a meeting at once.

A *cell* is one published figure's population: a key (unit, topic dimensions...) and `n`, the number of distinct
employees it is built from. A *constraint* says that a total cell is made up of part cells (a month's total of
its sectors, a year's total of women and men, a group's cell of its employers' cells). Publishing the total and
all parts but one gives the missing part away, so:

1. primary: a cell with 0 < n < threshold is suppressed;
2. complementary, repeated until nothing changes, for every constraint:
   - total shown and exactly one part suppressed, or the suppressed parts together cover fewer than threshold
     employees (their sum could be recovered): suppress the visible part with the smallest n, or the total
     when no part is left (or when the constraint prefers hiding its total);
   - total suppressed but every part shown (the total could be recomputed): suppress the smallest part.

Group packs and employer packs are solved together (group = sum of its employers) because the same people read
both: a cell hidden in one employer's pack must not be recoverable as group minus the other employers.
Cells with n = 0 are empty (nothing to protect, and useless as a complement because everyone knows they are 0).
Suppression only grows, so the loop ends.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass

Key = Hashable


@dataclass(frozen=True)
class Constraint:
    total: Key
    parts: tuple[Key, ...]
    # hide the total rather than another part when a complement is needed: for group = sum of employers, so
    # one employer's small cell costs the group figure, not another employer's own figure
    prefer_total: bool = False


def suppress(
    counts: Mapping[Key, int],
    constraints: Iterable[Constraint],
    threshold: int,
) -> dict[Key, str | None]:
    """Return, for every cell, None (publish), 'primary' or 'complementary'.

    Keys named in constraints but missing from `counts` are treated as empty cells (n = 0).
    """
    n = {k: int(v or 0) for k, v in counts.items()}
    status: dict[Key, str | None] = {k: ("primary" if 0 < v < threshold else None) for k, v in n.items()}
    rules: list[Constraint] = [c for c in constraints if c.parts]
    for c in rules:
        for k in (c.total, *c.parts):
            n.setdefault(k, 0)
            status.setdefault(k, None)

    def smallest_visible(keys: Sequence[Key]) -> Key | None:
        visible = [k for k in keys if status[k] is None and n[k] > 0]
        return min(visible, key=lambda k: (n[k], str(k))) if visible else None

    changed = True
    while changed:
        changed = False
        for c in rules:
            parts_hidden = [p for p in c.parts if status[p] is not None]
            if status[c.total] is None:
                hidden_n = sum(n[p] for p in parts_hidden)
                if parts_hidden and (len(parts_hidden) == 1 or hidden_n < threshold):
                    pick = None if c.prefer_total else smallest_visible(c.parts)
                    if pick is None:
                        pick = c.total
                    status[pick] = "complementary"
                    changed = True
            elif not parts_hidden and n[c.total] > 0:
                pick = smallest_visible(c.parts)
                if pick is not None:
                    status[pick] = "complementary"
                    changed = True
    return status


def partition(total: Key, parts: Iterable[Key], prefer_total: bool = False) -> Constraint:
    return Constraint(total=total, parts=tuple(parts), prefer_total=prefer_total)
