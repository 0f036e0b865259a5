"""Builders for the invoice tests: FHV e-invoices (PEPPOL BIS 3 UBL), specifications, payments, personnummer.

Personnummer are generated here at test time (valid check digit), never written into committed files. The
invoices follow the demo world of docs/architecture.md: provider A puts the employee on the invoice line,
provider B sends a `.spec.csv` beside the invoice.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from frisk.identity import luhn_ok

PROVIDER_A = "5566770011"  # Friskvården Företagshälsa AB: employee on the line
PROVIDER_B = "5566770029"  # Arbetshälsan Mitt AB: separate specification
BUYER = "2120009903"  # Frisköpings kommun
PEPPOL_DIR = Path(__file__).parent / "fixtures" / "peppol"


def pnr(birth: str, serial: int) -> str:
    """A valid 12-digit personnummer for `birth` (YYYYMMDD) and a 3-digit serial; the check digit computed."""
    body = f"{birth[2:]}{serial:03d}"
    check = next(c for c in range(10) if luhn_ok(f"{body}{c}"))
    return f"{birth}{serial:03d}{check}"


def bad_pnr(birth: str, serial: int) -> str:
    good = pnr(birth, serial)
    return good[:-1] + str((int(good[-1]) + 1) % 10)


@dataclass
class ServiceLine:
    code: str
    name: str
    price: Decimal
    quantity: Decimal = Decimal(1)
    vat_category: str = "E"
    vat_percent: Decimal = Decimal(0)
    service_date: str | None = None
    personnummer: str | None = None
    performer: str | None = None

    @property
    def net(self) -> Decimal:
        return (self.quantity * self.price).quantize(Decimal("0.01"))


def _amt(v: Decimal) -> str:
    return f"{v:.2f}"


def build_ubl(
    number: str,
    lines: list[ServiceLine],
    supplier: str = PROVIDER_A,
    buyer: str = BUYER,
    credit_note: bool = False,
    billing_reference: str | None = None,
    issue_date: str = "2025-03-31",
    override: dict[str, str] | None = None,
    note: str | None = None,
) -> str:
    """A PEPPOL BIS 3 Invoice (or CreditNote) whose totals add up, unless `override` replaces a total."""
    root = "CreditNote" if credit_note else "Invoice"
    line_tag = "CreditNoteLine" if credit_note else "InvoiceLine"
    qty_tag = "CreditedQuantity" if credit_note else "InvoicedQuantity"
    type_tag = "CreditNoteTypeCode" if credit_note else "InvoiceTypeCode"
    by_vat: dict[tuple[str, Decimal], Decimal] = {}
    for ln in lines:
        key = (ln.vat_category, ln.vat_percent)
        by_vat[key] = by_vat.get(key, Decimal(0)) + ln.net
    line_total = sum((ln.net for ln in lines), Decimal(0))
    tax = {k: (v * k[1] / 100).quantize(Decimal("0.01")) for k, v in by_vat.items()}
    tax_total = sum(tax.values(), Decimal(0))
    totals = {
        "LineExtensionAmount": _amt(line_total),
        "TaxExclusiveAmount": _amt(line_total),
        "TaxInclusiveAmount": _amt(line_total + tax_total),
        "PayableAmount": _amt(line_total + tax_total),
    }
    totals.update(override or {})
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<{root} xmlns="urn:oasis:names:specification:ubl:schema:xsd:{root}-2"',
        '  xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"',
        '  xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">',
        "  <cbc:CustomizationID>urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0"
        "</cbc:CustomizationID>",
        "  <cbc:ProfileID>urn:fdc:peppol.eu:2017:poacc:billing:01:1.0</cbc:ProfileID>",
        f"  <cbc:ID>{number}</cbc:ID>",
        f"  <cbc:IssueDate>{issue_date}</cbc:IssueDate>",
    ]
    if not credit_note:
        parts.append("  <cbc:DueDate>2025-04-30</cbc:DueDate>")
    parts.append(f"  <cbc:{type_tag}>{381 if credit_note else 380}</cbc:{type_tag}>")
    if note:
        parts.append(f"  <cbc:Note>{note}</cbc:Note>")
    parts += [
        "  <cbc:DocumentCurrencyCode>SEK</cbc:DocumentCurrencyCode>",
        "  <cbc:BuyerReference>HR-4711</cbc:BuyerReference>",
        "  <cac:OrderReference><cbc:ID>AVTAL-2025</cbc:ID></cac:OrderReference>",
    ]
    if billing_reference:
        parts.append(
            "  <cac:BillingReference><cac:InvoiceDocumentReference>"
            f"<cbc:ID>{billing_reference}</cbc:ID></cac:InvoiceDocumentReference></cac:BillingReference>"
        )
    for role, org, name in (
        ("AccountingSupplierParty", supplier, "Företagshälsa AB"),
        ("AccountingCustomerParty", buyer, "Frisköpings kommun"),
    ):
        parts += [
            f"  <cac:{role}><cac:Party>",
            f'    <cbc:EndpointID schemeID="0007">{org}</cbc:EndpointID>',
            "    <cac:PostalAddress><cac:Country><cbc:IdentificationCode>SE</cbc:IdentificationCode>"
            "</cac:Country></cac:PostalAddress>",
            f"    <cac:PartyTaxScheme><cbc:CompanyID>SE{org}01</cbc:CompanyID>"
            "<cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:PartyTaxScheme>",
            f"    <cac:PartyLegalEntity><cbc:RegistrationName>{name}</cbc:RegistrationName>"
            f'<cbc:CompanyID schemeID="0007">{org}</cbc:CompanyID></cac:PartyLegalEntity>',
            f"  </cac:Party></cac:{role}>",
        ]
    parts.append(f'  <cac:TaxTotal><cbc:TaxAmount currencyID="SEK">{_amt(tax_total)}</cbc:TaxAmount>')
    for (cat, pct), taxable in by_vat.items():
        exemption = "<cbc:TaxExemptionReason>Momsfri sjukvård</cbc:TaxExemptionReason>" if cat == "E" else ""
        parts.append(
            f'    <cac:TaxSubtotal><cbc:TaxableAmount currencyID="SEK">{_amt(taxable)}</cbc:TaxableAmount>'
            f'<cbc:TaxAmount currencyID="SEK">{_amt(tax[(cat, pct)])}</cbc:TaxAmount>'
            f"<cac:TaxCategory><cbc:ID>{cat}</cbc:ID><cbc:Percent>{pct}</cbc:Percent>{exemption}"
            "<cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:TaxCategory></cac:TaxSubtotal>"
        )
    parts.append("  </cac:TaxTotal>")
    parts.append("  <cac:LegalMonetaryTotal>")
    for tag in ("LineExtensionAmount", "TaxExclusiveAmount", "TaxInclusiveAmount", "PayableAmount"):
        parts.append(f'    <cbc:{tag} currencyID="SEK">{totals[tag]}</cbc:{tag}>')
    parts.append("  </cac:LegalMonetaryTotal>")
    for i, ln in enumerate(lines, start=1):
        parts += [
            f"  <cac:{line_tag}>",
            f"    <cbc:ID>{i}</cbc:ID>",
            f'    <cbc:{qty_tag} unitCode="EA">{ln.quantity}</cbc:{qty_tag}>',
            f'    <cbc:LineExtensionAmount currencyID="SEK">{_amt(ln.net)}</cbc:LineExtensionAmount>',
        ]
        if ln.service_date:
            parts.append(
                f"    <cac:InvoicePeriod><cbc:StartDate>{ln.service_date}</cbc:StartDate>"
                f"<cbc:EndDate>{ln.service_date}</cbc:EndDate></cac:InvoicePeriod>"
            )
        parts += [
            "    <cac:Item>",
            f"      <cbc:Name>{ln.name}</cbc:Name>",
            "      <cac:SellersItemIdentification>"
            f"<cbc:ID>{ln.code}</cbc:ID></cac:SellersItemIdentification>",
            '      <cac:CommodityClassification><cbc:ItemClassificationCode listID="STI">85140000'
            "</cbc:ItemClassificationCode></cac:CommodityClassification>",
            f"      <cac:ClassifiedTaxCategory><cbc:ID>{ln.vat_category}</cbc:ID>"
            f"<cbc:Percent>{ln.vat_percent}</cbc:Percent>"
            "<cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:ClassifiedTaxCategory>",
        ]
        props = []
        if ln.personnummer is not None:
            props.append(("Personnummer", ln.personnummer))
            props.append(("Tjänstekod", ln.code))
        if ln.performer:
            props.append(("Utförare", ln.performer))
        for name, value in props:
            parts.append(
                f"      <cac:AdditionalItemProperty><cbc:Name>{name}</cbc:Name>"
                f"<cbc:Value>{value}</cbc:Value></cac:AdditionalItemProperty>"
            )
        parts += [
            "    </cac:Item>",
            f'    <cac:Price><cbc:PriceAmount currencyID="SEK">{_amt(ln.price)}</cbc:PriceAmount>'
            "</cac:Price>",
            f"  </cac:{line_tag}>",
        ]
    parts.append(f"</{root}>")
    return "\n".join(parts) + "\n"


SPEC_HEADER = (
    "fakturanummer;leverantor_orgnr;radnummer;utford_datum;personnummer;tjanstekod;tjanst;"
    "utforare_kompetens;belopp_exkl_moms"
)


def spec_csv(rows: list[tuple]) -> str:
    """A specification file; rows of (number, supplier, line, date, pnr, code, name, competence, amount)."""
    return SPEC_HEADER + "\n" + "".join(";".join(str(v) for v in r) + "\n" for r in rows)


def payments_csv(rows: list[tuple]) -> str:
    return "fakturanummer;leverantor_orgnr;betald_datum;belopp\n" + "".join(
        ";".join(str(v) for v in r) + "\n" for r in rows
    )


def provider_a_lines() -> list[ServiceLine]:
    """Three services by provider A to two employees, one VAT-liable; the third person's number is broken."""
    return [
        ServiceLine(
            "KA01",
            "Kartläggning",
            Decimal("4500"),
            service_date="2025-03-03",
            personnummer=pnr("19800101", 123),
            performer="Företagsläkare",
        ),
        ServiceLine(
            "AP01",
            "Arbetsplatsbesök och ergonomisk bedömning",
            Decimal("5000"),
            vat_category="S",
            vat_percent=Decimal(25),
            service_date="2025-03-10",
            personnummer=pnr("19750615", 246),
            performer="Ergonom",
        ),
        ServiceLine(
            "SS01",
            "Stödsamtal",
            Decimal("1400"),
            quantity=Decimal(2),
            service_date="2025-03-12",
            personnummer=bad_pnr("19900202", 357),
            performer="Psykolog",
        ),
    ]


def provider_b_lines() -> list[ServiceLine]:
    """Provider B invoices services without naming employees; the specification file names them."""
    return [
        ServiceLine("210", "Kartläggning av arbetsförmåga", Decimal("4800")),
        ServiceLine("300", "Trepartsmöte", Decimal("3600"), quantity=Decimal(2)),
    ]
