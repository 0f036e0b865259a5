"""The figures of a meeting: every topic's cells per unit (employer or group), suppressed together.

A unit is one employer or a whole collaboration group. Each topic is a set of cells keyed by its dimensions,
each cell carrying `n` (distinct employees behind it) and its values. `collect()` reads the marts through
`queries`, `protect()` solves suppression across all units and topics at once (see suppression.py) and blanks
the values of every suppressed cell, so no writer downstream can publish a hidden figure by mistake.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

import psycopg

from frisk.extracts import queries
from frisk.extracts.suppression import Constraint, suppress

TOTAL = "total"
WINDOW = "12m"  # the key-figure "period" that means: the last window_months months
Z95 = 1.959964  # two-sided 95 % normal quantile for the outcome confidence interval


@dataclass(frozen=True)
class Period:
    as_of: dt.date
    end: dt.date  # last day of the last complete month before as_of
    window_start: dt.date
    previous_start: dt.date
    previous_end: dt.date
    trend_start: dt.date
    years: tuple[int, ...]  # complete calendar years shown as key figures (oldest first)
    query_start: dt.date  # earliest month any topic needs

    @property
    def window_label(self) -> str:
        return f"{self.window_start:%Y-%m} – {self.end:%Y-%m}"


def _month_start(d: dt.date, back: int = 0) -> dt.date:
    months = d.year * 12 + d.month - 1 - back
    return dt.date(months // 12, months % 12 + 1, 1)


def make_period(as_of: dt.date, trend_months: int = 24, window_months: int = 12) -> Period:
    end = _month_start(as_of) - dt.timedelta(days=1)
    window_start = _month_start(end, window_months - 1)
    previous_end = window_start - dt.timedelta(days=1)
    previous_start = _month_start(previous_end, window_months - 1)
    trend_start = _month_start(end, trend_months - 1)
    last_full_year = end.year if end.month == 12 else end.year - 1
    years = (last_full_year - 1, last_full_year)
    query_start = min(trend_start, previous_start, dt.date(years[0], 1, 1))
    return Period(as_of, end, window_start, previous_start, previous_end, trend_start, years, query_start)


@dataclass
class Cell:
    n: int
    values: dict[str, float | None]
    status: str | None = None  # None = published, 'primary' or 'complementary' = suppressed

    @property
    def suppressed(self) -> bool:
        return self.status is not None


@dataclass
class Topic:
    name: str
    dims: tuple[str, ...]
    cells: dict[tuple, Cell] = field(default_factory=dict)
    # within one unit: (total dims, [part dims]) meaning total = sum of parts
    constraints: list[tuple[tuple, tuple[tuple, ...]]] = field(default_factory=list)

    def value(self, key: tuple, name: str) -> float | None:
        cell = self.cells.get(key)
        return None if cell is None or cell.suppressed else cell.values.get(name)


@dataclass
class Unit:
    unit_id: str  # an org number, or "group:<id>"
    label: str
    employers: tuple[str, ...]
    is_group: bool
    topics: dict[str, Topic] = field(default_factory=dict)
    benchmark: list[dict] = field(default_factory=list)  # month, kommun per employer, lan, riket (public)
    benchmark_latest: dict | None = None  # the latest published month, when none falls inside the period


def _pct(num: float, den: float) -> float | None:
    return round(100.0 * num / den, 2) if den else None


def _trend(rows: list[dict], period: Period) -> Topic:
    acc: dict[tuple, list[float]] = defaultdict(lambda: [0, 0.0, 0.0, 0.0])
    for r in rows:
        if r["month"] < period.trend_start:
            continue
        for key in ((r["month"], r["sector"]), (r["month"], TOTAL)):
            a = acc[key]
            a[0] += r["employees"]
            a[1] += r["scheduled_hours"] or 0
            a[2] += r["sick_hours"] or 0
            a[3] += r["sick_hours_long"] or 0
    t = Topic("trend", ("month", "sector"))
    for key, (n, sched, sick, long_) in sorted(acc.items()):
        t.cells[key] = Cell(int(n), {"sick_pct": _pct(sick, sched), "long_pct": _pct(long_, sched)})
    for month in sorted({k[0] for k in acc}):
        t.constraints.append(((month, TOTAL), tuple((month, s) for s in queries.SECTORS)))
    return t


def _key_figures(rows: list[dict], period: Period) -> Topic:
    """The seven annual-report figures per complete year and for the last 12 months.

    n is the largest monthly head count of the subgroup in the period: every one of those people is in the
    figure, so a figure never passes with fewer distinct employees than its threshold.
    """
    periods = {str(y): (dt.date(y, 1, 1), dt.date(y, 12, 31)) for y in period.years}
    periods[WINDOW] = (period.window_start, period.end)
    subgroups = {
        "total": lambda r: True,
        "women": lambda r: r["sex"] == "K",
        "men": lambda r: r["sex"] == "M",
        **{f"age_{b}": (lambda r, b=b: r["age_band"] == b) for b in queries.AGE_BANDS},
    }
    t = Topic("key_figures", ("period", "figure"))
    for label, (start, end) in periods.items():
        for sg, match in subgroups.items():
            heads: dict[dt.date, int] = defaultdict(int)
            sched = sick = long_ = 0.0
            for r in rows:
                if start <= r["month"] <= end and match(r):
                    heads[r["month"]] += r["employees"]
                    sched += r["scheduled_hours"] or 0
                    sick += r["sick_hours"] or 0
                    long_ += r["sick_hours_long"] or 0
            n = max(heads.values(), default=0)
            t.cells[(label, sg)] = Cell(n, {"pct": _pct(sick, sched)})
            if sg == "total":
                t.cells[(label, "long_share")] = Cell(n, {"pct": _pct(long_, sick)})
        t.constraints.append(((label, "total"), ((label, "women"), (label, "men"))))
        t.constraints.append(((label, "total"), tuple((label, f"age_{b}") for b in queries.AGE_BANDS)))
    return t


def _spells(current: list[dict], previous: list[dict]) -> Topic:
    t = Topic("spells", ("period", "band"))
    for label, rows in (("current", current), ("previous", previous)):
        by_band = {r["band"]: r for r in rows}
        total_spells = by_band.get(TOTAL, {}).get("spells") or 0
        for band in (*queries.LENGTH_BANDS, TOTAL):
            r = by_band.get(band) or {"spells": 0, "n": 0, "days": 0.0}
            t.cells[(label, band)] = Cell(int(r["n"]), {
                "spells": float(r["spells"]), "persons": float(r["n"]),
                "share_pct": _pct(r["spells"], total_spells),
            })
        t.constraints.append(((label, TOTAL), tuple((label, b) for b in queries.LENGTH_BANDS)))
    return t


def _signals(rows: list[dict]) -> Topic:
    t = Topic("signals", ("signal_type",))
    for r in rows:
        t.cells[(r["signal_type"],)] = Cell(int(r["n"]), {"signals": float(r["signals"]), "persons": float(r["n"])})
    return t


def _interventions(rows: list[dict]) -> Topic:
    t = Topic("interventions", ("intervention_type",))
    for r in rows:
        t.cells[(r["intervention_type"],)] = Cell(int(r["n"]), {
            "services": float(r["services"]), "persons": float(r["n"]), "amount": r["amount"],
        })
    parts = tuple(k for k in t.cells if k != (TOTAL,))
    if (TOTAL,) in t.cells:
        t.constraints.append(((TOTAL,), parts))
    return t


def _outcomes(rows: list[dict]) -> Topic:
    t = Topic("outcomes", ("window_days",))
    for r in rows:
        episodes, sd, did = int(r["episodes"] or 0), r["did_sd"], r["did"]
        half = Z95 * sd / math.sqrt(episodes) if sd is not None and episodes >= 2 else None
        t.cells[(int(r["window_days"]),)] = Cell(int(r["n"] or 0), {
            "episodes": float(episodes), "change_treated": r["change_treated"],
            "change_control": r["change_control"], "did": did,
            "ci_low": did - half if half is not None and did is not None else None,
            "ci_high": did + half if half is not None and did is not None else None,
        })
    return t


def _grant(rows: list[dict]) -> Topic:
    t = Topic("grant", ("year", "scheme"))
    for r in rows:
        t.cells[(int(r["year"]), r["scheme"])] = Cell(int(r["n"] or 0), {
            k: r[k] for k in ("spend", "eligible_spend", "claimed", "claimable", "lost_caps", "lost_deadline")
        })
    return t


def collect_unit(
    conn: psycopg.Connection, unit: Unit, period: Period, windows: Iterable[int],
    benchmark_indicator: str = "fk_sjukpenningtal_1_0",
) -> Unit:
    emps = list(unit.employers)
    monthly = queries.monthly_cells(conn, emps, period.query_start, period.end)
    unit.topics = {
        "trend": _trend(monthly, period),
        "key_figures": _key_figures(monthly, period),
        "spells": _spells(
            queries.spells_by_band(conn, emps, period.window_start, period.end),
            queries.spells_by_band(conn, emps, period.previous_start, period.previous_end),
        ),
        "signals": _signals(queries.signal_counts(conn, emps, period.window_start, period.end)),
        "interventions": _interventions(
            queries.intervention_counts(conn, emps, period.window_start, period.end)
        ),
        "outcomes": _outcomes(queries.outcome_stats(conn, emps, list(windows), period.end)),
        "grant": _grant(queries.grant_money(conn, emps, [*period.years, period.end.year])),
    }
    unit.benchmark = _benchmark(queries.public_benchmark(
        conn, emps, period.trend_start, period.end, benchmark_indicator
    ))
    if not unit.benchmark:
        # FK publishes with a lag (and a bundled snapshot can be old): show the latest figure before the period
        earlier = _benchmark(queries.public_benchmark(
            conn, emps, dt.date(1990, 1, 1), period.end, benchmark_indicator))
        unit.benchmark_latest = earlier[-1] if earlier else None
    return unit


def _benchmark(rows: list[dict]) -> list[dict]:
    by_month: dict[dt.date, dict] = {}
    for r in rows:
        m = by_month.setdefault(r["month"], {"month": r["month"], "kommun": {}, "lan": None, "riket": None})
        m["kommun"][r["employer_org_number"]] = r["kommun"]
        m["lan"] = m["lan"] if m["lan"] is not None else r["lan"]
        m["riket"] = m["riket"] if m["riket"] is not None else r["riket"]
    return [by_month[k] for k in sorted(by_month)]


def protect(units: list[Unit], threshold: int) -> int:
    """Suppress across all units and topics; blank suppressed values in place. Returns the number suppressed."""
    counts: dict[tuple, int] = {}
    constraints: list[Constraint] = []
    by_id = {u.unit_id: u for u in units}
    for u in units:
        for name, topic in u.topics.items():
            for key, cell in topic.cells.items():
                counts[(name, u.unit_id, key)] = cell.n
            for total, parts in topic.constraints:
                constraints.append(Constraint((name, u.unit_id, total), tuple((name, u.unit_id, p) for p in parts)))
    # a group's cell is made of its employers' cells: solve them together so differences give nothing away
    for g in (u for u in units if u.is_group):
        members = [by_id[e] for e in g.employers if e in by_id]
        for name, topic in g.topics.items():
            keys = set(topic.cells)
            for m in members:
                keys |= set(m.topics[name].cells)
            for key in keys:
                constraints.append(Constraint((name, g.unit_id, key), tuple((name, m.unit_id, key) for m in members),
                                              prefer_total=True))
    status = suppress(counts, constraints, threshold)
    hidden = 0
    for u in units:
        for name, topic in u.topics.items():
            for key, cell in topic.cells.items():
                cell.status = status[(name, u.unit_id, key)]
                if cell.suppressed:
                    cell.values = dict.fromkeys(cell.values)
                    hidden += 1
    return hidden
