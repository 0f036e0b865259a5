"""The PDF summary of a pack (fpdf2): three A4 pages to read at the meeting, in Swedish.

Page 1: headline figures, what changed since the last pack, the trend chart. Page 2: spell lengths and the
outcome of interventions. Page 3: grant money and how to read the figures. DejaVu Sans (shipped with
matplotlib) is embedded because the core PDF fonts lack characters such as the en dash and minus sign.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import matplotlib
from fpdf import FPDF
from fpdf.enums import XPos, YPos

from frisk.extracts import labels as L
from frisk.extracts.figures import Period, Unit
from frisk.extracts.headlines import HEADLINES

FONT_DIR = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
CHART_W = 180  # mm; the charts are 16:9
CHART_H = CHART_W * 450 / 800


class _Pdf(FPDF):
    footer_text = ""

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font("dejavu", size=8)
        self.cell(0, 8, f"{self.footer_text} · sida {self.page_no()} av {{nb}}", align="C")


def _heading(pdf: FPDF, text: str, size: int = 13) -> None:
    pdf.set_font("dejavu", "B", size)
    pdf.multi_cell(0, 7, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(1)


def _para(pdf: FPDF, text: str, size: int = 10) -> None:
    pdf.set_font("dejavu", size=size)
    pdf.multi_cell(0, 5, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(1)


def write_pdf(path: Path, unit: Unit, period: Period, figures: dict[str, float | None], notes: list[str],
              charts: dict[str, Path], threshold: int, run_id: str) -> Path:
    pdf = _Pdf(format="A4")
    pdf.add_font("dejavu", "", str(FONT_DIR / "DejaVuSans.ttf"))
    pdf.add_font("dejavu", "B", str(FONT_DIR / "DejaVuSans-Bold.ttf"))
    pdf.footer_text = f"Frisk · {unit.label} · {period.as_of.isoformat()}"
    pdf.set_title(f"Uppföljning av sjukfrånvaro {unit.label} {period.as_of.isoformat()}")
    pdf.set_author("Frisk")
    # the pack date, not "now": the same figures give the same bytes and the same hash
    pdf.set_creation_date(dt.datetime.combine(period.as_of, dt.time(), tzinfo=ZoneInfo("Europe/Stockholm")))
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.set_margins(15, 15, 15)

    pdf.add_page()
    _heading(pdf, f"Uppföljning av sjukfrånvaro – {unit.label}", 16)
    _para(pdf, f"Underlag till samverkansmötet, {period.as_of.isoformat()}. Senaste 12 månaderna: "
               f"{period.window_label}. Bara sammanräknade uppgifter; uppgifter som bygger på färre än "
               f"{threshold} anställda visas som \"..\".", 9)
    _heading(pdf, "Nyckeltal", 12)
    pdf.set_font("dejavu", size=10)
    with pdf.table(col_widths=(120, 60), text_align=("LEFT", "RIGHT"), line_height=6) as table:
        head = table.row()
        head.cell("Mått")
        head.cell("Värde")
        for key, (text, unit_text, dec, _) in HEADLINES.items():
            row = table.row()
            row.cell(text)
            row.cell(L.number(figures.get(key), dec, unit_text))
    pdf.ln(3)
    _heading(pdf, "Vad har förändrats sedan förra paketet", 12)
    for note in notes:
        _para(pdf, f"• {note}")
    if pdf.get_y() + CHART_H > pdf.h - 15:
        pdf.add_page()
    pdf.image(str(charts["trend"]), w=CHART_W)

    pdf.add_page()
    _heading(pdf, "Sjukfallens längd", 12)
    _para(pdf, "Antal sjukfall som började de senaste 12 månaderna, jämfört med de 12 månaderna före, per "
               "längdklass. Korta sjukfall (1–14 dagar) betalas av arbetsgivaren; från dag 15 betalar "
               "Försäkringskassan.")
    pdf.image(str(charts["spells"]), w=CHART_W)
    _heading(pdf, "Vad ger tidiga insatser?", 12)
    _para(pdf, "Skillnaden i sjukdagar före och efter första insatsen, jämfört med personer med liknande "
               "frånvaro utan insats. Strecket visar 95 % konfidensintervall: om det korsar 0 kan ingen säker "
               "effekt visas.")
    pdf.image(str(charts["outcomes"]), w=CHART_W)

    pdf.add_page()
    _heading(pdf, "Bidrag för rehabiliteringsinsatser", 12)
    _para(pdf, "Försäkringskassan ersätter 50 % av kostnaden för godkända insatser, högst 10 000 kr per anställd "
               "och 200 000 kr per arbetsgivare och år. Pengar som kan sökas behöver sökas före fristen; "
               "förlorat är belopp över taken eller efter fristen.")
    pdf.image(str(charts["grant"]), w=CHART_W)
    _heading(pdf, "Så läser du siffrorna", 12)
    _para(pdf, "Sjukfrånvaro i procent är sjuktimmar delat med ordinarie arbetstid, som i årsredovisningen. "
               "Sjukpenningtalet är Försäkringskassans mått för hela befolkningen i kommunen och är inte "
               "samma sak: jämför hur kurvorna rör sig, inte deras nivå. Alla definitioner och datadatum finns "
               "på fliken \"Läs mig\" i Excel-filen.", 9)
    _para(pdf, f"Körning: {run_id}", 8)
    pdf.output(str(path))
    return path
