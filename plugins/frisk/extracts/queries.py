"""Every query the meeting packs run against the marts, in one place.

The marts are the public contract (issues 6 and 7). Column names used here are listed in `MARTS`: when a mart's
contract changes, this mapping (and only this module) changes. Each function aggregates over a *set* of
employers, so a group's figures count a person once even when they work for two of its municipalities.
Nothing person-level leaves this module: every query returns aggregates with the number of distinct employees
they are built from (`n`), which the suppression step needs.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import psycopg
from psycopg.rows import dict_row


@dataclass(frozen=True)
class Mart:
    table: str
    columns: dict[str, str]  # our name -> the mart's column name

    def __getattr__(self, name: str) -> str:  # MARTS["monthly"].sick_hours -> the mart's column name
        try:
            return self.columns[name]
        except KeyError:
            raise AttributeError(name) from None


MARTS: dict[str, Mart] = {
    "monthly": Mart("marts.fct_sick_leave_monthly", {
        "employer": "employer_org_number", "org_unit": "org_unit_code", "month": "month_start", "sex": "sex",
        "age_band": "age_band", "employees": "employees", "scheduled_hours": "scheduled_hours",
        "sick_hours": "sick_hours", "sick_hours_long": "long_term_sick_hours",
    }),
    # fct_sick_leave_monthly has no sector: an org unit's sector is the one most of its employments carry.
    "org_units": Mart("intermediate.int_employments", {
        "employer": "employer_org_number", "org_unit": "org_unit_code", "sector": "sector",
    }),
    "spells": Mart("marts.fct_sick_spells", {
        "employer": "employer_org_number", "person": "person_key", "start_date": "start_date",
        "length_days": "length_days", "length_band": "length_band",
    }),
    "signals": Mart("marts.fct_absence_signals", {
        "employer": "employer_org_number", "person": "person_key", "signal_date": "signal_date",
        "signal_type": "rule_id",
    }),
    "interventions": Mart("marts.fct_interventions", {
        "employer": "employer_org_number", "person": "person_key", "service_date": "service_date",
        "intervention_type": "intervention_type", "amount_net": "amount_net", "is_cancelled": "is_cancelled",
    }),
    # one row per episode and window: the person's sick days before/after, the matched comparison group's
    # means and the per-episode difference in differences (null unless follow-up is complete and matched)
    "outcomes": Mart("marts.fct_intervention_outcomes", {
        "employer": "employer_org_number", "person": "person_key", "first_service_date": "first_service_date",
        "window_days": "window_days", "follow_up_complete": "follow_up_complete",
        "before": "sick_days_before", "after": "sick_days_after",
        "control_before": "comparison_sick_days_before", "control_after": "comparison_sick_days_after",
        "did": "did_sick_days",
    }),
    "grant_lines": Mart("marts.fct_grant_eligibility", {
        "employer": "employer_org_number", "person": "person_key", "year": "grant_year", "scheme": "scheme",
    }),
    "grant_summary": Mart("marts.rpt_grant_summary", {
        "employer": "employer_org_number", "year": "grant_year", "scheme": "scheme", "spend": "spend",
        "eligible_spend": "eligible_spend", "claimed": "grant_claimed", "claimable": "grant_claimable",
        "lost_caps": "lost_to_caps", "lost_deadline": "lost_to_deadline",
    }),
    # one long table: filter period_type = 'month', the FK indicator, sex 'T'; comparison kommun/lan/riket
    "benchmark": Mart("marts.rpt_public_benchmark", {
        "employer": "employer_org_number", "period_type": "period_type", "period_start": "period_start",
        "indicator": "indicator", "comparison": "comparison", "sex": "sex", "value": "value",
    }),
}

# Length bands as fct_sick_spells stores them, in display order.
LENGTH_BANDS = ("1-14", "15-59", "60-89", "90-179", "180-364", "365+")
SECTORS = ("care", "school", "social_services", "administration")
AGE_BANDS = ("<=29", "30-49", ">=50")


class MartMissing(RuntimeError):
    """A mart (or a column of it) the pack needs is not in the warehouse; names the table and column."""


def _columns(conn: psycopg.Connection, table: str) -> set[str]:
    schema, name = table.split(".")
    rows = conn.execute(
        "select column_name from information_schema.columns where table_schema = %s and table_name = %s",
        (schema, name),
    ).fetchall()
    return {r[0] for r in rows}


def check_marts(conn: psycopg.Connection, windows: Sequence[int]) -> None:
    """Fail early, naming table and column, when a mart does not match the contract this module expects."""
    for mart in MARTS.values():
        have = _columns(conn, mart.table)
        if not have:
            raise MartMissing(f"{mart.table}: table not found in the warehouse (has the dbt build run?)")
        wanted = []
        for col in mart.columns.values():
            wanted += [col.format(w=w) for w in windows] if "{w}" in col else [col]
        missing = [c for c in wanted if c not in have]
        if missing:
            raise MartMissing(f"{mart.table}: column(s) {', '.join(missing)} not found")


def _all(conn: psycopg.Connection, sql: str, params: dict) -> list[dict]:
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(sql, params).fetchall()  # type: ignore[arg-type]


def monthly_cells(
    conn: psycopg.Connection, employers: Sequence[str], start: dt.date, end: dt.date
) -> list[dict]:
    """month x sector x sex x age band over the employers: employees and hours."""
    m, u = MARTS["monthly"], MARTS["org_units"]
    sql = f"""
        with unit_sector as (
            select distinct on ({u.employer}, {u.org_unit}) {u.employer} as employer, {u.org_unit} as org_unit,
                   {u.sector} as sector
            from {u.table}
            where {u.employer} = any(%(employers)s)
            group by {u.employer}, {u.org_unit}, {u.sector}
            order by {u.employer}, {u.org_unit}, count(*) desc, {u.sector}
        )
        select m.{m.month}::date as month, coalesce(us.sector, 'unknown') as sector, m.{m.sex} as sex,
               m.{m.age_band} as age_band, sum(m.{m.employees})::bigint as employees,
               sum(m.{m.scheduled_hours})::float8 as scheduled_hours, sum(m.{m.sick_hours})::float8 as sick_hours,
               sum(m.{m.sick_hours_long})::float8 as sick_hours_long
        from {m.table} as m
        left join unit_sector as us on us.employer = m.{m.employer} and us.org_unit = m.{m.org_unit}
        where m.{m.employer} = any(%(employers)s) and m.{m.month} between %(start)s and %(end)s
        group by 1, 2, 3, 4 order by 1, 2, 3, 4"""
    return _all(conn, sql, {"employers": list(employers), "start": start, "end": end})


def spells_by_band(
    conn: psycopg.Connection, employers: Sequence[str], start: dt.date, end: dt.date
) -> list[dict]:
    """Spells started in [start, end] by length band: spells, distinct employees, sick days; and a total."""
    s = MARTS["spells"]
    sql = f"""
        select coalesce({s.length_band}, 'total') as band, count(*)::bigint as spells,
               count(distinct {s.person})::bigint as n, sum({s.length_days})::float8 as days
        from {s.table}
        where {s.employer} = any(%(employers)s) and {s.start_date} between %(start)s and %(end)s
        group by grouping sets (({s.length_band}), ())"""
    return _all(conn, sql, {"employers": list(employers), "start": start, "end": end})


def signal_counts(
    conn: psycopg.Connection, employers: Sequence[str], start: dt.date, end: dt.date
) -> list[dict]:
    """Signals fired in [start, end] per rule: how many times, for how many distinct employees."""
    g = MARTS["signals"]
    sql = f"""
        select {g.signal_type} as signal_type, count(*)::bigint as signals,
               count(distinct {g.person})::bigint as n
        from {g.table}
        where {g.employer} = any(%(employers)s) and {g.signal_date} between %(start)s and %(end)s
        group by 1 order by 1"""
    return _all(conn, sql, {"employers": list(employers), "start": start, "end": end})


def intervention_counts(
    conn: psycopg.Connection, employers: Sequence[str], start: dt.date, end: dt.date
) -> list[dict]:
    """Services delivered in [start, end] per intervention type and in total: services, employees, SEK."""
    i = MARTS["interventions"]
    sql = f"""
        select coalesce({i.intervention_type}, 'total') as intervention_type, count(*)::bigint as services,
               count(distinct {i.person})::bigint as n, coalesce(sum({i.amount_net}), 0)::float8 as amount
        from {i.table}
        where {i.employer} = any(%(employers)s) and {i.service_date} between %(start)s and %(end)s
          and not {i.is_cancelled}
        group by grouping sets (({i.intervention_type}), ())"""
    return _all(conn, sql, {"employers": list(employers), "start": start, "end": end})


def outcome_stats(
    conn: psycopg.Connection, employers: Sequence[str], windows: Sequence[int], end: dt.date
) -> list[dict]:
    """Per window: episodes whose follow-up is complete by `end` and have a matched comparison; the mean change
    in sick days for them and for their comparison group, and the difference-in-differences with its standard
    deviation (for a 95 % interval in the pack)."""
    o = MARTS["outcomes"]
    sql = f"""
        select {o.window_days}::int as window_days, count(distinct {o.person})::bigint as n,
               count(*)::bigint as episodes,
               avg({o.after} - {o.before})::float8 as change_treated,
               avg({o.control_after} - {o.control_before})::float8 as change_control,
               avg({o.did})::float8 as did, stddev_samp({o.did})::float8 as did_sd
        from {o.table}
        where {o.employer} = any(%(employers)s) and {o.window_days} = any(%(windows)s)
          and {o.follow_up_complete} and {o.did} is not null
          and {o.first_service_date} + {o.window_days} <= %(end)s
        group by 1 order by 1"""
    return _all(conn, sql, {"employers": list(employers), "windows": [int(w) for w in windows], "end": end})


def grant_money(
    conn: psycopg.Connection, employers: Sequence[str], years: Sequence[int]
) -> list[dict]:
    """Per year and scheme: SEK spent, eligible, claimed, claimable, lost to caps and to deadlines, and the
    number of distinct employees the service lines concern."""
    s, g = MARTS["grant_summary"], MARTS["grant_lines"]
    sql = f"""
        with money as (
            select {s.year}::int as year, {s.scheme} as scheme, sum({s.spend})::float8 as spend,
                   sum({s.eligible_spend})::float8 as eligible_spend, sum({s.claimed})::float8 as claimed,
                   sum({s.claimable})::float8 as claimable, sum({s.lost_caps})::float8 as lost_caps,
                   sum({s.lost_deadline})::float8 as lost_deadline
            from {s.table}
            where {s.employer} = any(%(employers)s) and {s.year} = any(%(years)s)
            group by 1, 2
        ), people as (
            select {g.year}::int as year, {g.scheme} as scheme, count(distinct {g.person})::bigint as n
            from {g.table}
            where {g.employer} = any(%(employers)s) and {g.year} = any(%(years)s)
            group by 1, 2
        )
        select money.*, coalesce(people.n, 0) as n
        from money left join people using (year, scheme) order by year, scheme"""
    return _all(conn, sql, {"employers": list(employers), "years": list(years)})


def public_benchmark(
    conn: psycopg.Connection, employers: Sequence[str], start: dt.date, end: dt.date, indicator: str
) -> list[dict]:
    """Försäkringskassan's published figure (`indicator`, e.g. fk_sjukpenningtal_1_0) per month for each
    employer's kommun, its län and Sweden, all ages and both sexes."""
    b = MARTS["benchmark"]
    sql = f"""
        select {b.employer} as employer_org_number, {b.period_start}::date as month,
               max({b.value}) filter (where {b.comparison} = 'kommun')::float8 as kommun,
               max({b.value}) filter (where {b.comparison} = 'lan')::float8 as lan,
               max({b.value}) filter (where {b.comparison} = 'riket')::float8 as riket
        from {b.table}
        where {b.employer} = any(%(employers)s) and {b.period_type} = 'month' and {b.indicator} = %(indicator)s
          and {b.sex} = 'T' and {b.period_start} between %(start)s and %(end)s
        group by 1, 2 order by 2, 1"""
    return _all(conn, sql, {"employers": list(employers), "start": start, "end": end, "indicator": indicator})


def employer_names(conn: psycopg.Connection) -> dict[str, str]:
    """Names from the employers seed (meta.employers) when it exists; empty otherwise."""
    have = _columns(conn, "meta.employers")
    if "employer_org_number" not in have:
        return {}
    name_col = next((c for c in ("employer_name", "name", "kommun_name") if c in have), None)
    if name_col is None:
        return {}
    rows = conn.execute(f"select employer_org_number, {name_col} from meta.employers").fetchall()
    return {str(org): str(name) for org, name in rows if name}


def data_dates(conn: psycopg.Connection) -> dict[str, dt.datetime | None]:
    """When the marts were last published and when each source last delivered a loaded file."""
    out: dict[str, dt.datetime | None] = {}
    row = conn.execute(
        "select max(finished_at) from audit.builds where status = 'published'"
    ).fetchone()
    out["marts_published"] = row[0] if row else None
    for source, latest in conn.execute(
        "select source, max(finished_at) from audit.batches where status = 'loaded' group by source"
    ).fetchall():
        out[f"source_{source}"] = latest
    return out
