"""Raw data for the warehouse-build and quality tests, inserted with SQL (no parsers involved).

Person keys are hashes of a counter (never a personnummer). One small, plausible world: two employers, their
personnel and absences, FHV invoices with per-employee lines and a specification, payments, FK and Kolada values.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

import psycopg

EMPLOYERS = ("2120009903", "2120009911")
PROVIDER_A, PROVIDER_B = "5566770011", "5566770029"


def person_key(i: int) -> str:
    return hashlib.sha256(f"test-person-{i}".encode()).hexdigest()


def add_batch(conn: psycopg.Connection, source: str, entity: str, file_name: str,
              employer: str | None = None, status: str = "loaded") -> int:
    return conn.execute(
        """insert into audit.batches (source, entity, file_name, file_sha256, delivery_key, employer_org_number,
                                      status, finished_at)
           values (%s, %s, %s, md5(%s || clock_timestamp()::text), %s, %s, %s, now()) returning batch_id""",
        (source, entity, file_name, file_name, file_name, employer, status),
    ).fetchone()[0]


def insert_personnel(conn: psycopg.Connection, employer: str, people: range, file_name: str) -> int:
    b = add_batch(conn, "payroll", "personnel", file_name, employer)
    rows = []
    for line, i in enumerate(people, start=2):
        rows.append((b, line, employer, person_key(i), 1960 + i % 40, "K" if i % 2 else "M", False, f"E{i}",
                     f"U{i % 3}", f"Enhet {i % 3}", ("care", "school", "social_services")[i % 3],
                     "Undersköterska", 100, 40, dt.date(2015, 1, 1), None))
    with conn.cursor() as cur:
        cur.executemany(
            """insert into raw.payroll_personnel values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s,
                                                         %s, %s)""", rows)
    _count(conn, b, len(rows))
    return b


def insert_absence(conn: psycopg.Connection, employer: str, rows: list[dict[str, Any]], file_name: str) -> int:
    b = add_batch(conn, "payroll", "absence", file_name, employer)
    values = []
    for line, r in enumerate(rows, start=2):
        values.append((b, line, employer, person_key(r["person"]), f"E{r['person']}", r.get("code", "SJK"),
                       r.get("category", "sick_leave"), r.get("known", True), r["from"], r.get("to"),
                       r.get("extent", 100), r.get("hours")))
    with conn.cursor() as cur:
        cur.executemany("insert into raw.payroll_absence values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                        values)
    _count(conn, b, len(values))
    return b


def absence_rows(people: range, year: int = 2024) -> list[dict[str, Any]]:
    rows = []
    for i in people:
        start = dt.date(year, 1 + i % 12, 1 + i % 20)
        rows.append({"person": i, "from": start, "to": start + dt.timedelta(days=3 + (i * 7) % 90),
                     "extent": (25, 50, 75, 100)[i % 4]})
    return rows


def insert_invoice(conn: psycopg.Connection, employer: str, number: str, people: range, day: dt.date) -> int:
    b = add_batch(conn, "invoices", "invoice", f"{number}.xml", employer)
    total = 0.0
    lines = []
    for n, i in enumerate(people, start=1):
        amount = 4500.0
        total += amount
        lines.append((b, PROVIDER_A, number, str(n), 1, "EA", amount, "Kartläggning", "KA01", None, "E", 0,
                      amount, day, day, None, person_key(i), 1960 + i % 40, "K" if i % 2 else "M", "KA01",
                      "Företagssköterska", None))
    conn.execute(
        """insert into raw.invoice_documents (batch_id, document_type, invoice_number, issue_date, due_date,
               currency, supplier_org_number, supplier_name, buyer_org_number, buyer_name, line_extension_amount,
               tax_exclusive_amount, tax_amount, tax_inclusive_amount, payable_amount, sign, document_sha256)
           values (%s, 'invoice', %s, %s, %s, 'SEK', %s, 'Friskvården Företagshälsa AB', %s, 'Kommunen',
                   %s, %s, 0, %s, %s, 1, md5(%s))""",
        (b, number, day, day + dt.timedelta(days=30), PROVIDER_A, employer, total, total, total, total, number))
    with conn.cursor() as cur:
        cur.executemany(
            "insert into raw.invoice_lines values (" + ", ".join(["%s"] * 22) + ")", lines)
        cur.execute(
            """insert into raw.invoice_tax_subtotals values (%s, %s, %s, 'E', 0, %s, 0, 'Momsfri')""",
            (b, PROVIDER_A, number, total))
    _count(conn, b, 1)
    pay = add_batch(conn, "payments", "payment", f"pay_{number}.csv", employer)
    conn.execute("insert into raw.payments values (%s, 2, %s, %s, %s, %s)",
                 (pay, number, PROVIDER_A, day + dt.timedelta(days=25), total))
    _count(conn, pay, 1)
    return b


def insert_statistics(conn: psycopg.Connection) -> int:
    b = add_batch(conn, "statistics", "fk", "sjukpenningtal.xlsx")
    rows = []
    n = 0
    for month in range(1, 13):
        for code, level, name in (("00", "riket", "Riket"), ("20", "lan", "20 Dalarnas län"),
                                  ("2080", "kommun", "2080 Frisköping")):
            for sex, value in (("T", 10.3), ("K", 13.5), ("M", 7.3)):
                n += 1
                rows.append((b, None, "sjukpenningtal.xlsx", "Data", n, dt.date(2024, month, 1), level, code, name,
                             "Samtliga 16-64 år", sex, "sjukpenningtal_1_0", value, False))
    with conn.cursor() as cur:
        cur.executemany("insert into raw.fk_statistics values (" + ", ".join(["%s"] * 14) + ")", rows)
    _count(conn, b, len(rows))
    k = add_batch(conn, "statistics", "kolada", "kolada.json")
    with conn.cursor() as cur:
        cur.executemany(
            "insert into raw.kolada_values values (%s, null, %s, %s, %s, %s, %s, null, null)",
            [(k, kpi, m, 2024, g, v) for kpi, v in (("N00090", 7.5), ("N00091", 45.0))
             for m in ("2080", "2081") for g in ("T", "K", "M")])
    _count(conn, k, 12)
    return b


def _count(conn: psycopg.Connection, batch_id: int, n: int) -> None:
    conn.execute("update audit.batches set rows_read = %s, rows_loaded = %s where batch_id = %s",
                 (n, n, batch_id))


def seed_world(url: str, people: int = 40) -> dict[str, int]:
    """A night's worth of plausible deliveries for both employers. Returns batch ids by name."""
    ids: dict[str, int] = {}
    with psycopg.connect(url) as conn:
        for e, employer in enumerate(EMPLOYERS):
            group = range(e * people, (e + 1) * people)
            ids[f"personnel_{employer}"] = insert_personnel(conn, employer, group, f"personal_{employer}_2024.csv")
            ids[f"absence_{employer}"] = insert_absence(conn, employer, absence_rows(group),
                                                        f"franvaro_{employer}_2024.csv")
            ids[f"invoice_{employer}"] = insert_invoice(conn, employer, f"F{e}001", group[:5], dt.date(2024, 3, 5))
        ids["statistics"] = insert_statistics(conn)
        conn.commit()
    return ids


def bad_absence_batch(url: str, employer: str = EMPLOYERS[0]) -> int:
    """An absence delivery that breaks critical expectations: to-date before from-date, a date in 1890."""
    rows = absence_rows(range(0, 10))
    rows[3]["to"] = rows[3]["from"] - dt.timedelta(days=10)
    rows[5]["from"] = dt.date(1890, 1, 1)
    with psycopg.connect(url) as conn:
        b = insert_absence(conn, employer, rows, f"franvaro_{employer}_bad.csv")
        conn.commit()
    return b


def marts_snapshot(url: str, schema: str = "marts") -> dict[str, list[tuple]]:
    """Every table in `schema` with all its rows (sorted), to compare the marts before and after."""
    out: dict[str, list[tuple]] = {}
    with psycopg.connect(url) as conn:
        tables = [r[0] for r in conn.execute(
            "select table_name from information_schema.tables where table_schema = %s order by 1", (schema,))]
        for t in tables:
            rows = conn.execute(f'select * from "{schema}"."{t}"').fetchall()
            out[t] = sorted(rows, key=repr)
    return out
