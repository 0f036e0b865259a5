"""Build the meeting packs: for each collaboration group, one folder outbox/<group>/<date>/ holding a workbook,
four charts and a PDF per employer (and for the group as a whole when it has several employers with data),
plus manifest.json. The folder is written aside and renamed into place, so a reader never sees half a pack.
"""

from __future__ import annotations

import datetime as dt
import logging
import shutil
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg
from openpyxl import load_workbook

from frisk import warehouse
from frisk.config import settings
from frisk.extracts import queries
from frisk.extracts.charts import render_charts
from frisk.extracts.config import Group, MeetingsConfig, load_config
from frisk.extracts.figures import Period, Unit, collect_unit, make_period, protect
from frisk.extracts.headlines import change_notes, headline_figures
from frisk.extracts.manifest import file_entry, previous_manifest, write_manifest
from frisk.extracts.pdf import write_pdf
from frisk.extracts.workbook import write_workbook
from frisk.identity import looks_like_personnummer

log = logging.getLogger(__name__)
TZ = ZoneInfo("Europe/Stockholm")


class PrivacyError(RuntimeError):
    """An output would have carried something shaped like a personnummer; the pack is not delivered."""


def _units(conn: psycopg.Connection, group: Group, period: Period, names: dict[str, str]) -> list[Unit]:
    with_data = []
    for emp in group.employers:
        has = queries.monthly_cells(conn, [emp.org_number], period.query_start, period.end)
        if has:
            with_data.append(emp)
        else:
            log.warning("group %s: employer %s has no sick-leave data for %s..%s; no pack for it",
                        group.group_id, emp.org_number, period.query_start, period.end)
    units = [Unit(e.org_number, names.get(e.org_number, e.name), (e.org_number,), False) for e in with_data]
    if len(with_data) > 1:
        units.append(Unit(f"group:{group.group_id}", group.name, tuple(e.org_number for e in with_data), True))
    return units


def _scan(folder: Path) -> None:
    """Last line of defence: refuse to deliver if any workbook cell or the manifest looks like a personnummer."""
    for xlsx in folder.glob("*.xlsx"):
        wb = load_workbook(xlsx, read_only=True)
        for ws in wb.worksheets:
            for row in ws.iter_rows(values_only=True):
                for v in row:
                    if isinstance(v, str) and looks_like_personnummer(v):
                        raise PrivacyError(f"{xlsx.name}: sheet {ws.title} holds a personnummer-shaped value")
        wb.close()


def _publish(tmp: Path, final: Path) -> None:
    """Move the finished folder into place. A re-run for the same date replaces the old pack: the old one is
    renamed aside first (rename cannot replace a non-empty folder), then removed."""
    old = None
    if final.exists():
        old = final.with_name(f".replaced-{final.name}-{uuid.uuid4().hex[:8]}")
        final.rename(old)
    tmp.rename(final)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def build_group_pack(
    conn: psycopg.Connection, cfg: MeetingsConfig, group: Group, as_of: dt.date, run_id: str,
    names: dict[str, str], data_dates: dict,
) -> Path | None:
    started = time.monotonic()
    period = make_period(as_of, cfg.trend_months, cfg.window_months)
    units = _units(conn, group, period, names)
    if not units:
        log.warning("group %s: no employer has data; no pack", group.group_id)
        return None
    for u in units:
        collect_unit(conn, u, period, cfg.outcome_windows, cfg.benchmark_indicator)
    hidden = protect(units, cfg.min_employees)

    group_dir = settings().outbox_dir / group.group_id
    group_dir.mkdir(parents=True, exist_ok=True)
    previous = previous_manifest(group_dir, as_of)
    final = group_dir / as_of.isoformat()
    tmp = group_dir / f".tmp-{as_of.isoformat()}-{uuid.uuid4().hex[:8]}"
    tmp.mkdir()
    try:
        files, unit_meta = [], {}
        for u in units:
            prefix = group.group_id if u.is_group else u.unit_id
            unit_names = {**{e.org_number: e.name for e in group.employers}, **names}
            figures = headline_figures(u, period)
            before = previous[1].get("units", {}).get(u.unit_id, {}).get("figures") if previous else None
            notes = change_notes(u.label, figures, before, previous[0].isoformat() if previous else None, u)
            xlsx = write_workbook(tmp / f"{prefix}_uppfoljning.xlsx", u, period, cfg.min_employees, data_dates,
                                  run_id, unit_names)
            charts = render_charts(u, tmp, prefix, unit_names)
            pdf = write_pdf(tmp / f"{prefix}_sammanfattning.pdf", u, period, figures, notes, charts,
                            cfg.min_employees, run_id)
            files.append(file_entry(tmp, xlsx, u.unit_id, "workbook"))
            files += [file_entry(tmp, p, u.unit_id, f"chart:{name}") for name, p in charts.items()]
            files.append(file_entry(tmp, pdf, u.unit_id, "pdf"))
            unit_meta[u.unit_id] = {
                "label": u.label, "employers": list(u.employers), "is_group": u.is_group,
                "figures": figures, "notes": notes,
                "cells_suppressed": sum(c.suppressed for t in u.topics.values() for c in t.cells.values()),
            }
        _scan(tmp)
        write_manifest(tmp, {
            "group": group.group_id, "group_name": group.name, "as_of": as_of.isoformat(), "run_id": run_id,
            "created_at": dt.datetime.now(TZ).isoformat(timespec="seconds"),
            "data_period": {"from": period.trend_start.isoformat(), "to": period.end.isoformat(),
                            "window_from": period.window_start.isoformat(),
                            "key_figure_years": list(period.years)},
            "data_dates": data_dates,
            "suppression": {"threshold": cfg.threshold, "rule": cfg.rule, "min_employees": cfg.min_employees,
                            "cells_suppressed": hidden},
            "previous_pack": previous[0].isoformat() if previous else None,
            "files": files, "units": unit_meta,
        })
        _publish(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    log.info("group %s: pack %s with %d files for %d units (%d cells suppressed) in %.1f s",
             group.group_id, final, len(files), len(units), hidden, time.monotonic() - started)
    return final


def build_packs(
    as_of: dt.date, run_id: str | None = None, groups: Sequence[str] | None = None,
    config: MeetingsConfig | None = None,
) -> list[Path]:
    """Build the packs of the given groups (default: every configured group) for `as_of`; returns the folders.

    `as_of` is the pack date: figures run to the end of the month before it.
    """
    cfg = config or load_config()
    run_id = run_id or f"manual__{dt.datetime.now(TZ).isoformat(timespec='seconds')}"
    selected = [cfg.groups[g] for g in groups] if groups is not None else list(cfg.groups.values())
    out: list[Path] = []
    with warehouse.connect() as conn:
        queries.check_marts(conn, cfg.outcome_windows)
        names = queries.employer_names(conn)
        data_dates = queries.data_dates(conn)
        for group in selected:
            folder = build_group_pack(conn, cfg, group, as_of, run_id, names, data_dates)
            if folder is not None:
                out.append(folder)
    return out
