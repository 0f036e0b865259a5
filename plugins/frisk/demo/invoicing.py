"""FHV invoices, specifications and the accounts-payable export of the demo world.

Services are spooled to small temporary files per (year, provider, employer) while people are generated, then
invoiced one year at a time: per provider, employer and service month one PEPPOL invoice, issued on the first
weekday from the 5th of the next month (services not yet invoiced on the end date are left out). Provider A puts
the person on each line; provider B bills one line per service code and delivers `<invoice>.spec.csv` beside it
with one row per employee and service; provider C bills a few plain lines. One invoice of provider A bills a
health talk twice by mistake and a credit note corrects it. Payments: most invoices about 30 days after issue,
a few in two instalments, the latest service month not yet paid.
"""

from __future__ import annotations

import csv
import datetime as dt
import random
from collections import Counter, defaultdict
from decimal import Decimal
from pathlib import Path
from typing import IO

from frisk.demo.payroll_files import PART
from frisk.demo.peppol import Document, Line, money, render
from frisk.demo.personnummer import with_dash
from frisk.demo.simulate import ServiceEvent
from frisk.demo.world import Employer, World

SPEC_HEADER = ["fakturanummer", "leverantor_orgnr", "radnummer", "utford_datum", "personnummer", "tjanstekod",
               "tjanst", "utforare_kompetens", "belopp_exkl_moms"]
PAYMENT_HEADER = ["fakturanummer", "leverantor_orgnr", "betald_datum", "belopp"]


def _month_end(year: int, month: int) -> dt.date:
    nxt = dt.date(year + (month == 12), month % 12 + 1, 1)
    return nxt - dt.timedelta(days=1)


def issue_date_for(year: int, month: int) -> dt.date:
    """First weekday on or after the 5th of the month after the service month."""
    d = _month_end(year, month) + dt.timedelta(days=5)
    while d.weekday() >= 5:
        d += dt.timedelta(days=1)
    return d


def _next_weekday(d: dt.date) -> dt.date:
    while d.weekday() >= 5:
        d += dt.timedelta(days=1)
    return d


class ServiceSpool:
    """Services written to temporary files as they are generated, so no list of all services is held."""

    def __init__(self, folder: Path, employers: tuple[Employer, ...]) -> None:
        self.folder = folder
        self.employers = {e.index: e for e in employers}
        self._files: dict[tuple[int, str, int], IO[str]] = {}
        self.count = 0

    def _path(self, year: int, provider: str, employer: int) -> Path:
        return self.folder / f"services_{year}_{provider}_{employer}.tsv"

    def add(self, employer: int, number: str, s: ServiceEvent) -> None:
        key = (s.date.year, s.provider, employer)
        f = self._files.get(key)
        if f is None:
            f = self._files[key] = open(self._path(*key), "w", encoding="utf-8")  # noqa: SIM115
        f.write(f"{s.date.isoformat()}\t{number}\t{s.code}\t{s.quantity}\t{s.competence}\n")
        self.count += 1

    def close(self) -> None:
        for f in self._files.values():
            f.close()

    def read(self, year: int, provider: str, employer: int) -> list[tuple[dt.date, str, str, int, str]]:
        path = self._path(year, provider, employer)
        if not path.exists():
            return []
        rows = []
        with path.open(encoding="utf-8") as f:
            for line in f:
                d, number, code, qty, competence = line.rstrip("\n").split("\t")
                rows.append((dt.date.fromisoformat(d), number, code, int(qty), competence))
        rows.sort()
        return rows


class Invoicer:
    def __init__(self, world: World, invoices_dir: Path, payments_dir: Path, seed: int, end_date: dt.date) -> None:
        self.w, self.end_date = world, end_date
        self.invoices_dir, self.payments_dir = invoices_dir, payments_dir
        invoices_dir.mkdir(parents=True, exist_ok=True)
        payments_dir.mkdir(parents=True, exist_ok=True)
        self.rng = random.Random(f"frisk-demo:{seed}:invoices")
        self.exemption = (str(world.vat["exemption_reason_code"]), str(world.vat["exemption_reason"]))
        self.seq: Counter[str] = Counter()
        self.counts: Counter[str] = Counter()
        self.payments: list[tuple[dt.date, str, str, Decimal]] = []
        self.written: list[Path] = []
        self.credit_done = False
        self.last_month = self._last_invoiced_month()

    def _last_invoiced_month(self) -> tuple[int, int] | None:
        y, m = self.end_date.year, self.end_date.month
        for _ in range(3):
            if issue_date_for(y, m) <= self.end_date:
                return (y, m)
            y, m = (y - 1, 12) if m == 1 else (y, m - 1)
        return None

    def _number(self, provider: str, year: int) -> str:
        self.seq[provider] += 1
        n = self.seq[provider]
        p = self.w.providers[provider]
        if p.style == "specification":  # a plain 7-digit series, year first
            return f"{year % 100:02d}{n:05d}"
        return f"{p.invoice_prefix}-{year}-{n:05d}"

    def invoice_year(self, spool: ServiceSpool, year: int) -> None:
        by_key: dict[tuple[int, str, int], list] = defaultdict(list)
        for provider in self.w.providers:
            for emp in spool.employers:
                for row in spool.read(year, provider, emp):
                    by_key[(row[0].month, provider, emp)].append(row)
        for month in range(1, 13):
            issue = issue_date_for(year, month)
            if issue > self.end_date:
                break
            for provider in self.w.providers:
                for emp in spool.employers:
                    rows = by_key.get((month, provider, emp))
                    if rows:
                        self._invoice(provider, spool.employers[emp], year, month, issue, rows)

    def _invoice(self, provider: str, buyer: Employer, year: int, month: int, issue: dt.date, rows: list) -> None:
        p = self.w.providers[provider]
        catalogue = self.w.services[provider]
        number = self._number(provider, issue.year)
        lines: list[Line] = []
        spec: list[list[str]] = []

        def vat(code: str) -> tuple[str, int]:
            cat = catalogue[code].vat_category
            return cat, int(self.w.vat[cat])

        if p.style == "line_person":
            for d, pnr, code, qty, competence in rows:
                svc = catalogue[code]
                lines.append(Line(str(len(lines) + 1), qty, "HUR" if svc.type == "rehab_coordination" else "EA",
                                  svc.price, svc.name, code, *vat(code), service_date=d,
                                  properties=[("Personnummer", pnr), ("Tjänstekod", code), ("Utförare", competence)]))
            duplicate = self._maybe_duplicate(lines)
        else:
            duplicate = None
            per_code: dict[str, list] = defaultdict(list)
            for row in rows:
                per_code[row[2]].append(row)
            for code in sorted(per_code):
                svc = catalogue[code]
                line_id = str(len(lines) + 1)
                qty = sum(r[3] for r in per_code[code])
                lines.append(Line(line_id, qty, "EA", svc.price, svc.name, code, *vat(code)))
                if p.style == "specification":
                    for d, pnr, _, q, competence in per_code[code]:
                        amount = money(svc.price * q).replace(".", ",")
                        spec.append([number, p.org_number, line_id, d.isoformat(), with_dash(pnr), code, svc.name,
                                     competence, amount])
        due = issue + dt.timedelta(days=self.w.payment_terms_days)
        note = ("Fakturaunderlag per medarbetare levereras i separat fil." if spec
                else f"Företagshälsovård {year}-{month:02d} enligt avtal.")
        doc = Document("invoice", number, issue, p, buyer, buyer.buyer_reference, lines,
                       period=(dt.date(year, month, 1), _month_end(year, month)), due_date=due, note=note)
        stem = f"{p.org_number}_{number}"
        if spec:
            self._write_spec(stem, spec)
        self._write(stem, doc)
        self.counts["invoices"] += 1
        self.counts["invoice_lines"] += len(lines)
        credit = None
        if duplicate is not None:
            credit = self._credit_note(doc, duplicate)
        self._pay(doc, (year, month), credit)

    def _maybe_duplicate(self, lines: list[Line]) -> Line | None:
        """Bill one health talk twice, once in the whole run, so that a credit note has something to correct."""
        if self.credit_done or len(lines) < 2:
            return None
        health_talks = [ln for ln in lines if ln.seller_item_id == "HS01"]
        if not health_talks:
            return None
        original = health_talks[0]
        dup = Line(str(len(lines) + 1), original.quantity, original.unit_code, original.price, original.name,
                   original.seller_item_id, original.vat_category, original.vat_percent,
                   service_date=original.service_date, properties=list(original.properties))
        lines.append(dup)
        self.credit_done = True
        return dup

    def _credit_note(self, invoice: Document, line: Line) -> Document | None:
        issue = _next_weekday(invoice.issue_date + dt.timedelta(days=12))
        if issue > self.end_date:
            return None
        number = self._number(invoice.supplier.key, issue.year)
        credited = Line("1", line.quantity, line.unit_code, line.price, line.name, line.seller_item_id,
                        line.vat_category, line.vat_percent, service_date=line.service_date,
                        properties=list(line.properties))
        doc = Document("credit_note", number, issue, invoice.supplier, invoice.buyer, invoice.buyer_reference,
                       [credited], note=f"Kreditering av rad {line.line_id} på faktura {invoice.number}: "
                                        "hälsosamtalet fakturerades två gånger.",
                       billing_reference=invoice.number)
        self._write(f"{invoice.supplier.org_number}_{number}", doc)
        self.counts["credit_notes"] += 1
        self.counts["credit_note_lines"] += 1
        return doc

    def _write(self, stem: str, doc: Document) -> None:
        path = self.invoices_dir / f"{stem}.xml"
        path.with_name(path.name + PART).write_bytes(render(doc, self.exemption))
        self.written.append(path)

    def _write_spec(self, stem: str, rows: list[list[str]]) -> None:
        path = self.invoices_dir / f"{stem}.spec.csv"
        with path.with_name(path.name + PART).open("w", encoding="utf-8", newline="") as f:
            w = csv.writer(f, delimiter=";", lineterminator="\n")
            w.writerow(SPEC_HEADER)
            w.writerows(rows)
        self.written.append(path)  # renamed before its invoice, so a parser never sees the invoice alone
        self.counts["specifications"] += 1
        self.counts["specification_rows"] += len(rows)

    def _pay(self, doc: Document, month: tuple[int, int], credit: Document | None) -> None:
        if month == self.last_month:
            return  # the latest month's invoices are not paid yet
        rng = self.rng
        org = doc.supplier.org_number
        paid = _next_weekday(doc.issue_date + dt.timedelta(days=self.w.payment_terms_days + rng.randint(-4, 3)))
        if paid > self.end_date:
            return
        total = doc.payable
        if rng.random() < self.w.partial_payment_share and total >= 1000:
            first = (total * Decimal(rng.randint(40, 70)) / 100).quantize(Decimal("1"))
            self.payments.append((paid, doc.number, org, first))
            second = _next_weekday(paid + dt.timedelta(days=rng.randint(14, 35)))
            if second <= self.end_date:
                self.payments.append((second, doc.number, org, total - first))
        else:
            self.payments.append((paid, doc.number, org, total))
        if credit is not None and credit.issue_date <= paid:
            # the ledger settles the credit note against the invoice on the same day, as a negative amount
            self.payments.append((paid, credit.number, org, -credit.payable))

    def close(self) -> list[Path]:
        path = self.payments_dir / f"leverantorsreskontra_{self.end_date.isoformat()}.csv"
        with path.with_name(path.name + PART).open("w", encoding="utf-8", newline="") as f:
            w = csv.writer(f, delimiter=";", lineterminator="\n")
            w.writerow(PAYMENT_HEADER)
            for paid, number, org, amount in sorted(self.payments):
                w.writerow([number, org, paid.isoformat(), money(amount)])
        self.counts["payment_rows"] = len(self.payments)
        self.written.append(path)
        for p in self.written:
            p.with_name(p.name + PART).replace(p)
        return self.written
