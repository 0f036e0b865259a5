"""The demo-data generator: deterministic bytes, contract formats, exact invoice arithmetic, a realistic world.

Everything here reads the generated files back independently of the generator's code (own CSV/XML parsing and
arithmetic), so a check fails when the files and the contract in docs/architecture.md drift apart.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import time
import tracemalloc
from collections import Counter, defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

from frisk.demo import generate
from frisk.identity import luhn_ok, parse_personnummer

END = dt.date(2025, 6, 10)
NS = {"cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
      "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"}
ROOT_NS = {"Invoice": "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2",
           "CreditNote": "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"}
EMPLOYERS = {"2120009903", "2120009911"}
PROVIDERS = {"5566770011": "A", "5566770029": "B", "5566770037": "C"}
# docs/architecture.md, "Service codes": provider -> code -> (type, price, VAT category)
CATALOGUE = {
    "A": {"HS01": ("health_talk", 1200, "E"), "KA01": ("assessment", 4500, "E"),
          "AF01": ("assessment", 12000, "E"), "TP01": ("three_party_meeting", 3800, "E"),
          "HP01": ("action_plan", 2500, "E"), "SS01": ("supportive_talks", 1400, "E"),
          "AP01": ("workplace_assessment", 5000, "S"), "RK01": ("rehab_coordination", 1100, "E"),
          "BH01": ("treatment", 900, "E"), "GR01": ("group_activity", 600, "E")},
    "B": {"100": ("health_talk", 1150, "E"), "210": ("assessment", 4800, "E"),
          "300": ("three_party_meeting", 3600, "E"), "310": ("action_plan", 2400, "E"),
          "400": ("supportive_talks", 1300, "E"), "900": ("treatment", 1500, "E")},
    "C": {"X1": (None, 2000, "E")},
}
EARLY = {"assessment", "three_party_meeting", "action_plan"}
CANONICAL_PERSONNEL = ("employer_org_number,personnummer,employment_id,org_unit_code,org_unit_name,sector,"
                       "occupation,employment_rate_pct,weekly_hours,employment_start,employment_end")
CANONICAL_ABSENCE = "employer_org_number,personnummer,employment_id,absence_cause,from_date,to_date,extent_pct,hours"
SV_ABSENCE = "Personnummer;Anst.nr;Frånvaroorsak;Datum from;Datum tom;Omfattning;Timmar"
SV_PERSONNEL = ("Personnummer;Anst.nr;Org.enhet;Org.enhet namn;Verksamhet;Befattning;Sysselsättningsgrad;"
                "Veckoarbetstid;Anst. from;Anst. tom")
SPEC = ("fakturanummer;leverantor_orgnr;radnummer;utford_datum;personnummer;tjanstekod;tjanst;"
        "utforare_kompetens;belopp_exkl_moms")
PAYMENTS = "fakturanummer;leverantor_orgnr;betald_datum;belopp"
SV_CAUSES = {"Sjuk": "SJK", "VAB": "VAB", "Föräldraledig": "FL", "Semester": "SEM", "Övrigt": "OVR"}


# --- reading the tree back -------------------------------------------------------------------------------------
@dataclass
class Spell:
    pnr: str  # 12 digits
    cause: str
    start: dt.date | None
    end: dt.date | None
    extent: Decimal | None
    raw: tuple


def _norm(pnr: str) -> str:
    return pnr.replace("-", "")


def _date(text: str) -> dt.date | None:
    return dt.date.fromisoformat(text) if text and text != "TV" else None


def _sv_extent(text: str) -> Decimal:
    v = Decimal(text.replace(",", "."))
    return v * 100 if v <= 1 and "," in text and len(text.split(",")[1]) == 3 else v


def read_absence(root: Path) -> list[Spell]:
    spells = []
    for path in sorted((root / "payroll").glob("absence_*.csv")):
        for row in csv.reader(io.StringIO(path.read_text(encoding="utf-8"))):
            if row[0] == "employer_org_number":
                continue
            spells.append(Spell(row[1], row[3], _date(row[4]), _date(row[5]), Decimal(row[6]), tuple(row)))
    for path in sorted((root / "payroll").glob("franvaro_*.csv")):
        text = path.read_bytes().decode("cp1252")
        for row in csv.reader(io.StringIO(text, newline=""), delimiter=";"):
            if row[0] == "Personnummer":
                continue
            spells.append(Spell(_norm(row[0]), SV_CAUSES.get(row[2], row[2]), _date(row[3]), _date(row[4]),
                                _sv_extent(row[5]), tuple(row)))
    return spells


def read_personnel(root: Path) -> dict[str, dict]:
    people = {}
    for path in (root / "payroll").glob("personnel_*.csv"):
        for r in csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))):
            people[r["personnummer"]] = {"sex_digit": int(r["personnummer"][-2]), "sector": r["sector"],
                                         "rate": r["employment_rate_pct"], "hours": r["weekly_hours"],
                                         "start": r["employment_start"], "end": r["employment_end"]}
    for path in (root / "payroll").glob("personal_*.csv"):
        text = path.read_bytes().decode("cp1252")
        for r in csv.DictReader(io.StringIO(text, newline=""), delimiter=";"):
            people[_norm(r["Personnummer"])] = {
                "sex_digit": int(r["Personnummer"][-2]), "sector": r["Verksamhet"],
                "rate": r["Sysselsättningsgrad"], "hours": r["Veckoarbetstid"], "start": r["Anst. from"],
                "end": r["Anst. tom"]}
    return people


def _amount(el: ET.Element, path: str) -> Decimal:
    node = el.find(path, NS)
    assert node is not None, path
    assert node.get("currencyID") == "SEK", path
    return Decimal(node.text)


def read_services(root: Path) -> list[tuple[str, dt.date, str, str]]:
    """(pnr, date, provider, code) per service, from A's invoice lines and B's specifications, credits netted."""
    out: list[tuple[str, dt.date, str, str]] = []
    for path in sorted((root / "invoices").glob("*.xml")):
        doc = ET.parse(path).getroot()
        sign = -1 if doc.tag.endswith("CreditNote") else 1
        supplier = doc.find("cac:AccountingSupplierParty/cac:Party/cbc:EndpointID", NS).text
        if PROVIDERS[supplier] != "A":
            continue
        for line in doc.findall("cac:InvoiceLine", NS) + doc.findall("cac:CreditNoteLine", NS):
            props = {p.find("cbc:Name", NS).text: p.find("cbc:Value", NS).text
                     for p in line.findall("cac:Item/cac:AdditionalItemProperty", NS)}
            d = dt.date.fromisoformat(line.find("cac:InvoicePeriod/cbc:StartDate", NS).text)
            item = (_norm(props["Personnummer"]), d, "A", props["Tjänstekod"])
            if sign == 1:
                out.append(item)
            else:
                out.remove(item)
    for path in sorted((root / "invoices").glob("*.spec.csv")):
        for r in csv.DictReader(io.StringIO(path.read_text(encoding="utf-8")), delimiter=";"):
            out.append((_norm(r["personnummer"]), dt.date.fromisoformat(r["utford_datum"]), "B", r["tjanstekod"]))
    return out


def _tree_bytes(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    root = tmp_path_factory.mktemp("demo") / "landing"
    summary = generate(root, employees=1500, years=2, seed=7, end_date=END)
    return root, summary


# --- determinism and layout --------------------------------------------------------------------------------------
def test_same_seed_same_bytes_other_seed_differs(tmp_path: Path) -> None:
    a = generate(tmp_path / "a", employees=120, years=2, seed=3, end_date=END)
    b = generate(tmp_path / "b", employees=120, years=2, seed=3, end_date=END)
    generate(tmp_path / "c", employees=120, years=2, seed=4, end_date=END)
    ta, tb, tc = (_tree_bytes(tmp_path / x) for x in "abc")
    assert a == b
    assert ta == tb and len(ta) > 8
    assert not any(name.endswith(".part") for name in ta)
    differing = [n for n in ta if ta[n] != tc.get(n)]
    assert any(n.startswith("payroll/absence_") for n in differing)
    assert any(n.startswith("payroll/personal_") for n in differing)


def test_tree_layout_and_summary(tree: tuple[Path, dict]) -> None:
    root, summary = tree
    assert sorted(p.name for p in root.iterdir()) == ["invoices", "payments", "payroll"]
    payroll = sorted(p.name for p in (root / "payroll").iterdir())
    assert payroll == ["absence_2120009903_2024.csv", "absence_2120009903_2025.csv",
                       "franvaro_2120009911_2024.csv", "franvaro_2120009911_2025.csv",
                       "personal_2120009911_20250610.csv", "personnel_2120009903_2025-06-10.csv"]
    assert summary["payroll_files"] == 6
    assert summary["personnel_rows"] == 1500
    assert summary["invoice_files"] == len(list((root / "invoices").glob("*.xml")))
    assert summary["specification_files"] == len(list((root / "invoices").glob("*.spec.csv")))
    assert summary["absence_rows"] == len(read_absence(root))
    assert summary["period"] == {"from": "2024-01-01", "to": "2025-06-10"}


def test_csv_headers_encodings_and_line_endings(tree: tuple[Path, dict]) -> None:
    root, _ = tree
    for path in (root / "payroll").iterdir():
        data = path.read_bytes()
        if path.name.startswith(("franvaro_", "personal_")):
            assert not data.startswith(b"\xef\xbb\xbf")
            text = data.decode("cp1252")
            with pytest.raises(UnicodeDecodeError):
                data.decode("utf-8")  # Windows-1252 for real: å/ä/ö are single bytes
            lines = text.split("\r\n")
            assert lines[-1] == "" and "\n" not in "".join(lines)
            assert lines[0] == (SV_ABSENCE if path.name.startswith("franvaro_") else SV_PERSONNEL)
            width = lines[0].count(";")
            assert all(line.count(";") == width for line in lines[1:-1])
        else:
            text = data.decode("utf-8")
            assert "\r" not in text
            header = text.split("\n", 1)[0]
            assert header == (CANONICAL_ABSENCE if path.name.startswith("absence_") else CANONICAL_PERSONNEL)
            rows = list(csv.reader(io.StringIO(text)))
            assert all(len(r) == len(rows[0]) for r in rows)
    for path in (root / "invoices").glob("*.spec.csv"):
        assert path.read_text(encoding="utf-8").split("\n", 1)[0] == SPEC
        assert path.with_name(path.name.removesuffix(".spec.csv") + ".xml").exists()
    (payments,) = (root / "payments").iterdir()
    assert payments.read_text(encoding="utf-8").split("\n", 1)[0] == PAYMENTS


def test_swedish_dialect_features(tree: tuple[Path, dict]) -> None:
    root, _ = tree
    rows = [s.raw for s in read_absence(root) if len(s.raw) == 7]
    extents = [r[5] for r in rows]
    assert any("," in e and len(e.split(",")[1]) == 3 for e in extents)  # fraction 0,500
    assert any(e.isdigit() for e in extents) and any(e.endswith(",0") for e in extents)  # percent 50 / 50,0
    open_ends = Counter(r[4] for r in rows if not r[4] or r[4] == "TV")
    assert open_ends["TV"] > 0 and open_ends[""] > 0
    assert all("," in r[6] or r[6] == "" for r in rows)  # hours with decimal comma
    assert {r[2] for r in rows} >= set(SV_CAUSES)


def test_personnummer_synthetic_valid_and_unique(tree: tuple[Path, dict]) -> None:
    root, _ = tree
    people = read_personnel(root)
    assert len(people) == 1500  # unique across both employers
    coordination = 0
    ages = []
    for pnr, p in people.items():
        person = parse_personnummer(pnr, today=END)
        assert 980 <= int(pnr[8:11]) <= 999  # Skatteverket's test-number range only
        coordination += person.is_coordination_number
        if not p["end"]:  # still employed on the end date: working age
            ages.append(END.year - person.birth_year)
    assert 0 < coordination < 60
    assert min(ages) >= 20 and max(ages) <= 67
    assert 40 <= sorted(ages)[len(ages) // 2] <= 52  # municipal staff are middle-aged on average


# --- invoices -------------------------------------------------------------------------------------------------------
def _round(v: Decimal) -> Decimal:
    return v.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def test_every_invoice_is_well_formed_and_adds_up(tree: tuple[Path, dict]) -> None:
    root, summary = tree
    docs = {}
    for path in sorted((root / "invoices").glob("*.xml")):
        doc = ET.parse(path).getroot()  # well-formed, or this raises
        kind = doc.tag.split("}")[1]
        assert doc.tag == f"{{{ROOT_NS[kind]}}}{kind}"
        assert doc.find("cbc:CustomizationID", NS).text.endswith("poacc:billing:3.0")
        assert doc.find("cbc:DocumentCurrencyCode", NS).text == "SEK"
        assert doc.find("cbc:BuyerReference", NS).text
        sup = doc.find("cac:AccountingSupplierParty/cac:Party", NS)
        buy = doc.find("cac:AccountingCustomerParty/cac:Party", NS)
        for party, allowed in ((sup, PROVIDERS), (buy, EMPLOYERS)):
            for el in (party.find("cbc:EndpointID", NS), party.find("cac:PartyLegalEntity/cbc:CompanyID", NS)):
                assert el.get("schemeID") == "0007" and el.text in allowed
        provider = PROVIDERS[sup.find("cbc:EndpointID", NS).text]
        assert path.name == f"{sup.find('cbc:EndpointID', NS).text}_{doc.find('cbc:ID', NS).text}.xml"

        line_tag = "cac:InvoiceLine" if kind == "Invoice" else "cac:CreditNoteLine"
        qty_tag = "cbc:InvoicedQuantity" if kind == "Invoice" else "cbc:CreditedQuantity"
        by_category: dict[tuple[str, Decimal], Decimal] = defaultdict(Decimal)
        line_sum = Decimal(0)
        lines = doc.findall(line_tag, NS)
        assert lines
        for line in lines:
            net = _amount(line, "cbc:LineExtensionAmount")
            qty = Decimal(line.find(qty_tag, NS).text)
            price = _amount(line, "cac:Price/cbc:PriceAmount")
            assert _round(qty * price) == net
            code = line.find("cac:Item/cac:SellersItemIdentification/cbc:ID", NS).text
            type_, list_price, vat = CATALOGUE[provider][code]
            assert price == list_price
            cat = line.find("cac:Item/cac:ClassifiedTaxCategory/cbc:ID", NS).text
            pct = Decimal(line.find("cac:Item/cac:ClassifiedTaxCategory/cbc:Percent", NS).text)
            assert cat == vat and pct == (25 if cat == "S" else 0)
            by_category[(cat, pct)] += net
            line_sum += net
            if provider == "A":  # the person and the service on every line
                props = {p.find("cbc:Name", NS).text: p.find("cbc:Value", NS).text
                         for p in line.findall("cac:Item/cac:AdditionalItemProperty", NS)}
                assert set(props) == {"Personnummer", "Tjänstekod", "Utförare"}
                parse_personnummer(props["Personnummer"], today=END)
                assert props["Tjänstekod"] == code
                assert line.find("cac:InvoicePeriod/cbc:StartDate", NS) is not None
        subtotals = doc.findall("cac:TaxTotal/cac:TaxSubtotal", NS)
        assert len(subtotals) == len(by_category)
        tax_sum = Decimal(0)
        for st in subtotals:
            cat = st.find("cac:TaxCategory/cbc:ID", NS).text
            pct = Decimal(st.find("cac:TaxCategory/cbc:Percent", NS).text)
            taxable, tax = _amount(st, "cbc:TaxableAmount"), _amount(st, "cbc:TaxAmount")
            assert taxable == by_category[(cat, pct)]
            assert tax == _round(taxable * pct / 100)
            if cat == "E":
                assert tax == 0
                assert st.find("cac:TaxCategory/cbc:TaxExemptionReason", NS).text
                assert st.find("cac:TaxCategory/cbc:TaxExemptionReasonCode", NS).text.startswith("VATEX-")
            tax_sum += tax
        assert _amount(doc, "cac:TaxTotal/cbc:TaxAmount") == tax_sum
        total = doc.find("cac:LegalMonetaryTotal", NS)
        assert _amount(total, "cbc:LineExtensionAmount") == line_sum
        assert _amount(total, "cbc:TaxExclusiveAmount") == line_sum
        assert _amount(total, "cbc:TaxInclusiveAmount") == line_sum + tax_sum
        assert _amount(total, "cbc:PayableAmount") == line_sum + tax_sum
        docs[doc.find("cbc:ID", NS).text] = (kind, provider, doc, line_sum + tax_sum)
    kinds = Counter((k, p) for k, p, _, _ in docs.values())
    assert kinds[("Invoice", "A")] and kinds[("Invoice", "B")] and kinds[("Invoice", "C")]
    assert sum(v for (k, _), v in kinds.items() if k == "CreditNote") == 1 == summary["credit_notes"]
    # the credit note corrects a line billed twice on an earlier invoice of the same supplier
    (credit,) = [d for k, _, d, _ in docs.values() if k == "CreditNote"]
    ref = credit.find("cac:BillingReference/cac:InvoiceDocumentReference/cbc:ID", NS).text
    original = docs[ref][2]
    assert credit.find("cbc:IssueDate", NS).text > original.find("cbc:IssueDate", NS).text

    def key(line: ET.Element) -> tuple:
        return (line.find("cac:InvoicePeriod/cbc:StartDate", NS).text,
                tuple(v.text for v in line.findall("cac:Item/cac:AdditionalItemProperty/cbc:Value", NS)))

    credited = key(credit.find("cac:CreditNoteLine", NS))
    assert sum(key(ln) == credited for ln in original.findall("cac:InvoiceLine", NS)) == 2


def test_specifications_match_their_invoice_lines(tree: tuple[Path, dict]) -> None:
    root, _ = tree
    specs = sorted((root / "invoices").glob("*.spec.csv"))
    assert specs
    for path in specs:
        doc = ET.parse(path.with_name(path.name.removesuffix(".spec.csv") + ".xml")).getroot()
        lines = {ln.find("cbc:ID", NS).text: ln for ln in doc.findall("cac:InvoiceLine", NS)}
        sums: dict[str, Decimal] = defaultdict(Decimal)
        for r in csv.DictReader(io.StringIO(path.read_text(encoding="utf-8")), delimiter=";"):
            assert r["fakturanummer"] == doc.find("cbc:ID", NS).text
            assert r["leverantor_orgnr"] == "5566770029"
            parse_personnummer(r["personnummer"], today=END)
            line = lines[r["radnummer"]]
            assert r["tjanstekod"] == line.find("cac:Item/cac:SellersItemIdentification/cbc:ID", NS).text
            assert r["utforare_kompetens"]
            sums[r["radnummer"]] += Decimal(r["belopp_exkl_moms"].replace(",", "."))
        assert sums == {k: _amount(ln, "cbc:LineExtensionAmount") for k, ln in lines.items()}


def test_payments_follow_the_invoices(tree: tuple[Path, dict]) -> None:
    root, _ = tree
    payable, issued, months = {}, {}, {}
    for path in (root / "invoices").glob("*.xml"):
        doc = ET.parse(path).getroot()
        number = doc.find("cbc:ID", NS).text
        sign = -1 if doc.tag.endswith("CreditNote") else 1
        payable[number] = sign * _amount(doc, "cac:LegalMonetaryTotal/cbc:PayableAmount")
        issued[number] = dt.date.fromisoformat(doc.find("cbc:IssueDate", NS).text)
        period = doc.find("cac:InvoicePeriod/cbc:StartDate", NS)
        if period is not None:
            months[number] = period.text[:7]
    (path,) = (root / "payments").iterdir()
    paid: dict[str, list[tuple[dt.date, Decimal]]] = defaultdict(list)
    for r in csv.DictReader(io.StringIO(path.read_text(encoding="utf-8")), delimiter=";"):
        assert r["leverantor_orgnr"] in PROVIDERS
        paid[r["fakturanummer"]].append((dt.date.fromisoformat(r["betald_datum"]), Decimal(r["belopp"])))
    assert set(paid) <= set(payable)
    for number, rows in paid.items():
        total = sum(a for _, a in rows)
        assert abs(total) <= abs(payable[number])
        assert all(issued[number] < d <= END for d, _ in rows)
        if payable[number] > 0:
            assert 20 <= (rows[0][0] - issued[number]).days <= 40  # about 30 days after issue
    last_month = max(months.values())
    assert not any(months[n] == last_month for n in paid if n in months)  # the latest month is unpaid
    assert any(months[n] == last_month for n in months)
    assert any(len(rows) == 2 for rows in paid.values())  # paid in two instalments
    assert sum(len(rows) == 1 and rows[0][1] == payable[n] for n, rows in paid.items()) > len(paid) * 0.8


# --- the world's statistics -----------------------------------------------------------------------------------
def test_population_mix(tree: tuple[Path, dict]) -> None:
    root, _ = tree
    people = read_personnel(root)
    women = sum(p["sex_digit"] % 2 == 0 for p in people.values()) / len(people)
    assert 0.74 <= women <= 0.86
    assert sum(p["hours"] == "" for p in people.values()) >= 10  # hourly paid, no schedule
    assert sum(p["end"] != "" for p in people.values()) >= 50  # leavers
    assert sum(p["start"] >= "2024-01-01" for p in people.values()) >= 100  # hires in the period
    rates = Counter(p["rate"] for p in people.values())
    assert rates["100"] + rates["100,00"] > len(people) * 0.4 and rates["75"] + rates["75,00"] > 30
    canonical = next((root / "payroll").glob("personnel_*.csv")).read_text(encoding="utf-8").count("\n") - 1
    assert canonical == 900  # 60 % of 1,500 with the first employer, the rest with the second


def test_absence_distribution(tree: tuple[Path, dict]) -> None:
    root, _ = tree
    sick = [s for s in read_absence(root) if s.cause == "SJK" and s.start and s.extent and 0 < s.extent <= 100]
    closed = [s for s in sick if s.end and s.end >= s.start]
    lengths = [(s.end - s.start).days + 1 for s in closed]
    short = sum(n <= 14 for n in lengths) / len(lengths)
    assert 0.8 < short < 0.97
    assert sum(n <= 7 for n in lengths) / len(lengths) > 0.65
    assert any(n >= 60 for n in lengths) and max(lengths) <= 400
    assert {Decimal(25), Decimal(50), Decimal(75)} <= {s.extent for s in sick}
    assert 0 < sum(s.end is None for s in sick) < len(sick) * 0.02  # a few ongoing, open-ended spells
    by_month = Counter(s.start.month for s in sick if s.start.year == 2024)
    assert by_month[1] + by_month[2] > 1.4 * (by_month[6] + by_month[7])  # winter peak
    per_person = Counter(s.pnr for s in sick if s.start.year == 2024 and s.end and (s.end - s.start).days < 14)
    repeated = sum(n >= 6 for n in per_person.values()) / 1500
    assert 0.04 < repeated < 0.14
    # re-illness: some spells start 1-5 days after the same person's previous spell ended
    ends = defaultdict(list)
    for s in closed:
        ends[s.pnr].append(s)
    gaps = Counter()
    for spells in ends.values():
        spells.sort(key=lambda s: s.start)
        for prev, nxt in zip(spells, spells[1:], strict=False):
            gap = (nxt.start - prev.end).days - 1
            gaps["1-5" if 1 <= gap <= 5 else "other"] += 1
    assert gaps["1-5"] > 20
    causes = Counter(s.cause for s in read_absence(root))
    assert all(causes[c] > 20 for c in ("SJK", "VAB", "FL", "SEM", "OVR"))


def test_noise_rows_exist_at_about_three_per_mille(tree: tuple[Path, dict]) -> None:
    root, summary = tree
    spells = read_absence(root)
    found = Counter()
    for s in spells:
        digits = s.pnr[2:]
        if not luhn_ok(digits):
            found["invalid_personnummer"] += 1
        if s.start and s.end and s.end < s.start:
            found["to_before_from"] += 1
        if s.extent == 0:
            found["extent_0"] += 1
        if s.extent == 150:
            found["extent_150"] += 1
        if s.cause not in SV_CAUSES.values():
            found["unknown_cause"] += 1
    found["duplicate"] = sum(n - 1 for n in Counter(s.raw for s in spells).values() if n > 1)
    assert len(summary["noise_rows"]) == 6 and all(found[k] > 0 for k in summary["noise_rows"]), found
    assert found == Counter(summary["noise_rows"])
    assert 0.001 < sum(found.values()) / len(spells) < 0.006


def test_services_go_mostly_to_repeated_or_long_absence(tree: tuple[Path, dict]) -> None:
    root, _ = tree
    sick = defaultdict(list)
    for s in read_absence(root):
        if s.cause == "SJK" and s.start:
            sick[s.pnr].append(s)
    people = read_personnel(root)
    services = read_services(root)
    assert services and all(p in people for p, *_ in services)
    targeted = Counter()
    for pnr, d, prov, code in services:
        type_ = CATALOGUE[prov][code][0]
        if type_ == "health_talk":
            continue
        prior = [s for s in sick[pnr] if d - dt.timedelta(days=450) <= s.start <= d]
        long_spell = any((s.end or END) - s.start >= dt.timedelta(days=29) for s in prior)
        targeted[len(prior) >= 6 or long_spell] += 1
    assert targeted[True] > 0.85 * sum(targeted.values())
    types = {CATALOGUE[p][c][0] for _, _, p, c in services}
    assert types >= {"health_talk", "assessment", "three_party_meeting", "action_plan", "supportive_talks",
                     "treatment", "rehab_coordination"}


# --- the true effect ---------------------------------------------------------------------------------------------
def _short_spell_rates(root: Path) -> tuple[int, int, int]:
    """People with an early intervention and room for a year after it: (people, spells before, spells after)."""
    firsts: dict[str, dt.date] = {}
    for pnr, d, prov, code in read_services(root):
        if CATALOGUE[prov][code][0] in EARLY and (pnr not in firsts or d < firsts[pnr]):
            firsts[pnr] = d
    starts = defaultdict(list)
    for s in read_absence(root):
        if s.cause == "SJK" and s.start and s.end and s.extent and (s.end - s.start).days < 14:
            starts[s.pnr].append(s.start)
    year = dt.timedelta(days=365)
    eligible = [p for p, d in firsts.items() if d + year <= END and d - year >= dt.date(END.year - 2, 1, 1)]
    before = sum(d - year <= x < d for p in eligible for x in starts[p] for d in [firsts[p]])
    after = sum(d <= x < d + year for p in eligible for x in starts[p] for d in [firsts[p]])
    return len(eligible), before, after


def test_intervention_effect_is_real_and_configurable(tmp_path: Path) -> None:
    with_effect, without = tmp_path / "effect", tmp_path / "none"
    generate(with_effect, employees=3000, years=3, seed=11, end_date=END)
    generate(without, employees=3000, years=3, seed=11, end_date=END, intervention_effect=0.0)
    n1, before1, after1 = _short_spell_rates(with_effect)
    n0, before0, after0 = _short_spell_rates(without)
    assert n1 > 150 and n0 > 150
    rate1, rate0 = after1 / n1, after0 / n0
    # the default effect removes ~35 % of later short spells; the same world without it shows no such drop
    assert 0.5 < rate1 / rate0 < 0.8, (rate1, rate0)
    assert after1 / before1 < after0 / before0 - 0.1


# --- scale -------------------------------------------------------------------------------------------------------
def _measure(tmp: Path, n: int) -> tuple[float, int]:
    tracemalloc.start()
    t = time.process_time()  # CPU time: other jobs on the shared machine do not count
    generate(tmp / str(n), employees=n, years=2, seed=5, end_date=END)
    seconds = time.process_time() - t
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return seconds, peak


def test_time_linear_and_memory_bounded(tmp_path: Path) -> None:
    _measure(tmp_path / "warm", 50)  # imports, YAML, caches
    t1, m1 = _measure(tmp_path, 400)
    t4, m4 = _measure(tmp_path, 1600)
    assert t4 < 6.5 * t1, (t1, t4)  # 4x the people: about 4x the time
    # absence rows are streamed: memory grows far slower than the output (one year of services, issued numbers)
    assert m4 < 2.5 * m1, (m1, m4)


def test_rejects_nonsense_sizes(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        generate(tmp_path, employees=0)
    with pytest.raises(ValueError):
        generate(tmp_path, employees=10, years=0)
    assert not any(tmp_path.iterdir())
