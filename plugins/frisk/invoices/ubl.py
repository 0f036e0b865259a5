"""PEPPOL BIS Billing 3.0 (UBL 2.1) Invoice and CreditNote: from a hardened XML tree to plain dataclasses.

Only reading happens here; the arithmetic rules live in `arithmetic.py` and the rows for the warehouse in
`load.py`. Every error names the line of the element concerned and the UBL element, so a person can find it.
Amounts are kept as printed (a credit note's amounts are positive; `sign` = -1 says it reduces what is owed).
Two checks beyond reading: every number must fit the warehouse column it goes to (limits.py), and a credit note
must name the invoice it corrects (cac:BillingReference); otherwise the file is rejected, naming the line.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

from frisk.identity import validate_org_number
from frisk.invoices.limits import AMOUNT, PERCENT, QUANTITY, Numeric
from frisk.invoices.xml_safety import LinedElement, parse_xml_file
from frisk.loading import FileRejected

NS_INVOICE = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
NS_CREDIT_NOTE = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
NS = {
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
}
SWEDISH_ORG_SCHEME = "0007"  # ISO 6523 ICD for Swedish organisation numbers


@dataclass
class Party:
    org_number: (
        str | None
    )  # 10 digits when a valid Swedish number (scheme 0007) is present, else as delivered
    id_scheme: str | None  # '0007' for a valid Swedish number, else the schemeID delivered (or None)
    org_number_valid: bool
    vat_number: str | None
    name: str | None
    endpoint_id: str | None


@dataclass
class AllowanceCharge:
    is_charge: bool
    amount: Decimal
    base_amount: Decimal | None
    reason: str | None
    reason_code: str | None
    tax_category: str | None
    tax_percent: Decimal | None
    sourceline: int | None = None


@dataclass
class TaxSubtotal:
    category: str
    percent: Decimal
    taxable_amount: Decimal
    tax_amount: Decimal
    exemption_reason: str | None
    exemption_reason_code: str | None
    sourceline: int | None = None


@dataclass
class Line:
    line_id: str
    quantity: Decimal | None
    unit_code: str | None
    net_amount: Decimal
    item_name: str | None
    item_description: str | None
    seller_item_id: str | None
    classification: str | None
    classification_list_id: str | None
    tax_category: str | None
    tax_percent: Decimal | None
    price_amount: Decimal | None
    base_quantity: Decimal | None
    period_start: dt.date | None
    period_end: dt.date | None
    note: str | None
    order_line_reference: str | None
    properties: list[tuple[str, str]]  # AdditionalItemProperty (name, value) in document order
    allowance_charges: list[AllowanceCharge]
    sourceline: int | None = None


@dataclass
class Document:
    document_type: str  # 'invoice' | 'credit_note'
    invoice_number: str
    type_code: str | None
    issue_date: dt.date
    due_date: dt.date | None
    currency: str
    customization_id: str | None
    profile_id: str | None
    note: str | None
    supplier: Party
    buyer: Party
    buyer_reference: str | None
    order_reference: str | None
    billing_reference: str | None
    allowance_charges: list[AllowanceCharge]
    tax_subtotals: list[TaxSubtotal]
    tax_amount: Decimal
    tax_currency: str | None
    tax_amount_tax_currency: Decimal | None
    line_extension_amount: Decimal
    allowance_total_amount: Decimal | None  # None: element absent (the rules treat it as 0)
    charge_total_amount: Decimal | None
    tax_exclusive_amount: Decimal
    tax_inclusive_amount: Decimal
    prepaid_amount: Decimal | None
    payable_rounding_amount: Decimal | None
    payable_amount: Decimal
    lines: list[Line]
    sourceline: int | None = None
    totals_sourceline: int | None = None

    @property
    def sign(self) -> int:
        return -1 if self.document_type == "credit_note" else 1


def _find(el: LinedElement, path: str) -> LinedElement | None:
    return el.find(path, NS)


def _text(el: LinedElement, path: str) -> str | None:
    found = el.find(path, NS)
    if found is None or found.text is None:
        return None
    value = " ".join(found.text.split())
    return value or None


def _decimal(
    el: LinedElement, path: str, currency: str | None = None, required: bool = False, limit: Numeric = AMOUNT
) -> Decimal | None:
    """The number at `path`, which must fit `limit`, the warehouse column it is loaded into (limits.py)."""
    found = el.find(path, NS)
    if found is None or not (found.text or "").strip():
        if required:
            raise FileRejected(f"line {el.sourceline}: {path} is missing in {_local(el.tag)}")
        return None
    text = found.text.strip()
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise FileRejected(f"line {found.sourceline}: {path} is not a number: {text[:40]!r}") from None
    if not value.is_finite():
        raise FileRejected(f"line {found.sourceline}: {path} is not a finite number")
    if not limit.fits(value):
        # Refused here, naming the element: COPY would fail the whole file with NumericValueOutOfRange. The value
        # is not echoed (a long digit string could be a personnummer typed into the wrong field).
        raise FileRejected(
            f"line {found.sourceline}: {path} in {_local(el.tag)} is out of range: the warehouse column is "
            f"{limit.describe()}"
        )
    cur = found.get("currencyID")
    if currency is not None and cur is not None and cur != currency:
        # PEPPOL-EN16931-R051: every amount is in the document currency (only the extra VAT total may differ)
        raise FileRejected(
            f"line {found.sourceline}: {path} is in {cur}, but the document currency is {currency}"
        )
    return value


def _date(el: LinedElement, path: str, required: bool = False) -> dt.date | None:
    found = el.find(path, NS)
    if found is None or not (found.text or "").strip():
        if required:
            raise FileRejected(f"line {el.sourceline}: {path} is missing in {_local(el.tag)}")
        return None
    text = found.text.strip()
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise FileRejected(
            f"line {found.sourceline}: {path} is not a date (YYYY-MM-DD): {text[:40]!r}"
        ) from None


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _party(party_el: LinedElement | None) -> Party:
    if party_el is None:
        return Party(None, None, False, None, None, None)
    candidates: list[tuple[str, str | None]] = []
    for path in ("cac:PartyLegalEntity/cbc:CompanyID", "cac:PartyIdentification/cbc:ID", "cbc:EndpointID"):
        for found in party_el.findall(path, NS):
            if found.text and found.text.strip():
                candidates.append((found.text.strip(), found.get("schemeID")))
    org, scheme, valid = None, None, False
    for value, sch in candidates:
        if sch == SWEDISH_ORG_SCHEME:
            try:
                org, scheme, valid = validate_org_number(value), SWEDISH_ORG_SCHEME, True
                break
            except ValueError:
                continue
    if org is None and candidates:
        # Foreign parties (and Swedish ones with a broken number) keep their first identifier as delivered.
        org, scheme = candidates[0]
    vat = None
    for pts in party_el.findall("cac:PartyTaxScheme", NS):
        if _text(pts, "cac:TaxScheme/cbc:ID") == "VAT":
            vat = _text(pts, "cbc:CompanyID")
    name = _text(party_el, "cac:PartyLegalEntity/cbc:RegistrationName") or _text(
        party_el, "cac:PartyName/cbc:Name"
    )
    return Party(org, scheme, valid, vat, name, _text(party_el, "cbc:EndpointID"))


def _allowance_charge(el: LinedElement, currency: str) -> AllowanceCharge:
    indicator = (_text(el, "cbc:ChargeIndicator") or "").lower()
    if indicator not in ("true", "false"):
        raise FileRejected(
            f"line {el.sourceline}: cbc:ChargeIndicator must be true or false in AllowanceCharge"
        )
    return AllowanceCharge(
        is_charge=indicator == "true",
        amount=_decimal(el, "cbc:Amount", currency, required=True),
        base_amount=_decimal(el, "cbc:BaseAmount", currency),
        reason=_text(el, "cbc:AllowanceChargeReason"),
        reason_code=_text(el, "cbc:AllowanceChargeReasonCode"),
        tax_category=_text(el, "cac:TaxCategory/cbc:ID"),
        tax_percent=_decimal(el, "cac:TaxCategory/cbc:Percent", limit=PERCENT),
        sourceline=el.sourceline,
    )


def _parse_line(el: LinedElement, qty_tag: str, currency: str) -> Line:
    line_id = _text(el, "cbc:ID")
    if not line_id:
        raise FileRejected(f"line {el.sourceline}: cbc:ID (line identifier) is missing in {_local(el.tag)}")
    qty_el = _find(el, qty_tag)
    props = []
    for p in el.findall("cac:Item/cac:AdditionalItemProperty", NS):
        name, value = _text(p, "cbc:Name"), _text(p, "cbc:Value")
        if name:
            props.append((name, value or ""))
    cls_el = _find(el, "cac:Item/cac:CommodityClassification/cbc:ItemClassificationCode")
    return Line(
        line_id=line_id,
        quantity=_decimal(el, qty_tag, limit=QUANTITY),
        unit_code=qty_el.get("unitCode") if qty_el is not None else None,
        net_amount=_decimal(el, "cbc:LineExtensionAmount", currency, required=True),
        item_name=_text(el, "cac:Item/cbc:Name"),
        item_description=_text(el, "cac:Item/cbc:Description"),
        seller_item_id=_text(el, "cac:Item/cac:SellersItemIdentification/cbc:ID"),
        classification=_text(el, "cac:Item/cac:CommodityClassification/cbc:ItemClassificationCode"),
        classification_list_id=cls_el.get("listID") if cls_el is not None else None,
        tax_category=_text(el, "cac:Item/cac:ClassifiedTaxCategory/cbc:ID"),
        tax_percent=_decimal(el, "cac:Item/cac:ClassifiedTaxCategory/cbc:Percent", limit=PERCENT),
        price_amount=_decimal(el, "cac:Price/cbc:PriceAmount", currency, limit=QUANTITY),
        base_quantity=_decimal(el, "cac:Price/cbc:BaseQuantity", limit=QUANTITY),
        period_start=_date(el, "cac:InvoicePeriod/cbc:StartDate"),
        period_end=_date(el, "cac:InvoicePeriod/cbc:EndDate"),
        note=_text(el, "cbc:Note"),
        order_line_reference=_text(el, "cac:OrderLineReference/cbc:LineID"),
        properties=props,
        allowance_charges=[_allowance_charge(a, currency) for a in el.findall("cac:AllowanceCharge", NS)],
        sourceline=el.sourceline,
    )


def parse_document(path: Path) -> Document:
    """Read one UBL Invoice or CreditNote. Raises FileRejected for anything that is not one."""
    root = parse_xml_file(path)
    if root.tag == f"{{{NS_INVOICE}}}Invoice":
        doc_type, line_tag, qty_tag, type_tag = (
            "invoice",
            "cac:InvoiceLine",
            "cbc:InvoicedQuantity",
            "cbc:InvoiceTypeCode",
        )
    elif root.tag == f"{{{NS_CREDIT_NOTE}}}CreditNote":
        doc_type, line_tag, qty_tag, type_tag = (
            "credit_note",
            "cac:CreditNoteLine",
            "cbc:CreditedQuantity",
            "cbc:CreditNoteTypeCode",
        )
    else:
        raise FileRejected(
            f"line {root.sourceline}: root element is {root.tag!r}; expected a UBL 2.1 Invoice "
            f"({{{NS_INVOICE}}}Invoice) or CreditNote ({{{NS_CREDIT_NOTE}}}CreditNote)"
        )
    number = _text(root, "cbc:ID")
    if not number:
        raise FileRejected(f"line {root.sourceline}: cbc:ID (invoice number) is missing")
    currency = _text(root, "cbc:DocumentCurrencyCode")
    if not currency:
        raise FileRejected(f"line {root.sourceline}: cbc:DocumentCurrencyCode is missing")
    totals = _find(root, "cac:LegalMonetaryTotal")
    if totals is None:
        raise FileRejected(f"line {root.sourceline}: cac:LegalMonetaryTotal is missing")

    # The VAT total in the document currency carries the breakdown; a second one may give VAT in tax currency.
    tax_currency = _text(root, "cbc:TaxCurrencyCode")
    tax_amount, tax_amount_tax_cur, subtotals = None, None, []
    for tt in root.findall("cac:TaxTotal", NS):
        amount_el = _find(tt, "cbc:TaxAmount")
        cur = amount_el.get("currencyID") if amount_el is not None else None
        if cur in (None, currency) and tax_amount is None:
            tax_amount = _decimal(tt, "cbc:TaxAmount", required=True)
            for st in tt.findall("cac:TaxSubtotal", NS):
                category = _text(st, "cac:TaxCategory/cbc:ID")
                if not category:
                    raise FileRejected(
                        f"line {st.sourceline}: cac:TaxCategory/cbc:ID is missing in TaxSubtotal"
                    )
                subtotals.append(
                    TaxSubtotal(
                        category=category,
                        percent=_decimal(st, "cac:TaxCategory/cbc:Percent", limit=PERCENT) or Decimal(0),
                        taxable_amount=_decimal(st, "cbc:TaxableAmount", currency, required=True),
                        tax_amount=_decimal(st, "cbc:TaxAmount", currency, required=True),
                        exemption_reason=_text(st, "cac:TaxCategory/cbc:TaxExemptionReason"),
                        exemption_reason_code=_text(st, "cac:TaxCategory/cbc:TaxExemptionReasonCode"),
                        sourceline=st.sourceline,
                    )
                )
        elif cur == tax_currency:
            tax_amount_tax_cur = _decimal(tt, "cbc:TaxAmount")
        else:
            raise FileRejected(
                f"line {tt.sourceline}: cac:TaxTotal in {cur}, neither document nor tax currency"
            )

    lines = [_parse_line(el, qty_tag, currency) for el in root.findall(line_tag, NS)]
    if not lines:
        raise FileRejected(f"line {root.sourceline}: the document has no {line_tag}")
    seen: dict[str, int | None] = {}
    for ln in lines:
        if ln.line_id in seen:
            raise FileRejected(
                f"line {ln.sourceline}: {line_tag} ID {ln.line_id!r} appears twice "
                f"(first on line {seen[ln.line_id]})"
            )
        seen[ln.line_id] = ln.sourceline

    supplier = _party(_find(root, "cac:AccountingSupplierParty/cac:Party"))
    if not supplier.org_number:
        raise FileRejected(
            f"line {root.sourceline}: the supplier (cac:AccountingSupplierParty) has no identifier "
            "(cac:PartyLegalEntity/cbc:CompanyID, cac:PartyIdentification/cbc:ID or cbc:EndpointID)"
        )
    keys: dict[tuple[str, Decimal], int | None] = {}
    for st in subtotals:
        key = (st.category, st.percent.normalize())
        if key in keys:
            raise FileRejected(
                f"line {st.sourceline}: VAT breakdown for category {st.category} at {st.percent} % "
                f"appears twice (first on line {keys[key]})"
            )
        keys[key] = st.sourceline

    billing_reference = _text(root, "cac:BillingReference/cac:InvoiceDocumentReference/cbc:ID")
    if doc_type == "credit_note" and not billing_reference:
        # PEPPOL allows it (BT-25 is optional), Frisk does not: an unreferenced credit would settle against its own
        # number, so the invoice it corrects keeps its full paid amount and grant. Rejected rather than
        # quarantined: the whole document depends on the reference, and the supplier must re-send it.
        raise FileRejected(
            f"line {root.sourceline}: credit note {number} has no "
            "cac:BillingReference/cac:InvoiceDocumentReference/cbc:ID; a credit note must reference the invoice "
            "it corrects, so that it reduces that invoice (and its grant). Ask the supplier to send it again "
            "with the invoice number in BillingReference"
        )
    due = _date(root, "cbc:DueDate") or _date(root, "cac:PaymentMeans/cbc:PaymentDueDate")
    return Document(
        document_type=doc_type,
        invoice_number=number,
        type_code=_text(root, type_tag),
        issue_date=_date(root, "cbc:IssueDate", required=True),
        due_date=due,
        currency=currency,
        customization_id=_text(root, "cbc:CustomizationID"),
        profile_id=_text(root, "cbc:ProfileID"),
        note=_text(root, "cbc:Note"),
        supplier=supplier,
        buyer=_party(_find(root, "cac:AccountingCustomerParty/cac:Party")),
        buyer_reference=_text(root, "cbc:BuyerReference"),
        order_reference=_text(root, "cac:OrderReference/cbc:ID"),
        billing_reference=billing_reference,
        allowance_charges=[_allowance_charge(a, currency) for a in root.findall("cac:AllowanceCharge", NS)],
        tax_subtotals=subtotals,
        tax_amount=tax_amount if tax_amount is not None else Decimal(0),
        tax_currency=tax_currency,
        tax_amount_tax_currency=tax_amount_tax_cur,
        line_extension_amount=_decimal(totals, "cbc:LineExtensionAmount", currency, required=True),
        allowance_total_amount=_decimal(totals, "cbc:AllowanceTotalAmount", currency),
        charge_total_amount=_decimal(totals, "cbc:ChargeTotalAmount", currency),
        tax_exclusive_amount=_decimal(totals, "cbc:TaxExclusiveAmount", currency, required=True),
        tax_inclusive_amount=_decimal(totals, "cbc:TaxInclusiveAmount", currency, required=True),
        prepaid_amount=_decimal(totals, "cbc:PrepaidAmount", currency),
        payable_rounding_amount=_decimal(totals, "cbc:PayableRoundingAmount", currency),
        payable_amount=_decimal(totals, "cbc:PayableAmount", currency, required=True),
        lines=lines,
        sourceline=root.sourceline,
        totals_sourceline=totals.sourceline,
    )
