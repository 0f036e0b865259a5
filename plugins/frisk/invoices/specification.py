"""The per-employee specification beside an invoice (fakturaunderlag, `<anything>.spec.csv`).

One row per service to one employee: which invoice (supplier and number, and line where given), the date, the
employee, the service and who performed it, the net cost. The personnummer is pseudonymised exactly as in
payroll (frisk.identity.Pseudonymiser), so the same person joins across sources; a row whose number is not
valid is quarantined with the number masked. Matching against invoices happens after loading (reconcile.py),
because the specification and its invoice may arrive in either order.
"""

from __future__ import annotations

from collections.abc import Generator
from pathlib import Path

from frisk.identity import MASK, IdentityError, Pseudonymiser, mask_personnummer
from frisk.invoices import delimited
from frisk.loading import FileInfo, Quarantined, Row

TABLE = "raw.invoice_specifications"
HEADER = (
    "fakturanummer",
    "leverantor_orgnr",
    "radnummer",
    "utford_datum",
    "personnummer",
    "tjanstekod",
    "tjanst",
    "utforare_kompetens",
    "belopp_exkl_moms",
)
COLUMNS = {
    TABLE: (
        "line_no",
        "invoice_number",
        "supplier_org_number",
        "invoice_line_id",
        "service_date",
        "person_key",
        "birth_year",
        "sex",
        "service_code",
        "service_name",
        "performer_competence",
        "amount_net",
    )
}
SUFFIX = ".spec.csv"


def sniff(path: Path) -> FileInfo:
    # Reading the header is cheap and gives a wrong file its FileRejected before a batch is opened.
    rows = delimited.read_rows(path, HEADER)
    next(rows, None)
    return FileInfo(entity="specification", dialect="frisk_spec_csv")


def _masked(row: dict[str, str] | None, fields: list[str]) -> dict:
    record = dict(row) if row is not None else {f"field_{i + 1}": v for i, v in enumerate(fields)}
    if "personnummer" in record:
        record["personnummer"] = MASK
    return {k: mask_personnummer(v) for k, v in record.items()}


def parse(
    path: Path, info: FileInfo, pseudonymiser: Pseudonymiser | None = None
) -> Generator[Row | Quarantined, None, int]:
    pseudo = pseudonymiser or Pseudonymiser()
    n = 0
    for line_no, row, fields in delimited.read_rows(path, HEADER):
        n += 1
        if row is None:
            yield Quarantined(
                line_no,
                None,
                f"line {line_no}: expected {len(HEADER)} fields separated by ';', found {len(fields)}",
                _masked(None, fields),
            )
            continue
        try:
            number = delimited.required(row["fakturanummer"], "fakturanummer")
            supplier = delimited.org_number(row["leverantor_orgnr"], "leverantor_orgnr")
            service_date = delimited.date(row["utford_datum"], "utford_datum")
            try:
                person_key, person = pseudo.pseudonymise(row["personnummer"])
            except IdentityError as exc:
                raise delimited.FieldError("personnummer", str(exc)) from None
            amount = delimited.amount(row["belopp_exkl_moms"], "belopp_exkl_moms")
        except delimited.FieldError as exc:
            yield Quarantined(line_no, exc.field, f"line {line_no}: {exc}", _masked(row, fields))
            continue
        yield Row(
            TABLE,
            (
                line_no,
                number,
                supplier,
                row["radnummer"] or None,
                service_date,
                person_key,
                person.birth_year,
                person.sex,
                mask_personnummer(row["tjanstekod"]) or None,
                mask_personnummer(row["tjanst"]) or None,
                mask_personnummer(row["utforare_kompetens"]) or None,
                amount,
            ),
        )
    return n
