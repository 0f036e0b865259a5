"""Payroll exports of the demo employers: the canonical dialect and the Swedish semicolon dialect.

Formats are those of docs/architecture.md. Files are streamed one person at a time: a personnel snapshot per
employer (everyone employed at some time in the period, leavers with their end date) and one absence file per
calendar year (a row goes to the year it starts in). About `noise_rate` of the absence rows carry a data-entry
error that validation must catch (invalid personnummer, to before from, extent 0 or 150, unknown cause code,
an exact duplicate row).
"""

from __future__ import annotations

import csv
import datetime as dt
import random
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import IO

from frisk.demo.personnummer import corrupt_check_digit, with_dash
from frisk.demo.simulate import Absence, Person
from frisk.demo.world import Employer, World

CANONICAL_PERSONNEL = ["employer_org_number", "personnummer", "employment_id", "org_unit_code", "org_unit_name",
                       "sector", "occupation", "employment_rate_pct", "weekly_hours", "employment_start",
                       "employment_end"]
CANONICAL_ABSENCE = ["employer_org_number", "personnummer", "employment_id", "absence_cause", "from_date",
                     "to_date", "extent_pct", "hours"]
SV_PERSONNEL = ["Personnummer", "Anst.nr", "Org.enhet", "Org.enhet namn", "Verksamhet", "Befattning",
                "Sysselsättningsgrad", "Veckoarbetstid", "Anst. from", "Anst. tom"]
SV_ABSENCE = ["Personnummer", "Anst.nr", "Frånvaroorsak", "Datum from", "Datum tom", "Omfattning", "Timmar"]
SV_CAUSES = {"SJK": "Sjuk", "VAB": "VAB", "FL": "Föräldraledig", "SEM": "Semester", "OVR": "Övrigt"}
# Codes a payroll system might export that no dialect maps: the rows are kept and flagged as unknown cause.
UNKNOWN_CAUSES = {"frisk_canonical": "KOMP", "sv_semikolon": "Kompledigt"}
NOISE_KINDS = ("invalid_personnummer", "to_before_from", "extent_0", "extent_150", "unknown_cause", "duplicate")
PART = ".part"  # landing.pending_files ignores these until they are renamed at the end


def weekdays(start: dt.date, end: dt.date) -> int:
    """Monday-Friday days in [start, end]."""
    days = (end - start).days + 1
    if days <= 0:
        return 0
    full, rest = divmod(days, 7)
    n = full * 5
    wd = start.weekday()
    for i in range(rest):
        if (wd + i) % 7 < 5:
            n += 1
    return n


def absent_hours(person: Person, a: Absence) -> Decimal | None:
    """Scheduled hours missed: weekdays x weekly hours / 5 x extent. Unknown for hourly paid and open spells."""
    if person.weekly_hours is None or a.end is None or a.end < a.start:
        return None
    return (Decimal(weekdays(a.start, a.end)) * person.weekly_hours / 5 * a.extent / 100).quantize(Decimal("0.01"))


def _sv_decimal(value: Decimal | int | None, places: int = 2) -> str:
    if value is None:
        return ""
    return f"{Decimal(value):.{places}f}".replace(".", ",")


class PayrollWriter:
    """Writes one employer's files; `write()` takes one person at a time."""

    def __init__(self, world: World, employer: Employer, folder: Path, years: range, end_date: dt.date) -> None:
        self.world, self.employer, self.end_date = world, employer, end_date
        self.swedish = employer.dialect == "sv_semikolon"
        org = employer.org_number
        folder.mkdir(parents=True, exist_ok=True)
        if self.swedish:
            personnel = folder / f"personal_{org}_{end_date:%Y%m%d}.csv"
            absence = {y: folder / f"franvaro_{org}_{y}.csv" for y in years}
        else:
            personnel = folder / f"personnel_{org}_{end_date.isoformat()}.csv"
            absence = {y: folder / f"absence_{org}_{y}.csv" for y in years}
        self.paths = [personnel, *absence.values()]
        self._handles: list[IO[str]] = []
        self.personnel = self._open(personnel, SV_PERSONNEL if self.swedish else CANONICAL_PERSONNEL)
        self.absence = {y: self._open(p, SV_ABSENCE if self.swedish else CANONICAL_ABSENCE)
                        for y, p in absence.items()}
        self.counts: Counter[str] = Counter()

    def _open(self, path: Path, header: list[str]):
        if self.swedish:  # Windows-1252 and CRLF, as an older Swedish payroll system exports
            f = open(path.with_name(path.name + PART), "w", encoding="cp1252", newline="")  # noqa: SIM115
            writer = csv.writer(f, delimiter=";", lineterminator="\r\n")
        else:
            f = open(path.with_name(path.name + PART), "w", encoding="utf-8", newline="")  # noqa: SIM115
            writer = csv.writer(f, delimiter=",", lineterminator="\n")
        self._handles.append(f)
        writer.writerow(header)
        return writer

    def write(self, person: Person, absences: list[Absence], noise_rng: random.Random) -> None:
        self._personnel_row(person)
        noise_rate = float(self.world.absence["noise_rate"])
        for a in absences:
            row = self._absence_row(person, a, noise_rng)
            kind = None
            if noise_rng.random() < noise_rate:
                kind = NOISE_KINDS[noise_rng.randrange(len(NOISE_KINDS))]
                if kind == "to_before_from" and a.end is None:
                    kind = "duplicate"
                row = self._noisy(row, kind, person, a)
            out = self.absence[a.start.year]
            out.writerow(row)
            self.counts["absence_rows"] += 1
            if kind == "duplicate":
                out.writerow(row)
                self.counts["absence_rows"] += 1
            if kind:
                self.counts[f"noise_{kind}"] += 1

    def _personnel_row(self, p: Person) -> None:
        end = p.end.isoformat() if p.end else ""
        if self.swedish:
            self.personnel.writerow([
                with_dash(p.number), p.employment_id, p.unit_code, p.unit_name,
                self.world.sector_labels_sv[p.sector], p.occupation,
                _sv_decimal(p.rate_pct), _sv_decimal(p.weekly_hours), p.start.isoformat(), end,
            ])
        else:
            self.personnel.writerow([
                self.employer.org_number, p.number, p.employment_id, p.unit_code, p.unit_name, p.sector,
                p.occupation, "" if p.rate_pct is None else p.rate_pct,
                "" if p.weekly_hours is None else p.weekly_hours, p.start.isoformat(), end,
            ])
        self.counts["personnel_rows"] += 1

    def _absence_row(self, p: Person, a: Absence, rng: random.Random) -> list[str]:
        hours = absent_hours(p, a)
        if self.swedish:
            # Omfattning as a fraction on some rows and as a percent on others, as mixed exports do
            style = rng.random()
            extent = (_sv_decimal(Decimal(a.extent) / 100, 3) if style < 0.5
                      else str(a.extent) if style < 0.8 else _sv_decimal(a.extent, 1))
            to = a.end.isoformat() if a.end else ("TV" if rng.random() < 0.7 else "")
            return [with_dash(p.number), p.employment_id, SV_CAUSES[a.cause], a.start.isoformat(), to, extent,
                    _sv_decimal(hours)]
        return [self.employer.org_number, p.number, p.employment_id, a.cause, a.start.isoformat(),
                a.end.isoformat() if a.end else "", str(a.extent), "" if hours is None else str(hours)]

    def _noisy(self, row: list[str], kind: str, p: Person, a: Absence) -> list[str]:
        row = list(row)
        pnr_col, cause_col, from_col, to_col, extent_col = (0, 2, 3, 4, 5) if self.swedish else (1, 3, 4, 5, 6)
        if kind == "invalid_personnummer":
            bad = corrupt_check_digit(p.number)
            row[pnr_col] = with_dash(bad) if self.swedish else bad
        elif kind == "to_before_from":
            row[from_col], row[to_col] = row[to_col], row[from_col]
            if row[from_col] == row[to_col]:  # one-day spell: a to date the day before
                row[to_col] = (a.start - dt.timedelta(days=1)).isoformat()
        elif kind == "extent_0":
            row[extent_col] = "0"
        elif kind == "extent_150":
            row[extent_col] = "150"
        elif kind == "unknown_cause":
            row[cause_col] = UNKNOWN_CAUSES[self.employer.dialect]
        return row

    def close(self) -> list[Path]:
        for f in self._handles:
            f.close()
        for p in self.paths:
            p.with_name(p.name + PART).replace(p)
        return self.paths
