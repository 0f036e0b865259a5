"""Meeting packs rendered from small marts in a real PostgreSQL: content of workbook, charts, PDF, manifest."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import psycopg
import pytest
from openpyxl import load_workbook
from PIL import Image
from pypdf import PdfReader

from tests.extract_marts import EMP_A, EMP_B, create_marts

AS_OF = dt.date(2025, 4, 1)  # figures run to 2025-03-31


@pytest.fixture
def packs(warehouse: str, frisk_env: Path) -> tuple[str, Path]:
    create_marts(warehouse)
    from frisk.extracts import build_packs

    folders = build_packs(AS_OF, run_id="test-run-1")
    assert folders == [frisk_env / "data" / "outbox" / "dalarna-syd" / "2025-04-01"]
    return warehouse, folders[0]


def _sheet_rows(path: Path, sheet: str) -> list[tuple]:
    wb = load_workbook(path)
    return [tuple(r) for r in wb[sheet].iter_rows(values_only=True)]


def test_pack_files_manifest_and_atomic_folder(packs: tuple[str, Path]) -> None:
    _, folder = packs
    names = sorted(p.name for p in folder.iterdir())
    for prefix in (EMP_A, EMP_B, "dalarna-syd"):
        assert f"{prefix}_uppfoljning.xlsx" in names
        assert f"{prefix}_sammanfattning.pdf" in names
        assert len([n for n in names if n.startswith(prefix) and n.endswith(".png")]) == 4
    assert not [p for p in folder.parent.iterdir() if p.name.startswith(".")]  # no temp folder left behind

    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["run_id"] == "test-run-1"
    assert manifest["data_period"] == {"from": "2023-04-01", "to": "2025-03-31", "window_from": "2024-04-01",
                                       "key_figure_years": [2023, 2024]}
    assert len(manifest["files"]) == len(names) - 1 == 18
    from frisk.extracts.manifest import sha256_file, verify

    for entry in manifest["files"]:
        assert sha256_file(folder / entry["path"]) == entry["sha256"]
    assert verify(folder) == []
    (folder / f"{EMP_A}_bidrag.png").write_bytes(b"tampered")
    assert verify(folder) == [f"{EMP_A}_bidrag.png: SHA-256 differs from manifest"]


def test_workbook_sheets_values_and_formats(packs: tuple[str, Path]) -> None:
    url, folder = packs
    wb = load_workbook(folder / f"{EMP_A}_uppfoljning.xlsx")
    assert wb.sheetnames == ["Läs mig", "Trend", "Nyckeltal", "Sjukfall", "Signaler", "Insatser och utfall",
                             "Bidrag", "Jämförelse"]
    trend = wb["Trend"]
    assert trend.freeze_panes == "B3"
    header = [c.value for c in trend[2]]
    assert header[:5] == ["Månad", "Vård och omsorg, %", "Skola, %", "Individ- och familjeomsorg, %",
                          "Administration, %"]
    assert trend["A2"].font.bold
    row = next(r for r in trend.iter_rows(min_row=3) if r[0].value == "2025-03")
    with psycopg.connect(url) as conn:
        care = conn.execute(
            "select round(100 * sum(sick_hours) / sum(scheduled_hours), 2)::float8 from marts.fct_sick_leave_monthly"
            " where employer_org_number = %s and month_start = '2025-03-01' and org_unit_code = 'A-CARE'",
            (EMP_A,)).fetchone()[0]
        total_2023 = conn.execute(
            "select round(100 * sum(sick_hours) / sum(scheduled_hours), 2)::float8 from marts.fct_sick_leave_monthly"
            " where employer_org_number = %s and extract(year from month_start) = 2023", (EMP_A,)).fetchone()[0]
    assert row[1].value == pytest.approx(care) and row[1].number_format == "0.0"
    # social services has 4 employees: primary suppression; one more sector hidden so the total gives nothing away
    assert row[3].value == ".."
    assert [c.value for c in row[1:5]].count("..") == 2

    key = {r[0]: r[1:] for r in _sheet_rows(folder / f"{EMP_A}_uppfoljning.xlsx", "Nyckeltal")[2:9]}
    assert key["Total sjukfrånvaro, % av ordinarie arbetstid"][0] == pytest.approx(total_2023)
    # under 30: 6 + 4 + 0 + 2 = 12 employees; men (>=50): 15 + 10 + 2 + 6 = 33: both shown
    assert isinstance(key["Sjukfrånvaro 29 år eller yngre, %"][1], float)

    bidrag = wb["Bidrag"]
    assert bidrag.freeze_panes == "C3"
    rows = {(r[0].value, r[1].value): r for r in bidrag.iter_rows(min_row=3) if r[0].value}
    fk = rows[(2024, "Försäkringskassan, arbetsplatsinriktat rehabiliteringsstöd")]
    assert fk[5].value == 30 * 1000.0 and fk[5].number_format == '#,##0" kr"'
    assert [c.value for c in rows[(2024, "Afa Försäkring, rehabiliteringsstöd")][2:]] == [".."] * 6

    readme = {r[0]: r[1] for r in _sheet_rows(folder / f"{EMP_A}_uppfoljning.xlsx", "Läs mig") if r[0]}
    assert readme["Dataperiod, trend"] == "2023-04 – 2025-03"
    assert readme["Data senast uppdaterad (marts)"].startswith("2025-03-31")
    assert "färre än 11 anställda" in readme["Sekretess"]


def test_signals_interventions_and_outcomes_suppressed(packs: tuple[str, Path]) -> None:
    _, folder = packs
    signals = {r[0]: r[1:] for r in _sheet_rows(folder / f"{EMP_A}_uppfoljning.xlsx", "Signaler")[2:] if r[0]}
    assert signals["Upprepad korttidsfrånvaro: 6 sjukfall (högst 14 dagar) på 365 dagar"] == (12, 12)
    assert signals["Sjukfall når dag 14"] == ("..", "..")
    rows = _sheet_rows(folder / f"{EMP_A}_uppfoljning.xlsx", "Insatser och utfall")
    services = {r[0]: r[1:4] for r in rows[2:7] if r[0]}
    assert services["Hälsosamtal"] == (25, 25, 30000)
    # treatment (3 people) is hidden, and so is the next smallest type: the total would give it away
    # (the same 25 people had all three kinds of service, so the total counts 25 people)
    assert services["Behandling"] == ("..", "..", "..")
    assert services["Kartläggning och utredning"] == ("..", "..", "..")
    assert services["Totalt"] == (42, 25, 25 * 1200 + 14 * 4500 + 3 * 900)
    outcome = next(r for r in rows if r[0] == "180 dagar")
    assert outcome[1] == 20 and outcome[5] < outcome[4] < outcome[6]  # estimate inside its interval
    b_rows = _sheet_rows(folder / f"{EMP_B}_uppfoljning.xlsx", "Insatser och utfall")
    assert next(r for r in b_rows if r[0] == "180 dagar")[1:] == ("..",) * 6  # 4 episodes only


def test_group_pack_protects_member_cells(packs: tuple[str, Path]) -> None:
    _, folder = packs
    trend_b = {r[0]: r for r in _sheet_rows(folder / f"{EMP_B}_uppfoljning.xlsx", "Trend")[2:] if r[0]}
    trend_g = {r[0]: r for r in _sheet_rows(folder / "dalarna-syd_uppfoljning.xlsx", "Trend")[2:] if r[0]}
    header_b = _sheet_rows(folder / f"{EMP_B}_uppfoljning.xlsx", "Trend")[1]
    header_g = _sheet_rows(folder / "dalarna-syd_uppfoljning.xlsx", "Trend")[1]
    school_b, school_g = header_b.index("Skola, %"), header_g.index("Skola, %")
    for month, row in trend_b.items():
        assert row[school_b] == ".."  # 8 employees
        # group school = Frisköping school + Västerby school: showing it would reveal Västerby's figure
        assert trend_g[month][school_g] == ".."
        assert list(trend_g[month][1:6]).count("..") >= 2


def test_charts_and_pdf(packs: tuple[str, Path]) -> None:
    _, folder = packs
    for png in folder.glob("*.png"):
        with Image.open(png) as img:
            assert img.size == (800, 450) and img.format == "PNG"
    reader = PdfReader(folder / f"{EMP_A}_sammanfattning.pdf")
    assert 1 <= len(reader.pages) <= 4
    text = "\n".join(p.extract_text() for p in reader.pages)
    assert "Uppföljning av sjukfrånvaro – Frisköpings kommun" in text
    assert "Sjukfrånvaro senaste 12 månaderna" in text
    assert "första paketet" in text
    assert len(reader.pages[0].images) >= 1


def test_second_pack_reports_changes_and_rerun_replaces(packs: tuple[str, Path]) -> None:
    url, folder = packs
    from frisk.extracts import build_packs

    later = build_packs(dt.date(2025, 7, 1), run_id="test-run-2")[0]
    manifest = json.loads((later / "manifest.json").read_text())
    assert manifest["previous_pack"] == "2025-04-01"
    notes = manifest["units"][EMP_A]["notes"]
    assert any("förra paketet (2025-04-01" in n for n in notes)
    text = "\n".join(p.extract_text() for p in PdfReader(later / f"{EMP_A}_sammanfattning.pdf").pages)
    assert "förra paketet" in text

    again = build_packs(AS_OF, run_id="test-run-3")[0]
    assert again == folder
    assert json.loads((folder / "manifest.json").read_text())["run_id"] == "test-run-3"
    assert sorted(p.name for p in folder.parent.iterdir()) == ["2025-04-01", "2025-07-01"]
