"""The FK open-data Excel parser: real files, and variants of them generated at test time."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from frisk.loading import FileRejected, Quarantined, Row
from frisk.statistics import fk_excel

FK = Path(__file__).parent / "fixtures" / "fk"
SJP = FK / "sjukpenningtal_2024_11_06.xlsx"
OHT = FK / "ohalsotal_2024_11_06.xlsx"
COLS = fk_excel.COLUMNS[fk_excel.TABLE]


def run(data: bytes, name: str = "f.xlsx") -> tuple[list[dict], list[Quarantined], int]:
    gen = fk_excel.parse_bytes(data, name, response_id=7)
    rows: list[dict] = []
    quarantined: list[Quarantined] = []
    while True:
        try:
            item = next(gen)
        except StopIteration as stop:
            return rows, quarantined, stop.value
        if isinstance(item, Row):
            rows.append(dict(zip(COLS, item.values, strict=True)))
        else:
            quarantined.append(item)


def pick(rows: list[dict], **where: object) -> list[dict]:
    return [r for r in rows if all(r[k] == v for k, v in where.items())]


def test_riket_2024_09_sjukpenningtal_from_the_real_file() -> None:
    rows, quarantined, read = run(SJP.read_bytes(), SJP.name)
    assert (len(rows), quarantined, read) == (756, [], 756)
    riket = pick(rows, region_level="riket", period_month=dt.date(2024, 9, 1), age_band="Samtliga 16-64 år")
    assert {r["sex"]: r["value"] for r in riket} == {
        "T": Decimal("10.3"),
        "K": Decimal("13.5"),
        "M": Decimal("7.3"),
    }
    assert all(r["measure"] == "sjukpenningtal_1_0" and not r["is_suppressed"] for r in riket)
    assert riket[0]["region_code"] == "00" and riket[0]["response_id"] == 7 and riket[0]["sheet"] == "tabell"
    dalarna = pick(rows, region_code="20", sex="T", age_band="30-39 år")
    assert {r["region_level"] for r in dalarna} == {"lan"} and dalarna[0]["region_name"] == "Dalarnas län"
    assert sorted({r["period_month"].month for r in rows}) == list(range(1, 10))
    assert sorted({r["age_band"] for r in rows}) == [
        "16-19 år",
        "20-29 år",
        "30-39 år",
        "40-49 år",
        "50-59 år",
        "60-64 år",
        "Samtliga 16-64 år",
    ]


def test_ohalsotal_from_the_real_file() -> None:
    rows, _, read = run(OHT.read_bytes(), OHT.name)
    assert read == 108 and {r["measure"] for r in rows} == {"ohalsotal"}
    (r,) = pick(rows, region_code="20", period_month=dt.date(2024, 9, 1), sex="K")
    assert r["value"] == Decimal("32.1")


def _variant() -> bytes:
    """The real sjukpenningtal table moved down under a title, behind a notes sheet, with a 2.0 column, kommun
    rows, suppressed values, a bad cell and a footnote."""
    src = openpyxl.load_workbook(SJP, read_only=True)
    table = [list(r) for r in src.active.iter_rows(max_row=7, values_only=True)]
    src.close()
    wb = openpyxl.Workbook()
    notes = wb.active
    notes.title = "Om statistiken"
    notes.append(["Sjukpenningtal: antal dagar med sjukpenning per försäkrad"])
    notes.append(["År", "Kommentar"])  # a header-like row that is not the table
    ws = wb.create_sheet("Data 2024")
    ws.append(["Sjukpenningtal per kommun"])
    ws.append([])
    ws.append([])
    ws.append([*table[0], "Sjukpenningtal 2.0"])  # header at row 4
    for r in table[1:]:
        ws.append([*r, 9.9])
    ws.append(["2024", "09", "20 Dalarnas län", "2080 Falun", "Samtliga 16-64 år", "Kvinnor", "rojd", ".."])
    ws.append(["2024", "09", "20 Dalarnas län", "2081 Borlänge", "Samtliga 16-64 år", "Män", "8,4", None])
    ws.append(["2024", "09", "20 Dalarnas län", "1421 Orust", "Samtliga 16-64 år", "Män", 8.0, 8.1])
    ws.append(["2024", "13", "Riket", "Riket", "Samtliga 16-64 år", "Män", 7.0, 7.0])
    ws.append(["2024", "09", "Riket", "Riket", "Samtliga 16-64 år", "Båda", 7.0, 7.0])
    ws.append(["2024", "09", "Riket", "Riket", "Samtliga 16-64 år", "Män", "sju", 7.0])
    ws.append([])
    ws.append(["Källa: Försäkringskassan"])
    wb.create_sheet("Tom")
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_header_found_anywhere_with_suppression_and_quarantine() -> None:
    rows, quarantined, read = run(_variant(), "variant.xlsx")
    # 6 real rows + 6 added, two measures each; the footnote and the empty row are not data
    assert read == 24 and len(rows) + len(quarantined) == read
    assert {r["sheet"] for r in rows} == {"Data 2024"}
    first = pick(rows, row_no=5, measure="sjukpenningtal_1_0")[0]
    assert (first["value"], first["sex"]) == (Decimal("10.3"), "T")
    assert pick(rows, row_no=5, measure="sjukpenningtal_2_0")[0]["value"] == Decimal("9.9")
    falun = pick(rows, region_code="2080")
    assert [(r["region_level"], r["region_name"], r["value"], r["is_suppressed"]) for r in falun] == [
        ("kommun", "Falun", None, True),
        ("kommun", "Falun", None, True),
    ]
    borlange = pick(rows, region_code="2081")
    assert [(r["measure"], r["value"], r["is_suppressed"]) for r in borlange] == [
        ("sjukpenningtal_1_0", Decimal("8.4"), False),
        ("sjukpenningtal_2_0", None, True),
    ]
    reasons = [(q.line_no, q.field, q.reason) for q in quarantined]
    assert [(n, f) for n, f, _ in reasons] == [
        (13, "Kommun"),
        (13, "Kommun"),
        (14, "Månad"),
        (14, "Månad"),
        (15, "Kön"),
        (15, "Kön"),
        (16, "Sjukpenningtal 1.0"),
    ]
    assert "variant.xlsx sheet 'Data 2024' row 13: Kommun: kommun 1421 is not in län 20" in reasons[0][2]
    assert reasons[-1][2].endswith("Sjukpenningtal 1.0: not a number: 'sju'")


def test_a_workbook_without_the_table_is_rejected_with_a_reason() -> None:
    with pytest.raises(FileRejected, match=r"sheet 'tabell' row 1 lacks Ålder, a value column"):
        run((FK / "pagaende_sjukfall_diagnos_2024_11_06.xlsx").read_bytes(), "diagnos.xlsx")
    with pytest.raises(FileRejected, match="not a readable Excel workbook"):
        run(b"PK\x03\x04 not really a zip", "broken.xlsx")


def test_sniff_for_manual_drops(tmp_path: Path) -> None:
    info = fk_excel.sniff(SJP)
    assert (info.entity, info.delivery_key, info.extra["measures"]) == (
        "fk",
        SJP.name,
        ["sjukpenningtal_1_0"],
    )
    csv = tmp_path / "sjukpenningtal.csv"
    csv.write_text("År;Månad\n")
    with pytest.raises(FileRejected, match=r"only FK open-data Excel files \(\.xlsx\)"):
        fk_excel.sniff(csv)
