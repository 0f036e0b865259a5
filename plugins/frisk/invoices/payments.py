"""The accounts-payable export (`landing/payments/*.csv`): which invoices were paid, when and how much.

`fakturanummer;leverantor_orgnr;betald_datum;belopp`. An invoice may be paid in parts; the parts add up in
staging. A negative amount is a refund or a credit note settled against the supplier and is kept; a zero
amount says nothing and is quarantined. Matching payments to invoices happens in reconcile.py.
"""

from __future__ import annotations

from collections.abc import Generator
from decimal import Decimal
from pathlib import Path

from frisk.identity import mask_personnummer
from frisk.invoices import delimited
from frisk.loading import FileInfo, Quarantined, Row

TABLE = "raw.payments"
HEADER = ("fakturanummer", "leverantor_orgnr", "betald_datum", "belopp")
COLUMNS = {TABLE: ("line_no", "invoice_number", "supplier_org_number", "paid_date", "amount")}


def sniff(path: Path) -> FileInfo:
    next(delimited.read_rows(path, HEADER), None)
    return FileInfo(entity="payment", dialect="frisk_payments_csv")


def parse(path: Path, info: FileInfo) -> Generator[Row | Quarantined, None, int]:
    n = 0
    for line_no, row, fields in delimited.read_rows(path, HEADER):
        n += 1
        record = {k: mask_personnummer(v) for k, v in (row or dict(enumerate(fields))).items()}
        if row is None:
            yield Quarantined(
                line_no,
                None,
                f"line {line_no}: expected {len(HEADER)} fields separated by ';', found {len(fields)}",
                record,
            )
            continue
        try:
            number = delimited.required(row["fakturanummer"], "fakturanummer")
            supplier = delimited.org_number(row["leverantor_orgnr"], "leverantor_orgnr")
            paid = delimited.date(row["betald_datum"], "betald_datum")
            amount = delimited.amount(row["belopp"], "belopp")
            if amount == Decimal(0):
                raise delimited.FieldError("belopp", "belopp is zero")
        except delimited.FieldError as exc:
            yield Quarantined(line_no, exc.field, f"line {line_no}: {exc}", record)
            continue
        yield Row(TABLE, (line_no, number, supplier, paid, amount))
    return n
