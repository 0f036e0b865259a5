"""Headline figures of a unit and plain-language notes on what changed since the previous pack.

The headline figures go into manifest.json, so the next pack can compare with them without re-reading old
workbooks. They are taken from already-suppressed cells; a sum is only formed when every part is visible
(a sum over a hidden part would publish it).
"""

from __future__ import annotations

from frisk.extracts import labels as L
from frisk.extracts import queries
from frisk.extracts.figures import TOTAL, WINDOW, Period, Topic, Unit

# name -> (Swedish text, unit, decimals, "lower is better")
HEADLINES: dict[str, tuple[str, str, int, bool]] = {
    "sick_pct_12m": ("Sjukfrånvaro senaste 12 månaderna", "%", 1, True),
    "long_share_12m": ("Andel av sjukfrånvaron i sjukfall om 60+ dagar", "%", 1, True),
    "spells_12m": ("Sjukfall som började senaste 12 månaderna", "st", 0, True),
    "long_spells_12m": ("Varav sjukfall om 60 dagar eller mer", "st", 0, True),
    "services_12m": ("Insatser från företagshälsovården", "st", 0, False),
    "grant_claimable": ("Bidrag som kan sökas nu", "kr", 0, False),
    "grant_lost": ("Bidrag som gått förlorat (tak och frister)", "kr", 0, True),
}


def _sum_visible(topic: Topic, keys: list[tuple], name: str) -> float | None:
    """Sum of `name` over `keys`, or None when any of them is suppressed (or there are none)."""
    total = 0.0
    for k in keys:
        cell = topic.cells.get(k)
        if cell is None:
            continue
        if cell.suppressed:
            return None
        total += cell.values.get(name) or 0.0
    return total if keys else None


def headline_figures(unit: Unit, period: Period) -> dict[str, float | None]:
    kf, sp = unit.topics["key_figures"], unit.topics["spells"]
    iv, gr = unit.topics["interventions"], unit.topics["grant"]
    long_bands = [("current", b) for b in queries.LENGTH_BANDS if b not in ("1-14", "15-59")]
    grant_keys = [k for k in gr.cells if k[0] in (*period.years, period.end.year)]
    return {
        "sick_pct_12m": kf.value((WINDOW, "total"), "pct"),
        "long_share_12m": kf.value((WINDOW, "long_share"), "pct"),
        "spells_12m": sp.value(("current", TOTAL), "spells"),
        "long_spells_12m": _sum_visible(sp, long_bands, "spells"),
        "services_12m": iv.value((TOTAL,), "services"),
        "grant_claimable": _sum_visible(gr, grant_keys, "claimable"),
        "grant_lost": (None if (a := _sum_visible(gr, grant_keys, "lost_caps")) is None
                       or (b := _sum_visible(gr, grant_keys, "lost_deadline")) is None else a + b),
    }


def change_notes(
    label: str, now: dict[str, float | None], before: dict[str, float | None] | None, before_date: str | None,
    unit: Unit,
) -> list[str]:
    """Swedish sentences for the PDF: how each headline moved since the previous pack, and within this one."""
    notes: list[str] = []
    if before is None:
        notes.append(f"Det här är det första paketet för {label}. Från nästa paket jämförs siffrorna med det "
                     "här.")
    else:
        for key, (text, unit_text, dec, lower_better) in HEADLINES.items():
            a, b = now.get(key), before.get(key)
            if a is None or b is None:
                if a is None and b is None:
                    continue
                notes.append(f"{text}: kan inte jämföras med förra paketet ({before_date}) eftersom en av "
                             "uppgifterna bygger på för få anställda.")
                continue
            diff = a - b
            if abs(diff) < 10 ** -dec / 2:
                notes.append(f"{text}: oförändrat, {L.number(a, dec, unit_text)}.")
                continue
            unit_word = "procentenheter" if unit_text == "%" else unit_text
            direction = "högre" if diff > 0 else "lägre"
            # only where fewer is plainly better (sick leave, money lost); more services is neither
            judgement = (" Det är en förbättring." if diff < 0 else " Det är en försämring.") if lower_better else ""
            notes.append(f"{text}: {L.number(a, dec, unit_text)}, {L.number(abs(diff), dec, unit_word)} "
                         f"{direction} än i förra paketet ({before_date}: {L.number(b, dec, unit_text)}).{judgement}")
    sp = unit.topics["spells"]
    cur, prev = sp.value(("current", TOTAL), "spells"), sp.value(("previous", TOTAL), "spells")
    if cur is not None and prev is not None and prev > 0:
        change = 100.0 * (cur - prev) / prev
        word = "fler" if change > 0 else "färre"
        notes.append(f"Under de senaste 12 månaderna började {L.number(cur, 0)} sjukfall, "
                     f"{L.number(abs(change), 0)} % {word} än de 12 månaderna före.")
    out = unit.topics["outcomes"]
    for key in sorted(out.cells):
        did, lo, hi = (out.value(key, n) for n in ("did", "ci_low", "ci_high"))
        if did is None or lo is None or hi is None:
            continue
        if hi < 0:
            notes.append(f"Efter {key[0]} dagar hade personer med insats i genomsnitt {L.number(-did, 1)} färre "
                         "sjukdagar än liknande personer utan insats (säker skillnad, 95 % KI "
                         f"{L.number(lo, 1)} till {L.number(hi, 1)}).")
        elif lo > 0:
            notes.append(f"Efter {key[0]} dagar hade personer med insats {L.number(did, 1)} fler sjukdagar än "
                         "jämförelsegruppen (95 % KI "
                         f"{L.number(lo, 1)} till {L.number(hi, 1)}); insatserna ges ofta till dem som mår sämst.")
        else:
            notes.append(f"Efter {key[0]} dagar kan ingen säker effekt av insatserna visas (95 % KI "
                         f"{L.number(lo, 1)} till {L.number(hi, 1)} dagar omfattar 0).")
    return notes
