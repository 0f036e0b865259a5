"""`generate()`: write a complete demo landing tree (payroll, invoices, payments) for a fictional region.

People are simulated and written one at a time (payroll rows go straight to the open year files, FHV services to
a temporary spool), then the spool is invoiced one year at a time. Memory therefore grows only with one year of
services and the set of issued personnummer, not with the absence rows. Same seed and end date: same bytes.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import tempfile
import time
from pathlib import Path

from frisk.demo.invoicing import Invoicer, ServiceSpool
from frisk.demo.payroll_files import NOISE_KINDS, PayrollWriter
from frisk.demo.personnummer import MAX_EMPLOYEES, capacity_note
from frisk.demo.simulate import Simulator
from frisk.demo.world import load_world

log = logging.getLogger(__name__)


def _stockholm_yesterday() -> dt.date:
    try:
        from zoneinfo import ZoneInfo

        today = dt.datetime.now(ZoneInfo("Europe/Stockholm")).date()
    except Exception:  # no tz database: the local date is close enough for a default
        today = dt.date.today()
    return today - dt.timedelta(days=1)


def generate(out_dir: Path, employees: int = 2000, years: int = 3, seed: int = 42,
             end_date: dt.date | None = None, *, intervention_effect: float | None = None) -> dict:
    """Write the demo landing tree under `out_dir` (the landing folder) and return counts per file kind.

    `employees`: people employed at some time in the period, split ~60/40 between the two employers; at most
    MAX_EMPLOYEES, the distinct people that Skatteverket's test-number ranges hold (see `personnummer`).
    `years`: calendar years covered, ending with the end date's year (the last one up to `end_date`).
    `end_date`: the last day of data, default yesterday (Europe/Stockholm).
    `intervention_effect`: the true reduction of short sick spells after an early intervention (default from
    world.yaml, 0.35); 0 gives a world without any effect.
    """
    if employees < 1 or years < 1:
        raise ValueError("employees and years must be at least 1")
    if employees > MAX_EMPLOYEES:
        raise ValueError(f"{employees:,} employees is more than the demo world can hold: {capacity_note()}")
    started = time.monotonic()
    out_dir = Path(out_dir)
    end = end_date or _stockholm_yesterday()
    window_start = dt.date(end.year - years + 1, 1, 1)
    world = load_world()
    sim = Simulator(world, seed, window_start, end, intervention_effect)
    year_range = range(window_start.year, end.year + 1)
    first, second = world.employers
    n_first = round(employees * first.share)
    writers = {e.index: PayrollWriter(world, e, out_dir / "payroll", year_range, end) for e in world.employers}
    invoicer = Invoicer(world, out_dir / "invoices", out_dir / "payments", seed, end)
    people_with_services = 0
    with tempfile.TemporaryDirectory(prefix="frisk-demo-") as tmp:
        spool = ServiceSpool(Path(tmp), world.employers)
        for i in range(employees):
            employer = first if i < n_first else second
            life = sim.life(i, employer)
            writers[employer.index].write(life.person, life.absences,
                                          random.Random(f"frisk-demo:{seed}:noise:{i}"))
            for s in life.services:
                spool.add(employer.index, life.person.number, s)
            people_with_services += bool(life.services)
            if (i + 1) % 10_000 == 0:
                log.info("demo data: %s of %s people, %.1f s", i + 1, employees, time.monotonic() - started)
        spool.close()
        payroll_files = [p for w in writers.values() for p in w.close()]
        for year in year_range:
            invoicer.invoice_year(spool, year)
        invoicer.close()

    counts: dict = {
        "employees": employees,
        "period": {"from": window_start.isoformat(), "to": end.isoformat()},
        "payroll_files": len(payroll_files),
        "personnel_rows": sum(w.counts["personnel_rows"] for w in writers.values()),
        "absence_rows": sum(w.counts["absence_rows"] for w in writers.values()),
        "noise_rows": {k: sum(w.counts[f"noise_{k}"] for w in writers.values()) for k in NOISE_KINDS},
        "services": spool.count,
        "people_with_services": people_with_services,
        "invoice_files": invoicer.counts["invoices"] + invoicer.counts["credit_notes"],
        "invoices": invoicer.counts["invoices"],
        "invoice_lines": invoicer.counts["invoice_lines"],
        "credit_notes": invoicer.counts["credit_notes"],
        "specification_files": invoicer.counts["specifications"],
        "specification_rows": invoicer.counts["specification_rows"],
        "payment_files": 1,
        "payment_rows": invoicer.counts["payment_rows"],
    }
    log.info("demo data written to %s in %.1f s: %s", out_dir, time.monotonic() - started, counts)
    return counts
