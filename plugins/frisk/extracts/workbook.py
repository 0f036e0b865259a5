"""The Excel workbook of a pack: one sheet per topic plus "Läs mig" with definitions and data dates.

Suppressed figures are written as ".." (text), never as a number, and every cell of a suppressed figure is
blank of its value: the cell objects already lost their values in figures.protect().
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from frisk.extracts import labels as L
from frisk.extracts import queries
from frisk.extracts.figures import TOTAL, WINDOW, Period, Topic, Unit

PCT = "0.0"
COUNT = "#,##0"
DAYS = "0.0"
SEK = '#,##0" kr"'
HEADER_FILL = PatternFill("solid", start_color="D9D9D9", end_color="D9D9D9")
HEADER_FONT = Font(bold=True)
TITLE_FONT = Font(bold=True, size=13)
THIN = Side(style="thin", color="808080")

SHEETS = ("Läs mig", "Trend", "Nyckeltal", "Sjukfall", "Signaler", "Insatser och utfall", "Bidrag", "Jämförelse")


def _table(
    ws: Worksheet, top: int, title: str, headers: Sequence[str], rows: Sequence[Sequence], formats: Sequence[str]
) -> int:
    """Write a titled table at row `top`; returns the next free row. `formats[i]` is column i's number format."""
    ws.cell(row=top, column=1, value=title).font = TITLE_FONT
    head = top + 1
    for c, h in enumerate(headers, start=1):
        cell = ws.cell(row=head, column=c, value=h)
        cell.font, cell.fill = HEADER_FONT, HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        cell.border = Border(bottom=THIN)
    for r, row in enumerate(rows, start=head + 1):
        for c, value in enumerate(row, start=1):
            cell = ws.cell(row=r, column=c, value=value)
            if value == L.SUPPRESSED:
                cell.alignment = Alignment(horizontal="right")
            elif isinstance(value, int | float) and c - 1 < len(formats) and formats[c - 1]:
                cell.number_format = formats[c - 1]
    for c, h in enumerate(headers, start=1):
        width = max([len(str(h)) // 2 + 2, 12] + [len(str(row[c - 1])) + 2 for row in rows if c - 1 < len(row)])
        ws.column_dimensions[get_column_letter(c)].width = max(ws.column_dimensions[get_column_letter(c)].width or 0,
                                                               min(width, 60))
    return head + len(rows) + 2


def _v(topic: Topic, key: tuple, name: str):
    cell = topic.cells.get(key)
    if cell is None:
        return None  # no data: an empty cell, not a suppression
    if cell.suppressed:
        return L.SUPPRESSED
    return cell.values.get(name)


def _month(d: dt.date) -> str:
    return f"{d:%Y-%m}"


def _trend(ws: Worksheet, unit: Unit) -> None:
    t = unit.topics["trend"]
    sectors = [s for s in (*queries.SECTORS, TOTAL) if any(k[1] == s for k in t.cells)]
    headers = ["Månad", *[f"{L.label(L.SECTORS, s)}, %" for s in sectors],
               "Totalt, varav sjukfall 60+ dagar, %", "Anställda totalt"]
    rows = []
    for month in sorted({k[0] for k in t.cells}):
        rows.append([_month(month), *[_v(t, (month, s), "sick_pct") for s in sectors],
                     _v(t, (month, TOTAL), "long_pct"),
                     L.SUPPRESSED if t.cells[(month, TOTAL)].suppressed else t.cells[(month, TOTAL)].n])
    _table(ws, 1, "Sjukfrånvaro per månad och verksamhet (sjuktimmar / ordinarie arbetstid)", headers, rows,
           ["", *[PCT] * (len(sectors) + 1), COUNT])
    ws.freeze_panes = "B3"


def _key_figures(ws: Worksheet, unit: Unit, period: Period, threshold: int) -> None:
    t = unit.topics["key_figures"]
    cols = [*(str(y) for y in period.years), WINDOW]
    headers = ["Nyckeltal", *[str(y) for y in period.years], f"Senaste 12 mån ({period.window_label})"]
    rows = [[L.KEY_FIGURES[f], *[_v(t, (c, f), "pct") for c in cols]] for f in L.KEY_FIGURES]
    nxt = _table(ws, 1, "Sjukfrånvaro enligt lagen om kommunal bokföring och redovisning (timmar)", headers, rows,
                 ["", *[PCT] * len(cols)])
    ws.cell(row=nxt, column=1, value=f"En grupp med färre än {threshold} anställda visas som \"..\"; "
                                    "kalenderår avser hela året, senaste 12 mån avser hela månader.")
    ws.freeze_panes = "B3"


def _spells(ws: Worksheet, unit: Unit, period: Period) -> None:
    t = unit.topics["spells"]
    headers = ["Sjukfallets längd", f"Sjukfall {period.window_label}", "Personer", "Andel av sjukfallen, %",
               "Sjukfall föregående 12 mån", "Personer ", "Andel, % "]
    rows = [[L.label(L.BANDS, b),
             _v(t, ("current", b), "spells"), _v(t, ("current", b), "persons"), _v(t, ("current", b), "share_pct"),
             _v(t, ("previous", b), "spells"), _v(t, ("previous", b), "persons"), _v(t, ("previous", b), "share_pct")]
            for b in (*queries.LENGTH_BANDS, TOTAL)]
    _table(ws, 1, "Korta och långa sjukfall som började under perioden", headers, rows,
           ["", COUNT, COUNT, PCT, COUNT, COUNT, PCT])
    ws.freeze_panes = "B3"


def _signals(ws: Worksheet, unit: Unit, period: Period) -> None:
    t = unit.topics["signals"]
    rows = [[L.label(L.SIGNALS, k[0]), _v(t, k, "signals"), _v(t, k, "persons")] for k in sorted(t.cells)]
    _table(ws, 1, f"Signaler om upprepad eller lång sjukfrånvaro, {period.window_label} (antal, inga personer)",
           ["Signal", "Antal signaler", "Antal personer"], rows, ["", COUNT, COUNT])
    ws.freeze_panes = "B3"


def _interventions(ws: Worksheet, unit: Unit, period: Period) -> None:
    t = unit.topics["interventions"]
    keys = sorted((k for k in t.cells if k != (TOTAL,)), key=lambda k: L.label(L.INTERVENTIONS, k[0]))
    if (TOTAL,) in t.cells:
        keys.append((TOTAL,))
    rows = [[L.label(L.INTERVENTIONS, k[0]), _v(t, k, "services"), _v(t, k, "persons"), _v(t, k, "amount")]
            for k in keys]
    nxt = _table(ws, 1, f"Insatser från företagshälsovården, {period.window_label}",
                 ["Insats", "Antal tjänster", "Antal personer", "Kostnad exkl. moms"], rows, ["", COUNT, COUNT, SEK])
    o = unit.topics["outcomes"]
    rows = [[f"{k[0]} dagar", _v(o, k, "episodes"), _v(o, k, "change_treated"), _v(o, k, "change_control"),
             _v(o, k, "did"), _v(o, k, "ci_low"), _v(o, k, "ci_high")] for k in sorted(o.cells)]
    _table(ws, nxt, "Utfall: sjukdagar före och efter första insatsen, jämfört med liknande personer utan insats",
           ["Period före/efter", "Insatsepisoder", "Förändring med insats, dagar",
            "Förändring jämförelsegrupp, dagar", "Skillnad (effekt), dagar", "95 % KI, lägre", "95 % KI, övre"],
           rows, ["", COUNT, DAYS, DAYS, DAYS, DAYS, DAYS])
    ws.freeze_panes = "B3"


def _grant(ws: Worksheet, unit: Unit) -> None:
    t = unit.topics["grant"]
    fields = ("spend", "eligible_spend", "claimed", "claimable", "lost_caps", "lost_deadline")
    rows = [[k[0], L.label(L.SCHEMES, k[1]), *[_v(t, k, f) for f in fields]] for k in sorted(t.cells)]
    _table(ws, 1, "Bidrag för rehabiliteringsinsatser: sökt, möjligt att söka och förlorat",
           ["År", "Ordning", "Kostnad", "Bidragsgrundande kostnad", "Sökt/beviljat bidrag", "Kan sökas",
            "Förlorat p.g.a. tak", "Förlorat p.g.a. missad frist"], rows, ["0", "", *[SEK] * 6])
    ws.freeze_panes = "C3"


def _benchmark(ws: Worksheet, unit: Unit, names: dict[str, str]) -> None:
    t = unit.topics["trend"]
    emps = list(unit.employers)
    headers = ["Månad", f"{unit.label}: sjukfrånvaro, %",
               *[f"Sjukpenningtal {names.get(e, e)} (kommunen)" for e in emps],
               "Sjukpenningtal länet", "Sjukpenningtal riket"]
    rows = []
    for b in unit.benchmark:
        rows.append([_month(b["month"]), _v(t, (b["month"], TOTAL), "sick_pct"),
                     *[b["kommun"].get(e) for e in emps], b["lan"], b["riket"]])
    nxt = _table(ws, 1, "Jämförelse med offentlig statistik (Försäkringskassan)", headers, rows,
                 ["", PCT, *["0.0"] * (len(emps) + 2)])
    ws.cell(row=nxt, column=1, value="Sjukpenningtal: nettodagar med sjuk- och rehabiliteringspenning per "
                                     "försäkrad 16–64 år, rullande 12 månader. Ett annat mått än "
                                     "arbetsgivarens sjukfrånvaro i procent: jämför trender, inte nivåer.")
    ws.freeze_panes = "B3"


def _readme(ws: Worksheet, unit: Unit, period: Period, threshold: int, data_dates: dict, run_id: str,
            hidden: int) -> None:
    def fmt(v) -> str:
        return v.strftime("%Y-%m-%d %H:%M") if isinstance(v, dt.datetime) else (str(v) if v else "okänt")

    ws.column_dimensions["A"].width = 38
    ws.column_dimensions["B"].width = 100
    rows = [
        ("Underlag för", unit.label),
        ("Arbetsgivare (organisationsnummer)", ", ".join(unit.employers)),
        ("Datum för paketet", period.as_of.isoformat()),
        ("Dataperiod, trend", f"{period.trend_start:%Y-%m} – {period.end:%Y-%m}"),
        ("Dataperiod, senaste 12 månaderna", period.window_label),
        ("Data senast uppdaterad (marts)", fmt(data_dates.get("marts_published"))),
        *[(f"Senaste leverans: {k.removeprefix('source_')}", fmt(v)) for k, v in sorted(data_dates.items())
          if k.startswith("source_")],
        ("Körning (run id)", run_id),
        ("", ""),
        ("Sekretess", f"Uppgifter som bygger på färre än {threshold} anställda visas inte (\"..\"). Även en "
                      "annan uppgift i samma rad, kolumn eller summa, eller i ett annat pakets motsvarande "
                      "uppgift, döljs när den dolda uppgiften annars kunde räknas fram (sekundär röjning). "
                      f"Antal dolda uppgifter i detta paket: {hidden}."),
        ("Sjukfrånvaro, %", "Sjukfrånvarotimmar / ordinarie (schemalagd) arbetstid, i timmar. Timavlönade utan "
                            "schema ingår inte. Samma definition som i årsredovisningen (LKBR 11 kap.)."),
        ("Långa sjukfall", "Andel av sjukfrånvarotimmarna som ligger i sjukfall om 60 dagar eller mer i följd."),
        ("Sjukfall", "Sammanhängande sjukperioder per person (överlappande och angränsande perioder slås ihop). "
                     "Längdklasser: 1–14, 15–59, 60–89, 90–179, 180–364, 365+ dagar."),
        ("Signaler", "Antal gånger en regel för upprepad korttidsfrånvaro eller långt sjukfall slog till, och "
                     "för hur många personer. Reglerna är konfigurerbara (standard 6 tillfällen på 365 dagar)."),
        ("Insatser", "Tjänster från företagshälsovården enligt fakturor och fakturaunderlag, exkl. moms."),
        ("Utfall", "Förändring i sjukdagar efter första insatsen jämfört med före, minus samma förändring "
                   "för personer med liknande frånvarohistorik utan insats (difference-in-differences). "
                   "95 % konfidensintervall: skattning ± 1,96 standardfel. Ett intervall som omfattar 0 visar "
                   "ingen säker effekt."),
        ("Bidrag", "Försäkringskassans bidrag för arbetsplatsinriktat rehabiliteringsstöd (förordning 2014:67) "
                   "och Afa Försäkrings rehabiliteringsstöd. Förlorat: belopp över taken (10 000 kr per "
                   "anställd och 200 000 kr per arbetsgivare och år) eller där ansökningsfristen gått ut."),
        ("Jämförelse", "Försäkringskassans sjukpenningtal för kommunen, länet och riket (offentlig statistik)."),
        ("Tecken", "\"..\" = uppgiften visas inte (för få anställda). Tom cell = inga uppgifter."),
    ]
    ws.cell(row=1, column=1, value="Läs mig").font = TITLE_FONT
    for r, (k, v) in enumerate(rows, start=3):
        ws.cell(row=r, column=1, value=k).font = HEADER_FONT
        cell = ws.cell(row=r, column=2, value=v)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    ws.freeze_panes = "A3"


def write_workbook(path: Path, unit: Unit, period: Period, threshold: int, data_dates: dict, run_id: str,
                   names: dict[str, str]) -> Path:
    wb = Workbook()
    ws = wb.active
    ws.title = SHEETS[0]
    hidden = sum(c.suppressed for t in unit.topics.values() for c in t.cells.values())
    _readme(ws, unit, period, threshold, data_dates, run_id, hidden)
    _trend(wb.create_sheet(SHEETS[1]), unit)
    _key_figures(wb.create_sheet(SHEETS[2]), unit, period, threshold)
    _spells(wb.create_sheet(SHEETS[3]), unit, period)
    _signals(wb.create_sheet(SHEETS[4]), unit, period)
    _interventions(wb.create_sheet(SHEETS[5]), unit, period)
    _grant(wb.create_sheet(SHEETS[6]), unit)
    _benchmark(wb.create_sheet(SHEETS[7]), unit, names)
    wb.properties.creator = "Frisk"
    wb.properties.title = f"Uppföljning sjukfrånvaro {unit.label} {period.as_of}"
    wb.save(path)
    return path
