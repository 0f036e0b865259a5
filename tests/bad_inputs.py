"""A corpus of bad (and awkward but valid) deliveries for payroll, invoices, payments and public statistics.

Every case writes its file at test time (so no personnummer-shaped string is committed here; the numbers come
from tests/fixtures/personnummer via `sample_personnummer`) and states the outcome the loader must give:

- `rejected`: the whole file is refused; the error must match `error` and name where (line, row or size),
- `loaded`: the file is loaded; `loaded` rows reach raw and each (line, field, reason) in `quarantined` is in
  quarantine.rows. Rows in (data lines of the file, or value cells of a workbook) = loaded + quarantined.

tests/test_reliability_corpus.py runs each case through its loader and through the ingest DAGs.
"""

from __future__ import annotations

import codecs
import io
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from tests.conftest import sample_personnummer

EMPLOYER = "2120009903"
PROVIDER_A = "5566770011"  # the person on the invoice line
PROVIDER_B = "5566770029"  # specifications beside the invoice
MB = 1_000_000


def pnr(i: int) -> str:
    """A valid personnummer (12 digits) of the public test list."""
    return sample_personnummer(i + 1, "long_format")


def bad_pnr(i: int) -> str:
    """The same number with a wrong check digit."""
    good = pnr(i)
    return good[:-1] + str((int(good[-1]) + 1) % 10)


def clear_numbers() -> list[str]:
    """Every clear number the corpus writes, in the spellings a leak would take."""
    out = []
    for i in range(4):
        for n in (pnr(i), bad_pnr(i)):
            out += [n, n[2:], f"{n[:8]}-{n[8:]}", f"{n[2:8]}-{n[8:]}"]
    return out


@dataclass(frozen=True)
class Case:
    name: str
    source: str  # landing folder: payroll | invoices | payments | statistics
    file_name: str
    write: Callable[[Path], None]
    outcome: str  # rejected | loaded
    error: str = ""  # regex the rejection message must match
    loaded: int = 0
    quarantined: tuple[tuple[int | None, str | None, str], ...] = ()  # (line, field, reason substring)
    rows_in: int | None = None  # rows read; default loaded + len(quarantined)
    kind: str = ""  # invoice | specification | payment (invoices and payments only)
    big: bool = False  # generated large file: kept out of the all-at-once DAG run
    known_gap: str = ""  # a reported bug the case exposes (the test is xfail strict until it is fixed)
    tags: tuple[str, ...] = field(default_factory=tuple)

    @property
    def expected_rows_in(self) -> int:
        return self.rows_in if self.rows_in is not None else self.loaded + len(self.quarantined)


def _text(content: str, encoding: str = "utf-8", bom: bool = False, newline: str = "\n") -> Callable[[Path], None]:
    def write(path: Path) -> None:
        data = content.replace("\n", newline).encode(encoding)
        path.write_bytes((codecs.BOM_UTF8 if bom else b"") + data)

    return write


def _bytes(data: bytes) -> Callable[[Path], None]:
    return lambda path: path.write_bytes(data)


def _lazy(build: Callable[[], str], **kw) -> Callable[[Path], None]:
    """Text built when the case runs (numbers are looked up then, not at import)."""
    return lambda path: _text(build(), **kw)(path)


# --- payroll: frisk_canonical absence ------------------------------------------------------------------------------
CANON = "employer_org_number,personnummer,employment_id,absence_cause,from_date,to_date,extent_pct,hours\n"


def _canon(*rows: str) -> Callable[[], str]:
    """A canonical absence file: rows use {p0}..{p3} / {b0} for good / bad numbers."""
    def build() -> str:
        nums = {f"p{i}": pnr(i) for i in range(4)} | {f"b{i}": bad_pnr(i) for i in range(4)}
        return CANON + "".join(r.format(**nums) + "\n" for r in rows)

    return build


G1 = f"{EMPLOYER},{{p0}},E1,SJK,2024-03-01,2024-03-05,100,32"
G2 = f"{EMPLOYER},{{p1}},E2,VAB,2024-04-02,2024-04-02,50,4"
G3 = f"{EMPLOYER},{{p2}},E3,SJK,2024-05-06,,25,"

SV_HEADER = "Personnummer;Anst.nr;Frånvaroorsak;Datum from;Datum tom;Omfattning;Timmar\n"


def _sv(*rows: str) -> Callable[[], str]:
    def build() -> str:
        nums = {f"p{i}": pnr(i) for i in range(4)}
        return SV_HEADER + "".join(r.format(**nums) + "\n" for r in rows)

    return build


SV1 = "{p0};E1;Sjuk;2024-05-02;2024-05-03;1,000;16,0"
SV2 = "{p1};E2;Föräldraledig;20240501;TV;0,500;"


def _runaway_line(path: Path) -> None:
    """200 MB without a single line break: not a CSV export (wrong line endings); refused in the first MiB."""
    block = b"x;" * (MB // 2)
    with path.open("wb") as f:
        f.write(CANON.encode())
        for _ in range(200):
            f.write(block)


PAYROLL: list[Case] = [
    Case("payroll_utf16", "payroll", "absence_utf16.csv", _lazy(_canon(G1), encoding="utf-16"), "rejected",
         error=r"line 1\b.*not a text file"),
    Case("payroll_mixed_encodings", "payroll", "franvaro_2120009903_mixed.csv",
         lambda p: p.write_bytes(_sv(SV1)().encode("utf-8")
                                 + f"{pnr(2)};E9;Övrigt;2024-05-09;2024-05-09;1;8\n".encode("cp1252")),
         "rejected", error=r"line 3 .*mixed encodings"),
    Case("payroll_cp1252_crlf", "payroll", "franvaro_2120009903_cp1252.csv",
         _lazy(_sv(SV1, SV2), encoding="cp1252", newline="\r\n"), "loaded", loaded=2),
    Case("payroll_bom_crlf", "payroll", "franvaro_2120009903_bom.csv", _lazy(_sv(SV1, SV2), bom=True, newline="\r\n"),
         "loaded", loaded=2),
    Case("payroll_empty", "payroll", "absence_empty.csv", _bytes(b""), "rejected", error=r"line 1: empty file"),
    Case("payroll_bom_only", "payroll", "absence_bom_only.csv", _bytes(codecs.BOM_UTF8), "rejected",
         error=r"line 1: empty file"),
    Case("payroll_header_only", "payroll", "absence_header_only.csv", _text(CANON), "loaded", loaded=0),
    Case("payroll_truncated_last_line", "payroll", "absence_truncated.csv",
         _lazy(lambda: _canon(G1, G2)() + f"{EMPLOYER},{pnr(2)},E3,SJK,2024-0"), "rejected",
         error=r"line 4: truncated last line"),
    Case("payroll_extra_column", "payroll", "absence_extra_column.csv", _lazy(_canon(G1, G2 + ",x", G3)), "loaded",
         loaded=2, quarantined=((3, None, "expected 8 fields"),)),
    Case("payroll_missing_column_in_row", "payroll", "absence_short_row.csv",
         _lazy(_canon(G1, f"{EMPLOYER},{{p1}},E2,VAB,2024-04-02,2024-04-02", G3)), "loaded", loaded=2,
         quarantined=((3, None, "found 6"),)),
    Case("payroll_missing_column_in_header", "payroll", "absence_no_extent.csv",
         _text(CANON.replace(",extent_pct", "") + f"{EMPLOYER},x,E1,SJK,2024-03-01,2024-03-05,32\n"), "rejected",
         error=r"line 1: header not recognised.*missing columns \['extent_pct'\]"),
    Case("payroll_wrong_delimiter", "payroll", "absence_semicolons.csv", _text(CANON.replace(",", ";")), "rejected",
         error=r"line 1: wrong delimiter"),
    Case("payroll_feb_30", "payroll", "absence_feb30.csv",
         _lazy(_canon(G1, f"{EMPLOYER},{{p1}},E2,SJK,2024-02-30,2024-03-02,100,", G3)), "loaded", loaded=2,
         quarantined=((3, "from_date", "'2024-02-30' is not a valid date"),)),
    Case("payroll_to_before_from", "payroll", "absence_to_before_from.csv",
         _lazy(_canon(G1, f"{EMPLOYER},{{p1}},E2,SJK,2024-06-10,2024-06-01,100,")), "loaded", loaded=1,
         quarantined=((3, "to_date", "is before from_date"),)),
    Case("payroll_extent_0", "payroll", "absence_extent0.csv",
         _lazy(_canon(G1, f"{EMPLOYER},{{p1}},E2,SJK,2024-06-10,2024-06-11,0,")), "loaded", loaded=1,
         quarantined=((3, "extent_pct", "must be above 0 and at most 100"),)),
    Case("payroll_extent_150_sv", "payroll", "franvaro_2120009903_extent150.csv",
         _lazy(_sv(SV1, "{p1};E2;Sjuk;2024-05-30;2024-05-31;150;")), "loaded", loaded=1,
         quarantined=((3, "Omfattning", "must be above 0 and at most 100"),)),
    Case("payroll_invalid_personnummer", "payroll", "absence_bad_pnr.csv",
         _lazy(_canon(G1, f"{EMPLOYER},{{b1}},E2,SJK,2024-06-10,2024-06-11,100,", G3)), "loaded", loaded=2,
         quarantined=((3, "personnummer", "check digit"),)),
    Case("payroll_duplicate_rows", "payroll", "absence_duplicates.csv", _lazy(_canon(G1, G2, G1, G3)), "loaded",
         loaded=3, quarantined=((4, None, "duplicate of line 2"),)),
    Case("payroll_negative_hours", "payroll", "absence_negative_hours.csv",
         _lazy(_canon(G1, f"{EMPLOYER},{{p1}},E2,SJK,2024-06-10,2024-06-11,100,-8")), "loaded", loaded=1,
         quarantined=((3, "hours", "is not a number"),)),
    Case("payroll_huge_hours", "payroll", "absence_huge_hours.csv",
         _lazy(_canon(G1, f"{EMPLOYER},{{p1}},E2,SJK,2024-06-10,2024-06-11,100,999999999999")), "loaded", loaded=1,
         quarantined=((3, "hours", "is above 99999999"),)),
    Case("payroll_unclosed_quote", "payroll", "absence_open_quote.csv",
         _lazy(_canon(G1, f'{EMPLOYER},{{p1}},"E2,SJK,2024-06-10,2024-06-11,100,', G3)), "rejected",
         error=r"line 3: cannot be read as CSV"),
    Case("payroll_xlsx_renamed_csv", "payroll", "absence_really_excel.csv", _bytes(b"PK\x03\x04" + b"\0" * 100),
         "rejected", error=r"line 1: not a text file: it is a ZIP archive"),
    Case("payroll_200mb_without_line_breaks", "payroll", "absence_runaway.csv", _runaway_line, "rejected",
         error=r"line 2: longer than 1048576 bytes", big=True),
]

# --- invoices: PEPPOL BIS 3 UBL ------------------------------------------------------------------------------------
NS_INV = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
NS_CN = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
_CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
_CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"


def ubl(number: str, lines: list[tuple[str, str]], *, credit: bool = False, billing_ref: str | None = None,
        ns: str | None = None, prolog: str = "", body_extra: str = "") -> str:
    """A PEPPOL BIS 3 Invoice (or CreditNote) from provider A to employer 1, VAT-exempt, one line per
    (net amount, personnummer); the totals add up."""
    root, line_tag, qty_tag, type_tag, type_code = (
        ("CreditNote", "CreditNoteLine", "CreditedQuantity", "CreditNoteTypeCode", "381") if credit
        else ("Invoice", "InvoiceLine", "InvoicedQuantity", "InvoiceTypeCode", "380"))
    total = sum(float(a) for a, _ in lines)
    ref = (f"<cac:BillingReference><cac:InvoiceDocumentReference><cbc:ID>{billing_ref}</cbc:ID>"
           f"</cac:InvoiceDocumentReference></cac:BillingReference>") if billing_ref else ""
    body = "".join(f"""
  <cac:{line_tag}>
    <cbc:ID>{i}</cbc:ID>
    <cbc:{qty_tag} unitCode="EA">1</cbc:{qty_tag}>
    <cbc:LineExtensionAmount currencyID="SEK">{amount}</cbc:LineExtensionAmount>
    <cac:InvoicePeriod><cbc:StartDate>2024-03-0{i}</cbc:StartDate><cbc:EndDate>2024-03-0{i}</cbc:EndDate>
    </cac:InvoicePeriod>
    <cac:Item>
      <cbc:Name>Kartläggning</cbc:Name>
      <cac:SellersItemIdentification><cbc:ID>KA01</cbc:ID></cac:SellersItemIdentification>
      <cac:ClassifiedTaxCategory><cbc:ID>E</cbc:ID><cbc:Percent>0</cbc:Percent>
        <cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:ClassifiedTaxCategory>
      <cac:AdditionalItemProperty><cbc:Name>Personnummer</cbc:Name><cbc:Value>{person}</cbc:Value>
      </cac:AdditionalItemProperty>
      <cac:AdditionalItemProperty><cbc:Name>Tjänstekod</cbc:Name><cbc:Value>KA01</cbc:Value>
      </cac:AdditionalItemProperty>
      <cac:AdditionalItemProperty><cbc:Name>Utförare</cbc:Name><cbc:Value>Företagssköterska</cbc:Value>
      </cac:AdditionalItemProperty>
    </cac:Item>
    <cac:Price><cbc:PriceAmount currencyID="SEK">{amount}</cbc:PriceAmount></cac:Price>
  </cac:{line_tag}>""" for i, (amount, person) in enumerate(lines, start=1))
    return f"""<?xml version="1.0" encoding="UTF-8"?>{prolog}
<{root} xmlns="{ns or (NS_CN if credit else NS_INV)}" xmlns:cac="{_CAC}" xmlns:cbc="{_CBC}">
  <cbc:CustomizationID>urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0</cbc:CustomizationID>
  <cbc:ProfileID>urn:fdc:peppol.eu:2017:poacc:billing:01:1.0</cbc:ProfileID>
  <cbc:ID>{number}</cbc:ID>
  <cbc:IssueDate>2024-04-05</cbc:IssueDate>
  <cbc:{type_tag}>{type_code}</cbc:{type_tag}>
  <cbc:DocumentCurrencyCode>SEK</cbc:DocumentCurrencyCode>{body_extra}
  {ref}
  <cac:AccountingSupplierParty><cac:Party>
    <cbc:EndpointID schemeID="0007">{PROVIDER_A}</cbc:EndpointID>
    <cac:PartyName><cbc:Name>Friskvården Företagshälsa AB</cbc:Name></cac:PartyName>
    <cac:PartyLegalEntity><cbc:RegistrationName>Friskvården Företagshälsa AB</cbc:RegistrationName>
      <cbc:CompanyID schemeID="0007">{PROVIDER_A}</cbc:CompanyID></cac:PartyLegalEntity>
  </cac:Party></cac:AccountingSupplierParty>
  <cac:AccountingCustomerParty><cac:Party>
    <cbc:EndpointID schemeID="0007">{EMPLOYER}</cbc:EndpointID>
    <cac:PartyLegalEntity><cbc:RegistrationName>Frisköpings kommun</cbc:RegistrationName>
      <cbc:CompanyID schemeID="0007">{EMPLOYER}</cbc:CompanyID></cac:PartyLegalEntity>
  </cac:Party></cac:AccountingCustomerParty>
  <cac:TaxTotal>
    <cbc:TaxAmount currencyID="SEK">0.00</cbc:TaxAmount>
    <cac:TaxSubtotal>
      <cbc:TaxableAmount currencyID="SEK">{total:.2f}</cbc:TaxableAmount>
      <cbc:TaxAmount currencyID="SEK">0.00</cbc:TaxAmount>
      <cac:TaxCategory><cbc:ID>E</cbc:ID><cbc:Percent>0</cbc:Percent>
        <cbc:TaxExemptionReasonCode>VATEX-EU-132-1C</cbc:TaxExemptionReasonCode>
        <cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:TaxCategory>
    </cac:TaxSubtotal>
  </cac:TaxTotal>
  <cac:LegalMonetaryTotal>
    <cbc:LineExtensionAmount currencyID="SEK">{total:.2f}</cbc:LineExtensionAmount>
    <cbc:TaxExclusiveAmount currencyID="SEK">{total:.2f}</cbc:TaxExclusiveAmount>
    <cbc:TaxInclusiveAmount currencyID="SEK">{total:.2f}</cbc:TaxInclusiveAmount>
    <cbc:PayableAmount currencyID="SEK">{total:.2f}</cbc:PayableAmount>
  </cac:LegalMonetaryTotal>{body}
</{root}>
"""


def _xml(build: Callable[[], str], **kw) -> Callable[[Path], None]:
    return _lazy(build, **kw)


XXE = '\n<!DOCTYPE Invoice [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
LAUGHS = "\n<!DOCTYPE Invoice [<!ENTITY a \"aaaaaaaaaa\">" + "".join(
    f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">' for i in range(9)) + "]>"


def _big_xml(path: Path) -> None:
    """A 200 MB invoice (a well-formed document padded with a huge note): refused by size before parsing."""
    head, tail = ubl("T-BIG", [("100.00", pnr(0))]).split("<cbc:DocumentCurrencyCode>", 1)
    with path.open("w", encoding="utf-8") as f:
        f.write(head + "<cbc:Note>")
        chunk = "x" * MB
        for _ in range(200):
            f.write(chunk)
        f.write("</cbc:Note><cbc:DocumentCurrencyCode>" + tail)


INVOICES: list[Case] = [
    Case("invoice_good_two_lines_bom_crlf", "invoices", "T-1.xml",
         _xml(lambda: ubl("T-1", [("1200.00", pnr(0)), ("3800.00", pnr(1))]), bom=True, newline="\r\n"),
         "loaded", loaded=2, kind="invoice"),
    Case("invoice_xxe", "invoices", "T-XXE.xml",
         _xml(lambda: ubl("T-XXE", [("1.00", pnr(0))], prolog=XXE, body_extra="<cbc:Note>&xxe;</cbc:Note>")),
         "rejected", error=r"line 2: the file declares a DTD", kind="invoice"),
    Case("invoice_billion_laughs", "invoices", "T-LOL.xml",
         _xml(lambda: ubl("T-LOL", [("1.00", pnr(0))], prolog=LAUGHS, body_extra="<cbc:Note>&j;</cbc:Note>")),
         "rejected", error=r"line 2: the file declares a DTD", kind="invoice"),
    Case("invoice_wrong_namespace", "invoices", "T-NS.xml",
         _xml(lambda: ubl("T-NS", [("1.00", pnr(0))], ns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-3")),
         "rejected", error=r"line 2: root element is .*Invoice-3", kind="invoice"),
    Case("invoice_truncated", "invoices", "T-CUT.xml",
         _xml(lambda: ubl("T-CUT", [("1.00", pnr(0))])[:1500]), "rejected",
         error=r"line \d+, column \d+: not well-formed XML", kind="invoice"),
    Case("invoice_latin1_declared_utf8", "invoices", "T-ENC.xml",
         _xml(lambda: ubl("T-ENC", [("1.00", pnr(0))]), encoding="latin-1"), "rejected",
         error=r"line \d+, column \d+: not well-formed XML", kind="invoice"),
    Case("invoice_totals_do_not_add_up", "invoices", "T-SUM.xml",
         _xml(lambda: ubl("T-SUM", [("1200.00", pnr(0))]).replace(
             '<cbc:PayableAmount currencyID="SEK">1200.00', '<cbc:PayableAmount currencyID="SEK">1300.00')),
         "rejected", error=r"line \d+", kind="invoice"),
    Case("invoice_invalid_personnummer_on_a_line", "invoices", "T-PNR.xml",
         _xml(lambda: ubl("T-PNR", [("1200.00", pnr(0)), ("3800.00", bad_pnr(1))])), "loaded", loaded=1,
         quarantined=((None, "Personnummer", "invoice line 2"),), kind="invoice"),
    # an amount beyond numeric(14,2): refused by the parser, naming the element and its line (not by COPY); the
    # first element out of range in document order is named (here the VAT breakdown, which sums the lines)
    Case("invoice_huge_amount", "invoices", "T-HUGE.xml",
         _xml(lambda: ubl("T-HUGE", [("1200.00", pnr(0)), ("99999999999999.00", pnr(1))])), "rejected",
         error=r"line \d+: cbc:\w+ in \w+ is out of range: the warehouse column is numeric\(14,2\)", kind="invoice"),
    Case("invoice_amount_rounds_out_of_range", "invoices", "T-ROUND.xml",
         _xml(lambda: ubl("T-ROUND", [("999999999999.995", pnr(0))])), "rejected",
         error=r"line \d+: cbc:LineExtensionAmount in InvoiceLine is out of range", kind="invoice"),
    Case("invoice_vat_rate_10000_percent", "invoices", "T-VAT.xml",
         _xml(lambda: ubl("T-VAT", [("1200.00", pnr(0))]).replace(
             "<cbc:Percent>0</cbc:Percent>\n        <cac:TaxScheme>", "<cbc:Percent>10000</cbc:Percent>\n        "
             "<cac:TaxScheme>", 1)), "rejected",
         error=r"line \d+: cac:Item/cac:ClassifiedTaxCategory/cbc:Percent in InvoiceLine is out of range: "
               r".*numeric\(6,2\)", kind="invoice"),
    Case("invoice_nan_amount", "invoices", "T-NAN.xml",
         _xml(lambda: ubl("T-NAN", [("1200.00", pnr(0))]).replace(
             '<cbc:PriceAmount currencyID="SEK">1200.00', '<cbc:PriceAmount currencyID="SEK">NaN', 1)), "rejected",
         error=r"line \d+: cac:Price/cbc:PriceAmount is not a finite number", kind="invoice"),
    # Frisk requires the reference (PEPPOL does not): without it the credit cannot reduce the right invoice
    Case("credit_note_without_reference", "invoices", "T-CN.xml",
         _xml(lambda: ubl("T-CN", [("1200.00", pnr(0))], credit=True)), "rejected",
         error=r"line 2: credit note T-CN has no cac:BillingReference.*reference the invoice it corrects",
         kind="invoice"),
    Case("credit_note_with_reference", "invoices", "T-CN-OK.xml",
         _xml(lambda: ubl("T-CN-OK", [("1200.00", pnr(0))], credit=True, billing_ref="T-1")), "loaded", loaded=1,
         kind="invoice"),
    Case("invoice_200mb", "invoices", "T-BIG.xml", _big_xml, "rejected",
         error=r"file is \d+ bytes, more than the limit", kind="invoice", big=True),
]

# --- specifications and payments (semicolon CSV beside the invoices) -----------------------------------------------
SPEC = "fakturanummer;leverantor_orgnr;radnummer;utford_datum;personnummer;tjanstekod;tjanst;utforare_kompetens;" \
       "belopp_exkl_moms\n"


def _spec(*rows: str) -> Callable[[], str]:
    def build() -> str:
        nums = {f"p{i}": pnr(i) for i in range(4)} | {f"b{i}": bad_pnr(i) for i in range(4)}
        return SPEC + "".join(r.format(**nums) + "\n" for r in rows)

    return build


S1 = f"S-1;{PROVIDER_B};1;2024-02-19;{{p0}};300;Trepartsmöte;Rehabkoordinator;3600,00"
S2 = f"S-1;{PROVIDER_B};2;2024-02-28;{{p1}};310;Plan för återgång;Rehabkoordinator;2400.00"
PAY = "fakturanummer;leverantor_orgnr;betald_datum;belopp\n"
P1 = f"S-1;{PROVIDER_B};2024-04-02;6000.00"

SIDE_FILES: list[Case] = [
    Case("spec_cp1252", "invoices", "S-enc.spec.csv", _lazy(_spec(S1, S2), encoding="cp1252"), "rejected",
         error=r"line 2: the file is not UTF-8", kind="specification"),
    Case("spec_bom_crlf", "invoices", "S-bom.spec.csv", _lazy(_spec(S1, S2), bom=True, newline="\r\n"), "loaded",
         loaded=2, kind="specification"),
    Case("spec_header_missing_column", "invoices", "S-hdr.spec.csv",
         _lazy(lambda: _spec(S1)().replace(";tjanstekod", "", 1)), "rejected", error=r"line 1: header not recognised",
         kind="specification"),
    Case("spec_feb_30_and_bad_pnr", "invoices", "S-bad.spec.csv",
         _lazy(_spec(S1, S2.replace("2024-02-28", "2024-02-30"), S1.replace("{p0}", "{b2}").replace(";1;", ";3;"))),
         "loaded", loaded=1, quarantined=((3, "utford_datum", "is not a date"), (4, "personnummer", "check digit")),
         kind="specification"),
    Case("spec_extra_field", "invoices", "S-extra.spec.csv", _lazy(_spec(S1, S2 + ";extra")), "loaded", loaded=1,
         quarantined=((3, None, "expected 9 fields"),), kind="specification"),
    Case("payments_empty", "payments", "pay_empty.csv", _bytes(b""), "rejected", error=r"line 1: the file is empty",
         kind="payment"),
    Case("payments_header_only", "payments", "pay_header.csv", _text(PAY), "loaded", loaded=0, kind="payment"),
    Case("payments_negative_zero_and_text", "payments", "pay_mixed.csv",
         _text(PAY + P1 + "\n" + P1.replace("6000.00", "-1200.00") + "\n" + P1.replace("6000.00", "0")
               + "\n" + P1.replace("6000.00", "sexhundra") + "\n"), "loaded", loaded=2,
         quarantined=((4, "belopp", "belopp is zero"), (5, "belopp", "is not an amount")), kind="payment"),
    Case("payments_huge_amount", "payments", "pay_huge.csv",
         _text(PAY + P1 + "\n" + P1.replace("6000.00", "99999999999999.00") + "\n"
               + P1.replace("6000.00", "-1" + "0" * 40) + "\n"), "loaded", loaded=1,
         quarantined=((3, "belopp", "belopp is out of range"), (4, "belopp", "belopp is out of range")),
         kind="payment"),
    Case("payments_nan_and_infinity", "payments", "pay_nan.csv",
         _text(PAY + P1 + "\n" + P1.replace("6000.00", "NaN") + "\n" + P1.replace("6000.00", "Infinity") + "\n"
               + P1.replace("6000.00", "-inf") + "\n"), "loaded", loaded=1,
         quarantined=((3, "belopp", "not a finite amount"), (4, "belopp", "not a finite amount"),
                      (5, "belopp", "not a finite amount")), kind="payment"),
    Case("spec_huge_amount", "invoices", "S-huge.spec.csv",
         _lazy(_spec(S1, S2.replace("2400.00", "1000000000000.00"))), "loaded", loaded=1,
         quarantined=((3, "belopp_exkl_moms", "belopp_exkl_moms is out of range"),), kind="specification"),
]

# --- public statistics: FK Excel files dropped in landing/statistics ------------------------------------------------
FK_HEADER = ["År", "Månad", "Län", "Kommun", "Ålder", "Kön", "Sjukpenningtal 1.0"]
FK_ROWS = [
    [2024, 9, "20 Dalarnas län", "2080 Frisköping", "Samtliga 16-64 år", "Kvinnor och män", 10.3],
    [2024, 9, "20 Dalarnas län", "2080 Frisköping", "Samtliga 16-64 år", "Kvinnor", 13.5],
    [2024, 9, "20 Dalarnas län", "2080 Frisköping", "Samtliga 16-64 år", "Män", 7.3],
]


def _workbook(sheets: list[tuple[str, list[list]]]) -> Callable[[Path], None]:
    def write(path: Path) -> None:
        import openpyxl

        wb = openpyxl.Workbook()
        wb.remove(wb.active)
        for title, rows in sheets:
            ws = wb.create_sheet(title)
            for r in rows:
                ws.append(r)
        buf = io.BytesIO()
        wb.save(buf)
        path.write_bytes(buf.getvalue())

    return write


def _truncated_xlsx(path: Path) -> None:
    _workbook([("Data", [FK_HEADER, *FK_ROWS])])(path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _zip_without_workbook(path: Path) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("hello.txt", "not excel")
    path.write_bytes(buf.getvalue())


STATISTICS: list[Case] = [
    Case("fk_extra_sheet", "statistics", "fk_extra_sheet.xlsx",
         _workbook([("Om statistiken", [["Källa: Försäkringskassan"], ["Uppdaterad 2024-11-06"]]),
                    ("Data", [FK_HEADER, *FK_ROWS])]), "loaded", loaded=3),
    Case("fk_moved_header", "statistics", "fk_moved_header.xlsx",
         _workbook([("Data", [["Sjukpenningtal per kommun"], [], ["Källa: FK"], [], FK_HEADER, *FK_ROWS])]),
         "loaded", loaded=3),
    Case("fk_header_too_far_down", "statistics", "fk_header_row_60.xlsx",
         _workbook([("Data", [["rubrik"]] * 59 + [FK_HEADER, *FK_ROWS])]), "rejected",
         error=r"fk_header_row_60.xlsx: no sheet has a header row.*sheet 'Data' row 1"),
    Case("fk_bad_rows", "statistics", "fk_bad_rows.xlsx",
         _workbook([("Data", [FK_HEADER, FK_ROWS[0],
                              [2024, 13, "20 Dalarnas län", "2080 Frisköping", "Samtliga 16-64 år", "Män", 7.3],
                              [2024, 9, "Atlantis", "", "Samtliga 16-64 år", "Män", 7.3],
                              [2024, 9, "20 Dalarnas län", "2080 Frisköping", "Samtliga 16-64 år", "Kvinnor",
                               "tio"]])]),
         "loaded", loaded=1,
         quarantined=((3, "Månad", "row 3: Månad: not a month"), (4, "Län", "place not recognised"),
                      (5, "Sjukpenningtal 1.0", "not a number"))),
    Case("fk_huge_value", "statistics", "fk_huge_value.xlsx",
         _workbook([("Data", [FK_HEADER, FK_ROWS[0], [*FK_ROWS[1][:6], 1e15], [*FK_ROWS[2][:6], "NaN"]])]),
         "loaded", loaded=1,
         quarantined=((3, "Sjukpenningtal 1.0", "out of range"), (4, "Sjukpenningtal 1.0", "out of range"))),
    Case("fk_truncated_workbook", "statistics", "fk_truncated.xlsx", _truncated_xlsx, "rejected",
         error=r"fk_truncated.xlsx: not a readable Excel workbook"),
    Case("fk_zip_without_workbook", "statistics", "fk_zip.xlsx", _zip_without_workbook, "rejected",
         error=r"fk_zip.xlsx: not a readable Excel workbook"),
    Case("fk_csv_dropped", "statistics", "fk_values.csv", _text(",".join(FK_HEADER) + "\n"), "rejected",
         error=r"fk_values.csv: only FK open-data Excel files"),
]

CORPUS: list[Case] = [*PAYROLL, *INVOICES, *SIDE_FILES, *STATISTICS]
