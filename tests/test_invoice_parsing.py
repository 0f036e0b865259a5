"""UBL parsing, the EN 16931 arithmetic and hostile XML: no database needed."""

from __future__ import annotations

import time
from decimal import Decimal
from pathlib import Path

import pytest

from frisk.invoices import arithmetic, ubl
from frisk.loading import FileRejected
from tests.test_invoice_support import PEPPOL_DIR, ServiceLine, build_ubl, provider_a_lines

D = Decimal

# Printed in each file: type, number, LineExtension, AllowanceTotal, ChargeTotal, TaxExclusive, TaxAmount,
# TaxInclusive, Prepaid, Payable, lines, billing reference, supplier id, VAT {(cat, %): (taxable, tax)}
PRINTED = {
    "base-example.xml": (
        "invoice",
        "Snippet1",
        "1300",
        None,
        "25",
        "1325",
        "331.25",
        "1656.25",
        None,
        "1656.25",
        2,
        None,
        "GB983294",
        {("S", "25"): ("1325", "331.25")},
    ),
    "base-creditnote-correction.xml": (
        "credit_note",
        "Snippet1",
        "1300",
        None,
        "25",
        "1325",
        "331.25",
        "1656.25",
        None,
        "1656.25",
        2,
        "Snippet1",
        "GB983294",
        {("S", "25"): ("1325", "331.25")},
    ),
    "vat-category-E.xml": (
        "invoice",
        "Vat-Z",
        "1200.00",
        None,
        None,
        "1200.00",
        "0.00",
        "1200.00",
        None,
        "1200.00",
        1,
        None,
        "7300010000001",
        {("E", "0"): ("1200.00", "0.00")},
    ),
    "Allowance-example.xml": (
        "invoice",
        "Snippet1",
        "5900",
        "200",
        "200",
        "5900",
        "1225.00",
        "7125",
        "1000",
        "6125.00",
        3,
        None,
        "GB983294",
        {("S", "25"): ("4900.0", "1225"), ("E", "0"): ("1000.0", "0")},
    ),
    "se-invoice-sek.xml": (
        "invoice",
        "2018210",
        "100",
        "11",
        "11",
        "100",
        "25",
        "125",
        None,
        "125",
        1,
        None,
        "5566778899",
        {("S", "25"): ("100", "25")},
    ),
    "se-creditnote-sek.xml": (
        "credit_note",
        "2018210",
        "100",
        "11",
        "11",
        "100",
        "25",
        "125",
        None,
        "125",
        1,
        "Preceding invoice no. X",
        "5566778899",
        {("S", "25"): ("100", "25")},
    ),
}


def _opt(v: str | None) -> Decimal | None:
    return None if v is None else D(v)


def test_every_real_peppol_file_is_covered() -> None:
    assert sorted(p.name for p in PEPPOL_DIR.glob("*.xml")) == sorted(PRINTED)


@pytest.mark.parametrize("name", sorted(PRINTED))
def test_real_peppol_file_parses_to_its_printed_totals(name: str) -> None:
    (
        kind,
        number,
        line_ext,
        allow,
        charge,
        excl,
        tax,
        incl,
        prepaid,
        payable,
        n_lines,
        billing,
        supplier,
        vat,
    ) = PRINTED[name]
    doc = ubl.parse_document(PEPPOL_DIR / name)
    assert (doc.document_type, doc.invoice_number, doc.sign) == (
        kind,
        number,
        -1 if kind == "credit_note" else 1,
    )
    assert doc.line_extension_amount == D(line_ext)
    assert doc.allowance_total_amount == _opt(allow)
    assert doc.charge_total_amount == _opt(charge)
    assert doc.tax_exclusive_amount == D(excl)
    assert doc.tax_amount == D(tax)
    assert doc.tax_inclusive_amount == D(incl)
    assert doc.prepaid_amount == _opt(prepaid)
    assert doc.payable_amount == D(payable)
    assert len(doc.lines) == n_lines
    assert doc.billing_reference == billing
    assert doc.supplier.org_number == supplier
    assert {
        (s.category, str(s.percent.normalize())): (s.taxable_amount, s.tax_amount) for s in doc.tax_subtotals
    } == {k: (D(a), D(b)) for k, (a, b) in vat.items()}
    assert arithmetic.problems(doc) == []  # the standard's arithmetic holds on every reference file


def test_real_file_details_lines_allowances_and_parties() -> None:
    doc = ubl.parse_document(PEPPOL_DIR / "Allowance-example.xml")
    first, second = doc.lines[0], doc.lines[1]
    assert (first.line_id, first.quantity, first.unit_code, first.net_amount) == (
        "1",
        D(10),
        "C62",
        D("4000.00"),
    )
    assert (first.seller_item_id, first.classification, first.classification_list_id) == (
        "97iugug876",
        "09348023",
        "SRV",
    )
    assert (first.tax_category, first.tax_percent, first.price_amount) == ("S", D("25.0"), D(410))
    assert [(a.is_charge, a.amount) for a in first.allowance_charges] == [(True, D(1)), (False, D(101))]
    assert first.note == "Testing note on line level"
    assert (second.period_start.isoformat(), second.period_end.isoformat()) == ("2017-12-01", "2017-12-05")
    assert second.base_quantity == D(2)
    assert second.properties == [("AdditionalItemName", "AdditionalItemValue")]
    assert [(a.is_charge, a.amount, a.reason_code) for a in doc.allowance_charges] == [
        (True, D(200), "CG"),
        (False, D(200), "95"),
    ]
    assert (doc.tax_currency, doc.tax_amount_tax_currency) == ("SEK", D("9324.00"))

    se = ubl.parse_document(PEPPOL_DIR / "se-invoice-sek.xml")
    # The legal-entity number 1234567890 fails the Luhn check; the valid 0007 endpoint number is used instead.
    assert (se.supplier.org_number, se.supplier.id_scheme, se.supplier.org_number_valid) == (
        "5566778899",
        "0007",
        True,
    )
    assert (se.supplier.vat_number, se.supplier.name) == ("SE123456789001", "Allsälj AB")
    assert (se.buyer.name, se.buyer_reference, se.currency) == (
        "Kommunens Tekniska Bolag AB",
        "BuyerRef 123",
        "SEK",
    )
    assert (se.issue_date.isoformat(), se.due_date.isoformat(), se.type_code) == (
        "2018-02-08",
        "2018-03-07",
        "380",
    )


def test_generated_fhv_invoice_carries_the_employee_on_the_line(tmp_path: Path) -> None:
    path = tmp_path / "a.xml"
    path.write_text(build_ubl("A-1001", provider_a_lines()), encoding="utf-8")
    doc = ubl.parse_document(path)
    arithmetic.check(doc)
    assert doc.line_extension_amount == D("12300.00") and doc.tax_amount == D("1250.00")
    assert doc.lines[0].period_start.isoformat() == "2025-03-03"
    names = [n for n, _ in doc.lines[0].properties]
    assert names == ["Personnummer", "Tjänstekod", "Utförare"]


def test_credit_note_has_negative_sign_and_references_the_invoice(tmp_path: Path) -> None:
    path = tmp_path / "cn.xml"
    lines = [ServiceLine("KA01", "Kartläggning", D("4500"))]
    path.write_text(
        build_ubl("A-1001-K", lines, credit_note=True, billing_reference="A-1001"), encoding="utf-8"
    )
    doc = ubl.parse_document(path)
    arithmetic.check(doc)
    assert (doc.document_type, doc.sign, doc.billing_reference, doc.payable_amount) == (
        "credit_note",
        -1,
        "A-1001",
        D("4500.00"),
    )


def test_arithmetic_failure_names_the_total_and_the_difference(tmp_path: Path) -> None:
    path = tmp_path / "bad.xml"
    text = (PEPPOL_DIR / "base-example.xml").read_text(encoding="utf-8")
    path.write_text(
        text.replace(
            '<cbc:PayableAmount currencyID="EUR">1656.25<', '<cbc:PayableAmount currencyID="EUR">1665.25<'
        ),
        encoding="utf-8",
    )
    with pytest.raises(FileRejected) as exc:
        arithmetic.check(ubl.parse_document(path))
    msg = str(exc.value)
    assert "BR-CO-16: PayableAmount is 1665.25" in msg and "gives 1656.25; off by +9.00" in msg
    assert "(line 139)" in msg  # where cac:LegalMonetaryTotal starts

    lines = provider_a_lines()
    path.write_text(build_ubl("A-9", lines, override={"LineExtensionAmount": "12400.00"}), encoding="utf-8")
    with pytest.raises(FileRejected) as exc:
        arithmetic.check(ubl.parse_document(path))
    msg = str(exc.value)
    assert "BR-CO-10: LineExtensionAmount (sum of line net amounts) is 12400.00" in msg
    assert "off by +100.00" in msg
    assert "BR-CO-13: TaxExclusiveAmount is 12300.00 but LineExtensionAmount" in msg  # follows from it


def test_vat_breakdown_and_line_rules(tmp_path: Path) -> None:
    text = (PEPPOL_DIR / "se-invoice-sek.xml").read_text(encoding="utf-8")
    path = tmp_path / "x.xml"
    path.write_text(
        text.replace('<cbc:PriceAmount currencyID="SEK">20<', '<cbc:PriceAmount currencyID="SEK">21<')
    )
    found = arithmetic.problems(ubl.parse_document(path))
    assert found == [
        "PEPPOL-EN16931-R120: line 1 net amount (LineExtensionAmount) is 100.00 but quantity x price "
        "/ base quantity + charges - allowances gives 105.00; off by -5.00 (line 130)"
    ]
    path.write_text(
        text.replace('<cbc:TaxableAmount currencyID="SEK">100<', '<cbc:TaxableAmount currencyID="SEK">90<')
    )
    found = arithmetic.problems(ubl.parse_document(path))
    assert any(f.startswith("BR-S-08: TaxableAmount for VAT category S at 25 % is 90.00") for f in found)
    assert any(f.startswith("BR-CO-17") for f in found)


# ---- hostile and broken files ------------------------------------------------------------------------------


def _reject(tmp_path: Path, data: bytes | str) -> str:
    path = tmp_path / "hostile.xml"
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    with pytest.raises(FileRejected) as exc:
        ubl.parse_document(path)
    return str(exc.value)


def test_external_entity_cannot_read_a_local_file(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT")
    xml = (PEPPOL_DIR / "se-invoice-sek.xml").read_text(encoding="utf-8")
    xxe = xml.replace(
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE Invoice [<!ENTITY x SYSTEM "file://{secret}">]>',
        1,
    ).replace("<cbc:Note>Testfil", "<cbc:Note>&x;Testfil", 1)
    msg = _reject(tmp_path, xxe)
    assert msg.startswith("line 2: the file declares a DTD") and "TOP-SECRET" not in msg


def test_billion_laughs_is_rejected_quickly(tmp_path: Path) -> None:
    ents = ['<!ENTITY lol0 "lol">'] + [
        f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10}">' for i in range(1, 10)
    ]
    bomb = f'<?xml version="1.0"?>\n<!DOCTYPE Invoice [{"".join(ents)}]>\n<Invoice>&lol9;</Invoice>'
    started = time.monotonic()
    msg = _reject(tmp_path, bomb)
    assert time.monotonic() - started < 1.0
    assert "DTD" in msg


def test_entity_without_dtd_and_parameter_entities(tmp_path: Path) -> None:
    assert "undefined entity" in _reject(tmp_path, "<Invoice>&ext;</Invoice>")
    pe = '<?xml version="1.0"?>\n<!DOCTYPE r [<!ENTITY % p SYSTEM "http://127.0.0.1:9/x.dtd"> %p;]><r/>'
    assert "DTD" in _reject(tmp_path, pe)


def test_wrong_namespace_is_rejected(tmp_path: Path) -> None:
    xml = (PEPPOL_DIR / "se-invoice-sek.xml").read_text(encoding="utf-8")
    msg = _reject(tmp_path, xml.replace("xsd:Invoice-2", "xsd:Invoice-3"))
    assert msg.startswith(
        "line 2: root element is '{urn:oasis:names:specification:ubl:schema:xsd:Invoice-3}Invoice'"
    )
    assert "expected a UBL 2.1 Invoice" in msg
    assert "root element is 'Invoice'" in _reject(tmp_path, "<Invoice><ID>1</ID></Invoice>")


def test_truncated_and_non_xml_files_are_rejected(tmp_path: Path) -> None:
    data = (PEPPOL_DIR / "base-example.xml").read_bytes()
    msg = _reject(tmp_path, data[: len(data) // 2])
    assert "not well-formed XML" in msg and "truncated" in msg and msg.startswith("line ")
    assert "not well-formed XML" in _reject(tmp_path, "fakturanummer;belopp\nA1;100\n")
    assert "empty" in _reject(tmp_path, b"")
    latin1 = '<?xml version="1.0" encoding="UTF-8"?><a>\u00e5</a>'.encode("latin-1")
    assert "invalid token" in _reject(tmp_path, latin1)  # bytes that are not the declared UTF-8


def test_size_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FRISK_XML_MAX_BYTES", "1000")
    msg = _reject(tmp_path, (PEPPOL_DIR / "base-example.xml").read_bytes())
    assert "more than the limit of 1000 bytes" in msg


def test_missing_required_element_names_line_and_element(tmp_path: Path) -> None:
    xml = (PEPPOL_DIR / "se-invoice-sek.xml").read_text(encoding="utf-8")
    msg = _reject(tmp_path, xml.replace('<cbc:PayableAmount currencyID="SEK">125</cbc:PayableAmount>', ""))
    assert msg.startswith("line ") and "cbc:PayableAmount is missing in LegalMonetaryTotal" in msg
    msg = _reject(tmp_path, xml.replace("<cbc:IssueDate>2018-02-08<", "<cbc:IssueDate>08/02/2018<"))
    assert msg == "line 9: cbc:IssueDate is not a date (YYYY-MM-DD): '08/02/2018'"
