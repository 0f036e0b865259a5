"""Helpers for the intervention/grant tests: insert raw invoice rows under an audit batch, run dbt, query marts.

Person keys are made-up hex strings: these tests never need a personnummer.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path

import psycopg

from frisk.config import DBT_PROJECT_DIR
from frisk.dbt_env import dbt_environ

EMPLOYER_1 = "2120009903"
EMPLOYER_2 = "2120009911"
PROVIDER_A = "5566770011"  # FK-approved from 2015-01-01
PROVIDER_B = "5566770029"  # FK-approved from 2019-01-01
PROVIDER_C = "5566770037"  # not approved


def pkey(name: str) -> str:
    """A stable fake person key (the real ones are HMAC-SHA256 hex as well)."""
    return hashlib.sha256(name.encode()).hexdigest()


@dataclass
class Line:
    amount: Decimal | float | int
    service_date: date | None = None
    person: str | None = None
    code: str | None = None
    name: str | None = None
    tax_percent: float = 0.0


@dataclass
class Invoice:
    number: str
    supplier: str
    buyer: str
    issue: date
    lines: list[Line] = field(default_factory=list)
    credit_of: str | None = None  # makes it a credit note correcting that invoice

    @property
    def net(self) -> Decimal:
        return sum((Decimal(str(ln.amount)) for ln in self.lines), Decimal(0))

    @property
    def gross(self) -> Decimal:
        return sum((Decimal(str(ln.amount)) * (1 + Decimal(str(ln.tax_percent)) / 100) for ln in self.lines),
                   Decimal(0)).quantize(Decimal("0.01"))


def new_batch(conn: psycopg.Connection, source: str, entity: str, name: str, status: str = "loaded",
              delivery_key: str | None = None) -> int:
    return conn.execute(
        """insert into audit.batches (source, entity, file_name, file_sha256, delivery_key, status)
           values (%s, %s, %s, %s, %s, %s) returning batch_id""",
        (source, entity, name, hashlib.sha256(f"{name}{status}{os.urandom(4).hex()}".encode()).hexdigest(),
         delivery_key or name, status),
    ).fetchone()[0]


def insert_invoice(conn: psycopg.Connection, inv: Invoice, batch_id: int | None = None,
                   status: str = "loaded") -> int:
    """Insert the document and its lines as printed (credit notes positive with sign -1, as the parser does)."""
    batch_id = batch_id or new_batch(conn, "invoices", "invoice", f"{inv.number}.xml", status)
    is_credit = inv.credit_of is not None
    conn.execute(
        """insert into raw.invoice_documents (batch_id, document_type, invoice_number, type_code, issue_date,
               currency, supplier_org_number, buyer_org_number, billing_reference, line_extension_amount,
               tax_exclusive_amount, tax_amount, tax_inclusive_amount, payable_amount, sign, document_sha256)
           values (%s, %s, %s, %s, %s, 'SEK', %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)""",
        (batch_id, "credit_note" if is_credit else "invoice", inv.number, "381" if is_credit else "380",
         inv.issue, inv.supplier, inv.buyer, inv.credit_of, inv.net, inv.net, inv.gross - inv.net, inv.gross,
         inv.gross, -1 if is_credit else 1, hashlib.sha256(inv.number.encode()).hexdigest()),
    )
    for i, ln in enumerate(inv.lines, start=1):
        person = pkey(ln.person) if ln.person else None
        conn.execute(
            """insert into raw.invoice_lines (batch_id, supplier_org_number, invoice_number, line_id, quantity,
                   unit_code, net_amount, item_name, seller_item_id, tax_category, tax_percent, price_amount,
                   period_start, period_end, person_key, birth_year, sex, service_code, performer)
               values (%s, %s, %s, %s, 1, 'EA', %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)""",
            (batch_id, inv.supplier, inv.number, str(i), ln.amount, ln.name or ln.code or "Tjänst", ln.code,
             "S" if ln.tax_percent else "E", ln.tax_percent, ln.amount, ln.service_date, ln.service_date, person,
             1980 if person else None, "K" if person else None, ln.code if person else None,
             "Företagssköterska" if person else None),
        )
    return batch_id


def insert_spec(conn: psycopg.Connection, inv_number: str, supplier: str, rows: list[Line],
                line_id: str | None = None) -> int:
    batch_id = new_batch(conn, "invoices", "specification", f"{inv_number}.spec.csv")
    for n, r in enumerate(rows, start=2):
        conn.execute(
            """insert into raw.invoice_specifications (batch_id, line_no, invoice_number, supplier_org_number,
                   invoice_line_id, service_date, person_key, birth_year, sex, service_code, service_name,
                   performer_competence, amount_net)
               values (%s, %s, %s, %s, %s, %s, %s, 1975, 'M', %s, %s, 'Psykolog', %s)""",
            (batch_id, n, inv_number, supplier, line_id, r.service_date, pkey(r.person), r.code, r.name, r.amount),
        )
    return batch_id


def insert_payments(conn: psycopg.Connection, file_name: str, payments: list[tuple[str, str, date, float]],
                    status: str = "loaded") -> int:
    batch_id = new_batch(conn, "payments", "payment", file_name, status)
    for n, (number, supplier, paid, amount) in enumerate(payments, start=2):
        conn.execute(
            """insert into raw.payments (batch_id, line_no, invoice_number, supplier_org_number, paid_date, amount)
               values (%s, %s, %s, %s, %s, %s)""",
            (batch_id, n, number, supplier, paid, amount),
        )
    return batch_id


def run_dbt(warehouse_url: str, target: Path, *args: str, as_of: str | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, **dbt_environ(warehouse_url, target)}
    if as_of:
        env["FRISK_AS_OF_DATE"] = as_of
    dbt = Path(sys.executable).parent / "dbt"
    return subprocess.run(
        # cautious: a test runs only when all its parents are selected (other areas' models may be absent)
        [str(dbt), *args, "--indirect-selection", "cautious", "--project-dir", str(DBT_PROJECT_DIR)],
        env=env, capture_output=True, text=True, timeout=600,
    )


def rows(url: str, sql: str, params: tuple = ()) -> list[dict]:
    with psycopg.connect(url) as conn, conn.cursor(row_factory=psycopg.rows.dict_row) as cur:
        return cur.execute(sql, params).fetchall()


@dataclass
class Employee:
    name: str
    employer: str = EMPLOYER_1
    birth_year: int = 1980
    sex: str = "K"
    sector: str = "care"
    sick: list[tuple[date, date | None]] = field(default_factory=list)  # sick-leave periods, 100 %


def insert_payroll(conn: psycopg.Connection, people: list[Employee]) -> None:
    """Personnel and absence rows (one employment each, full time from 2015) under one batch per employer."""
    for employer in sorted({p.employer for p in people}):
        staff = [p for p in people if p.employer == employer]
        pb = conn.execute(
            """insert into audit.batches (source, entity, file_name, file_sha256, delivery_key,
                   employer_org_number, status) values ('payroll', 'personnel', %s, %s, %s, %s, 'loaded')
               returning batch_id""",
            (f"personal_{employer}.csv", os.urandom(16).hex(), f"personal_{employer}", employer),
        ).fetchone()[0]
        ab = conn.execute(
            """insert into audit.batches (source, entity, file_name, file_sha256, delivery_key,
                   employer_org_number, status) values ('payroll', 'absence', %s, %s, %s, %s, 'loaded')
               returning batch_id""",
            (f"franvaro_{employer}.csv", os.urandom(16).hex(), f"franvaro_{employer}", employer),
        ).fetchone()[0]
        n_abs = 1
        for n, p in enumerate(staff, start=2):
            conn.execute(
                """insert into raw.payroll_personnel (batch_id, line_no, employer_org_number, person_key,
                       birth_year, sex, employment_id, org_unit_code, org_unit_name, sector, occupation,
                       employment_rate_pct, weekly_hours, employment_start, employment_end)
                   values (%s, %s, %s, %s, %s, %s, %s, 'U1', 'Enhet 1', %s, 'Undersköterska', 100, 40,
                           '2015-01-01', null)""",
                (pb, n, employer, pkey(p.name), p.birth_year, p.sex, f"E-{p.name}", p.sector),
            )
            for start, end in p.sick:
                n_abs += 1
                conn.execute(
                    """insert into raw.payroll_absence (batch_id, line_no, employer_org_number, person_key,
                           employment_id, absence_cause_code, absence_category, cause_is_known, from_date,
                           to_date, extent_pct)
                       values (%s, %s, %s, %s, %s, 'SJK', 'sick_leave', true, %s, %s, 100)""",
                    (ab, n_abs, employer, pkey(p.name), f"E-{p.name}", start, end),
                )
