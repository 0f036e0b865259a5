"""Swedish texts for the packs (the readers are Swedish); codes and identifiers stay English in the code."""

from __future__ import annotations

SUPPRESSED = ".."  # SCB's sign for "figure not published": too few people behind it

SECTORS = {
    "care": "Vård och omsorg",
    "school": "Skola",
    "social_services": "Individ- och familjeomsorg",
    "administration": "Administration",
    "unknown": "Okänd verksamhet",
    "total": "Totalt",
}
KEY_FIGURES = {
    "total": "Total sjukfrånvaro, % av ordinarie arbetstid",
    "long_share": "Andel av sjukfrånvaron i sjukfall om 60 dagar eller mer, %",
    "women": "Sjukfrånvaro kvinnor, %",
    "men": "Sjukfrånvaro män, %",
    "age_<=29": "Sjukfrånvaro 29 år eller yngre, %",
    "age_30-49": "Sjukfrånvaro 30–49 år, %",
    "age_>=50": "Sjukfrånvaro 50 år eller äldre, %",
}
BANDS = {
    "1-14": "1–14 dagar",
    "15-59": "15–59 dagar",
    "60-89": "60–89 dagar",
    "90-179": "90–179 dagar",
    "180-364": "180–364 dagar",
    "365+": "365 dagar eller mer",
    "total": "Totalt",
}
INTERVENTIONS = {
    "health_talk": "Hälsosamtal",
    "assessment": "Kartläggning och utredning",
    "three_party_meeting": "Trepartssamtal",
    "action_plan": "Handlingsplan för återgång",
    "supportive_talks": "Stödsamtal",
    "workplace_assessment": "Arbetsplatsbedömning",
    "rehab_coordination": "Rehabkoordinering",
    "treatment": "Behandling",
    "group_activity": "Gruppaktivitet",
    "unmapped": "Ej klassad tjänst",
    "total": "Totalt",
}
SCHEMES = {
    "FK_ARS": "Försäkringskassan, arbetsplatsinriktat rehabiliteringsstöd",
    "AFA": "Afa Försäkring, rehabiliteringsstöd",
}
SIGNALS = {
    "repeated_6_in_365": "Upprepad korttidsfrånvaro: 6 sjukfall (högst 14 dagar) på 365 dagar",
    "repeated_3_in_183": "Upprepad korttidsfrånvaro: 3 sjukfall (högst 14 dagar) på 183 dagar",
    "long_spell_day_14": "Sjukfall når dag 14",
    "long_spell_day_30": "Sjukfall når dag 30",
    "long_spell_day_60": "Sjukfall når dag 60",
    "long_spell_day_90": "Sjukfall når dag 90",
    "long_spell_day_180": "Sjukfall når dag 180",
}
PERIODS = {"current": "Senaste 12 månaderna", "previous": "Föregående 12 månader", "12m": "Senaste 12 mån"}
MONTHS = ("jan", "feb", "mar", "apr", "maj", "jun", "jul", "aug", "sep", "okt", "nov", "dec")


def label(mapping: dict[str, str], code: object) -> str:
    """The Swedish text for a code, or the code itself when none is configured (never a blank cell)."""
    return mapping.get(str(code), str(code))


def number(value: float | None, decimals: int = 1, unit: str = "") -> str:
    """Swedish number formatting for running text: decimal comma, a space between thousands."""
    if value is None:
        return SUPPRESSED
    text = f"{value:,.{decimals}f}".replace(",", " ").replace(".", ",")
    return f"{text} {unit}".rstrip()
