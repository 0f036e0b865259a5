"""PEPPOL BIS Billing 3.0 (UBL 2.1) Invoice and CreditNote XML for the demo providers.

Element order follows the UBL schemas and the OpenPEPPOL examples (fixtures/real/peppol). The arithmetic is
what the BIS rules check: line net = quantity x price; per VAT category a subtotal whose taxable amount is the
sum of its lines and whose tax is taxable x rate rounded to öre; document line total = sum of lines; tax
exclusive = line total (no document allowances or charges); tax inclusive = exclusive + tax; payable = inclusive.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from xml.sax.saxutils import escape, quoteattr

from frisk.demo.world import Employer, Provider

CUSTOMIZATION_ID = "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0"
PROFILE_ID = "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"
NS_CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
NS_CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
NS_ROOT = {"invoice": "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2",
           "credit_note": "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"}
CENT = Decimal("0.01")


def money(value: Decimal) -> str:
    return str(value.quantize(CENT, rounding=ROUND_HALF_UP))


@dataclass
class Line:
    line_id: str
    quantity: int
    unit_code: str  # EA (each) or HUR (hour)
    price: Decimal
    name: str
    seller_item_id: str
    vat_category: str  # E or S
    vat_percent: int
    service_date: dt.date | None = None
    properties: list[tuple[str, str]] = field(default_factory=list)  # AdditionalItemProperty name/value

    @property
    def net(self) -> Decimal:
        return (self.price * self.quantity).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass
class Document:
    kind: str  # invoice | credit_note
    number: str
    issue_date: dt.date
    supplier: Provider
    buyer: Employer
    buyer_reference: str
    lines: list[Line]
    period: tuple[dt.date, dt.date] | None = None
    due_date: dt.date | None = None
    note: str | None = None
    billing_reference: str | None = None  # the invoice a credit note corrects

    def subtotals(self) -> list[tuple[str, int, Decimal, Decimal]]:
        """(category, percent, taxable, tax) per VAT category, in a fixed order (E before S)."""
        groups: dict[tuple[str, int], Decimal] = {}
        for line in self.lines:
            key = (line.vat_category, line.vat_percent)
            groups[key] = groups.get(key, Decimal(0)) + line.net
        return [(cat, pct, taxable, (taxable * pct / 100).quantize(CENT, rounding=ROUND_HALF_UP))
                for (cat, pct), taxable in sorted(groups.items())]

    @property
    def line_total(self) -> Decimal:
        return sum((line.net for line in self.lines), Decimal(0))

    @property
    def tax_total(self) -> Decimal:
        return sum((s[3] for s in self.subtotals()), Decimal(0))

    @property
    def payable(self) -> Decimal:
        return self.line_total + self.tax_total


def _party(indent: str, *, org: str, name: str, street: str, city: str, zone: str, vat: str,
           f_tax: bool, identification: bool) -> list[str]:
    i = indent
    out = [f"{i}<cac:Party>",
           f'{i}  <cbc:EndpointID schemeID="0007">{org}</cbc:EndpointID>']
    if identification:
        out += [f"{i}  <cac:PartyIdentification>",
                f'{i}    <cbc:ID schemeID="0007">{org}</cbc:ID>',
                f"{i}  </cac:PartyIdentification>"]
    out += [f"{i}  <cac:PartyName>", f"{i}    <cbc:Name>{escape(name)}</cbc:Name>", f"{i}  </cac:PartyName>",
            f"{i}  <cac:PostalAddress>",
            f"{i}    <cbc:StreetName>{escape(street)}</cbc:StreetName>",
            f"{i}    <cbc:CityName>{escape(city)}</cbc:CityName>",
            f"{i}    <cbc:PostalZone>{escape(zone)}</cbc:PostalZone>",
            f"{i}    <cac:Country>", f"{i}      <cbc:IdentificationCode>SE</cbc:IdentificationCode>",
            f"{i}    </cac:Country>", f"{i}  </cac:PostalAddress>",
            f"{i}  <cac:PartyTaxScheme>", f"{i}    <cbc:CompanyID>{vat}</cbc:CompanyID>",
            f"{i}    <cac:TaxScheme>", f"{i}      <cbc:ID>VAT</cbc:ID>", f"{i}    </cac:TaxScheme>",
            f"{i}  </cac:PartyTaxScheme>"]
    if f_tax:  # Swedish sellers state F-tax approval (SE-R-005)
        out += [f"{i}  <cac:PartyTaxScheme>", f"{i}    <cbc:CompanyID>Godkänd för F-skatt</cbc:CompanyID>",
                f"{i}    <cac:TaxScheme>", f"{i}      <cbc:ID>TAX</cbc:ID>", f"{i}    </cac:TaxScheme>",
                f"{i}  </cac:PartyTaxScheme>"]
    out += [f"{i}  <cac:PartyLegalEntity>",
            f"{i}    <cbc:RegistrationName>{escape(name)}</cbc:RegistrationName>",
            f'{i}    <cbc:CompanyID schemeID="0007">{org}</cbc:CompanyID>',
            f"{i}  </cac:PartyLegalEntity>", f"{i}</cac:Party>"]
    return out


def _tax_category(indent: str, tag: str, category: str, percent: int, exemption: tuple[str, str] | None) -> list[str]:
    i = indent
    out = [f"{i}<cac:{tag}>", f"{i}  <cbc:ID>{category}</cbc:ID>", f"{i}  <cbc:Percent>{percent}</cbc:Percent>"]
    if exemption and category == "E":
        out += [f"{i}  <cbc:TaxExemptionReasonCode>{escape(exemption[0])}</cbc:TaxExemptionReasonCode>",
                f"{i}  <cbc:TaxExemptionReason>{escape(exemption[1])}</cbc:TaxExemptionReason>"]
    out += [f"{i}  <cac:TaxScheme>", f"{i}    <cbc:ID>VAT</cbc:ID>", f"{i}  </cac:TaxScheme>", f"{i}</cac:{tag}>"]
    return out


def render(doc: Document, exemption: tuple[str, str]) -> bytes:
    """The UBL XML of `doc`, UTF-8, deterministic (no timestamps, fixed order)."""
    credit = doc.kind == "credit_note"
    root = "CreditNote" if credit else "Invoice"
    cur = 'currencyID="SEK"'
    s, b = doc.supplier, doc.buyer
    out = ['<?xml version="1.0" encoding="UTF-8"?>',
           f'<{root} xmlns="{NS_ROOT[doc.kind]}" xmlns:cac="{NS_CAC}" xmlns:cbc="{NS_CBC}">',
           f"  <cbc:CustomizationID>{CUSTOMIZATION_ID}</cbc:CustomizationID>",
           f"  <cbc:ProfileID>{PROFILE_ID}</cbc:ProfileID>",
           f"  <cbc:ID>{escape(doc.number)}</cbc:ID>",
           f"  <cbc:IssueDate>{doc.issue_date.isoformat()}</cbc:IssueDate>"]
    if doc.due_date and not credit:  # UBL 2.1 CreditNote has no DueDate
        out.append(f"  <cbc:DueDate>{doc.due_date.isoformat()}</cbc:DueDate>")
    out.append("  <cbc:CreditNoteTypeCode>381</cbc:CreditNoteTypeCode>" if credit
               else "  <cbc:InvoiceTypeCode>380</cbc:InvoiceTypeCode>")
    if doc.note:
        out.append(f"  <cbc:Note>{escape(doc.note)}</cbc:Note>")
    out += ["  <cbc:DocumentCurrencyCode>SEK</cbc:DocumentCurrencyCode>",
            f"  <cbc:BuyerReference>{escape(doc.buyer_reference)}</cbc:BuyerReference>"]
    if doc.period:
        out += ["  <cac:InvoicePeriod>", f"    <cbc:StartDate>{doc.period[0].isoformat()}</cbc:StartDate>",
                f"    <cbc:EndDate>{doc.period[1].isoformat()}</cbc:EndDate>", "  </cac:InvoicePeriod>"]
    if doc.billing_reference:
        out += ["  <cac:BillingReference>", "    <cac:InvoiceDocumentReference>",
                f"      <cbc:ID>{escape(doc.billing_reference)}</cbc:ID>", "    </cac:InvoiceDocumentReference>",
                "  </cac:BillingReference>"]
    out.append("  <cac:AccountingSupplierParty>")
    out += _party("    ", org=s.org_number, name=s.name, street=s.street, city=s.city, zone=s.postal_zone,
                  vat=s.vat_number, f_tax=True, identification=False)
    out += ["  </cac:AccountingSupplierParty>", "  <cac:AccountingCustomerParty>"]
    out += _party("    ", org=b.org_number, name=b.name, street=b.street, city=b.city, zone=b.postal_zone,
                  vat=f"SE{b.org_number}01", f_tax=False, identification=True)
    out.append("  </cac:AccountingCustomerParty>")
    if not credit:
        out += ["  <cac:PaymentMeans>", "    <cbc:PaymentMeansCode>30</cbc:PaymentMeansCode>",
                f"    <cbc:PaymentID>{escape(doc.number)}</cbc:PaymentID>", "    <cac:PayeeFinancialAccount>",
                f"      <cbc:ID>{s.bankgiro.replace('-', '')}</cbc:ID>",
                "      <cac:FinancialInstitutionBranch>", "        <cbc:ID>SE:BANKGIRO</cbc:ID>",
                "      </cac:FinancialInstitutionBranch>", "    </cac:PayeeFinancialAccount>",
                "  </cac:PaymentMeans>"]
        if doc.due_date:
            days = (doc.due_date - doc.issue_date).days
            out += ["  <cac:PaymentTerms>", f"    <cbc:Note>{days} dagar netto</cbc:Note>", "  </cac:PaymentTerms>"]
    out += ["  <cac:TaxTotal>", f"    <cbc:TaxAmount {cur}>{money(doc.tax_total)}</cbc:TaxAmount>"]
    for category, percent, taxable, tax in doc.subtotals():
        out += ["    <cac:TaxSubtotal>", f"      <cbc:TaxableAmount {cur}>{money(taxable)}</cbc:TaxableAmount>",
                f"      <cbc:TaxAmount {cur}>{money(tax)}</cbc:TaxAmount>"]
        out += _tax_category("      ", "TaxCategory", category, percent, exemption)
        out.append("    </cac:TaxSubtotal>")
    total = money(doc.line_total)
    out += ["  </cac:TaxTotal>", "  <cac:LegalMonetaryTotal>",
            f"    <cbc:LineExtensionAmount {cur}>{total}</cbc:LineExtensionAmount>",
            f"    <cbc:TaxExclusiveAmount {cur}>{total}</cbc:TaxExclusiveAmount>",
            f"    <cbc:TaxInclusiveAmount {cur}>{money(doc.payable)}</cbc:TaxInclusiveAmount>",
            f"    <cbc:PayableAmount {cur}>{money(doc.payable)}</cbc:PayableAmount>",
            "  </cac:LegalMonetaryTotal>"]
    line_tag, qty_tag = ("CreditNoteLine", "CreditedQuantity") if credit else ("InvoiceLine", "InvoicedQuantity")
    for line in doc.lines:
        out += [f"  <cac:{line_tag}>", f"    <cbc:ID>{escape(line.line_id)}</cbc:ID>",
                f"    <cbc:{qty_tag} unitCode={quoteattr(line.unit_code)}>{line.quantity}</cbc:{qty_tag}>",
                f"    <cbc:LineExtensionAmount {cur}>{money(line.net)}</cbc:LineExtensionAmount>"]
        if line.service_date:
            out += ["    <cac:InvoicePeriod>",
                    f"      <cbc:StartDate>{line.service_date.isoformat()}</cbc:StartDate>",
                    f"      <cbc:EndDate>{line.service_date.isoformat()}</cbc:EndDate>", "    </cac:InvoicePeriod>"]
        out += ["    <cac:Item>", f"      <cbc:Name>{escape(line.name)}</cbc:Name>",
                "      <cac:SellersItemIdentification>",
                f"        <cbc:ID>{escape(line.seller_item_id)}</cbc:ID>",
                "      </cac:SellersItemIdentification>"]
        out += _tax_category("      ", "ClassifiedTaxCategory", line.vat_category, line.vat_percent, None)
        for name, value in line.properties:
            out += ["      <cac:AdditionalItemProperty>", f"        <cbc:Name>{escape(name)}</cbc:Name>",
                    f"        <cbc:Value>{escape(value)}</cbc:Value>", "      </cac:AdditionalItemProperty>"]
        out += ["    </cac:Item>", "    <cac:Price>",
                f"      <cbc:PriceAmount {cur}>{money(line.price)}</cbc:PriceAmount>", "    </cac:Price>",
                f"  </cac:{line_tag}>"]
    out.append(f"</{root}>")
    return ("\n".join(out) + "\n").encode("utf-8")
