"""A parsed UBL document turned into warehouse rows: documents, lines (with the employee pseudonymised),
allowances/charges, VAT breakdown; plus a content hash that tells a re-sent copy from a different document.

Per-employee details on a line follow docs/architecture.md: `cac:InvoicePeriod/cbc:StartDate` is the service
date, `cac:Item/cac:AdditionalItemProperty` named `Personnummer`, `Tjänstekod` and `Utförare` give the
employee, the service code and the performer's competence. A line whose personnummer is not valid is
quarantined (masked).
"""

from __future__ import annotations

import hashlib
import json
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal

from frisk.identity import MASK, IdentityError, Pseudonymiser, mask_personnummer
from frisk.invoices.ubl import Document, Line
from frisk.loading import Quarantined, Row

DOCUMENTS = "raw.invoice_documents"
LINES = "raw.invoice_lines"
ALLOWANCES = "raw.invoice_allowance_charges"
LINE_ALLOWANCES = "raw.invoice_line_allowance_charges"
TAX = "raw.invoice_tax_subtotals"

COLUMNS: dict[str, tuple[str, ...]] = {
    DOCUMENTS: (
        "document_type",
        "invoice_number",
        "type_code",
        "issue_date",
        "due_date",
        "currency",
        "supplier_org_number",
        "supplier_vat_number",
        "supplier_name",
        "buyer_org_number",
        "buyer_vat_number",
        "buyer_name",
        "buyer_reference",
        "order_reference",
        "billing_reference",
        "line_extension_amount",
        "allowance_total_amount",
        "charge_total_amount",
        "tax_exclusive_amount",
        "tax_amount",
        "tax_inclusive_amount",
        "prepaid_amount",
        "payable_rounding_amount",
        "payable_amount",
        "sign",
        "document_sha256",
        "customization_id",
        "profile_id",
        "note",
        "supplier_id_scheme",
        "supplier_org_number_valid",
        "buyer_id_scheme",
        "buyer_org_number_valid",
        "tax_currency",
        "tax_amount_tax_currency",
        "line_count",
    ),
    LINES: (
        "supplier_org_number",
        "invoice_number",
        "line_id",
        "quantity",
        "unit_code",
        "net_amount",
        "item_name",
        "seller_item_id",
        "classification",
        "tax_category",
        "tax_percent",
        "price_amount",
        "period_start",
        "period_end",
        "note",
        "person_key",
        "birth_year",
        "sex",
        "service_code",
        "performer",
        "properties",
        "item_description",
        "classification_list_id",
        "base_quantity",
        "order_line_reference",
        "xml_line_no",
    ),
    ALLOWANCES: (
        "supplier_org_number",
        "invoice_number",
        "seq",
        "is_charge",
        "amount",
        "reason",
        "reason_code",
        "tax_category",
        "tax_percent",
    ),
    LINE_ALLOWANCES: (
        "supplier_org_number",
        "invoice_number",
        "line_id",
        "seq",
        "is_charge",
        "amount",
        "base_amount",
        "reason",
        "reason_code",
    ),
    TAX: (
        "supplier_org_number",
        "invoice_number",
        "tax_category",
        "tax_percent",
        "taxable_amount",
        "tax_amount",
        "exemption_reason",
        "exemption_reason_code",
    ),
}

# AdditionalItemProperty names, compared without case and diacritics ('Tjanstekod', 'TJÄNSTEKOD' count).
PROP_PERSON, PROP_SERVICE, PROP_PERFORMER = "personnummer", "tjanstekod", "utforare"


def _fold(name: str) -> str:
    decomposed = unicodedata.normalize("NFKD", name.strip().casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _canon(value: object) -> str:
    """One spelling per value for the content hash: 100, 100.0 and 100.00 are the same amount."""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return "" if value is None else str(value)


def _free(text: str | None) -> str | None:
    """Free text from a supplier may hold a personnummer: mask anything of that shape before storing it."""
    return mask_personnummer(text) if text else None


@dataclass
class Prepared:
    """Everything a document becomes, ready to load."""

    doc: Document
    rows: list[Row] = field(default_factory=list)
    quarantined: list[Quarantined] = field(default_factory=list)
    content_sha256: str = ""

    @property
    def key(self) -> str:
        return f"{self.doc.document_type}:{self.doc.supplier.org_number}:{self.doc.invoice_number}"


def _line_person(ln: Line, pseudo: Pseudonymiser) -> tuple[dict, list[dict], str]:
    """(person fields, other properties, hash material). Raises IdentityError for an invalid personnummer."""
    person: dict = {
        "person_key": None,
        "birth_year": None,
        "sex": None,
        "service_code": None,
        "performer": None,
    }
    others, material = [], ""
    for name, value in ln.properties:
        folded = _fold(name)
        if folded == PROP_PERSON:
            key, p = pseudo.pseudonymise(value)
            person.update(person_key=key, birth_year=p.birth_year, sex=p.sex)
            material = key
        elif folded == PROP_SERVICE:
            person["service_code"] = _free(value)
        elif folded == PROP_PERFORMER:
            person["performer"] = _free(value)
        else:
            others.append({"name": _free(name), "value": _free(value)})
    return person, others, material


def prepare(doc: Document, pseudo: Pseudonymiser) -> Prepared:
    out = Prepared(doc)
    sup, num = doc.supplier.org_number, doc.invoice_number
    material: list = []  # what the content hash is computed over: the rows, with person keys, never a number
    for ln in doc.lines:
        try:
            person, others, pmat = _line_person(ln, pseudo)
        except IdentityError as exc:
            out.quarantined.append(
                Quarantined(
                    ln.sourceline,
                    "Personnummer",
                    f"line {ln.sourceline}: invoice line {ln.line_id}: "
                    f"AdditionalItemProperty Personnummer: {exc}",
                    {
                        "invoice_number": num,
                        "line_id": ln.line_id,
                        "net_amount": str(ln.net_amount),
                        "item_name": _free(ln.item_name),
                        "personnummer": MASK,
                    },
                    entity="invoice_line",
                )
            )
            bad = next((v for n, v in ln.properties if _fold(n) == PROP_PERSON), "")
            material.append(
                ["quarantined", ln.line_id, _canon(ln.net_amount), pseudo.person_key(bad.strip())]
            )
            continue
        values = (
            sup,
            num,
            ln.line_id,
            ln.quantity,
            ln.unit_code,
            ln.net_amount,
            _free(ln.item_name),
            ln.seller_item_id,
            ln.classification,
            ln.tax_category,
            ln.tax_percent,
            ln.price_amount,
            ln.period_start,
            ln.period_end,
            _free(ln.note),
            person["person_key"],
            person["birth_year"],
            person["sex"],
            person["service_code"],
            person["performer"],
            json.dumps(others, ensure_ascii=False) if others else None,
            _free(ln.item_description),
            ln.classification_list_id,
            ln.base_quantity,
            ln.order_line_reference,
            ln.sourceline,
        )
        out.rows.append(Row(LINES, values))
        material.append(
            [_canon(v) for v in values[:-1]] + [pmat]
        )  # the XML line number is layout, not content
        for seq, ac in enumerate(ln.allowance_charges, start=1):
            out.rows.append(
                Row(
                    LINE_ALLOWANCES,
                    (
                        sup,
                        num,
                        ln.line_id,
                        seq,
                        ac.is_charge,
                        ac.amount,
                        ac.base_amount,
                        _free(ac.reason),
                        ac.reason_code,
                    ),
                )
            )
            material.append(
                [_canon(v) for v in (ln.line_id, seq, ac.is_charge, ac.amount, ac.base_amount, ac.reason)]
            )
    for seq, ac in enumerate(doc.allowance_charges, start=1):
        vals = (
            sup,
            num,
            seq,
            ac.is_charge,
            ac.amount,
            _free(ac.reason),
            ac.reason_code,
            ac.tax_category,
            ac.tax_percent,
        )
        out.rows.append(Row(ALLOWANCES, vals))
        material.append([_canon(v) for v in vals])
    for st in doc.tax_subtotals:
        vals = (
            sup,
            num,
            st.category,
            st.percent,
            st.taxable_amount,
            st.tax_amount,
            _free(st.exemption_reason),
            st.exemption_reason_code,
        )
        out.rows.append(Row(TAX, vals))
        material.append([_canon(v) for v in vals])

    zero = Decimal(0)
    head = [
        doc.document_type,
        num,
        doc.type_code,
        doc.issue_date,
        doc.due_date,
        doc.currency,
        sup,
        doc.supplier.vat_number,
        doc.supplier.name,
        doc.buyer.org_number,
        doc.buyer.vat_number,
        doc.buyer.name,
        doc.buyer_reference,
        doc.order_reference,
        doc.billing_reference,
        doc.line_extension_amount,
        doc.allowance_total_amount or zero,
        doc.charge_total_amount or zero,
        doc.tax_exclusive_amount,
        doc.tax_amount,
        doc.tax_inclusive_amount,
        doc.prepaid_amount or zero,
        doc.payable_rounding_amount or zero,
        doc.payable_amount,
        doc.sign,
    ]
    material.append([_canon(v) for v in head])
    out.content_sha256 = hashlib.sha256(
        json.dumps(material, ensure_ascii=False, default=str, separators=(",", ":")).encode("utf-8")
    ).hexdigest()
    out.rows.insert(
        0,
        Row(
            DOCUMENTS,
            (
                *head,
                out.content_sha256,
                doc.customization_id,
                doc.profile_id,
                _free(doc.note),
                doc.supplier.id_scheme,
                doc.supplier.org_number_valid,
                doc.buyer.id_scheme,
                doc.buyer.org_number_valid,
                doc.tax_currency,
                doc.tax_amount_tax_currency,
                len(doc.lines),
            ),
        ),
    )
    return out
