"""The fictional world (employers, units, occupations, providers, services, rates), read from `world.yaml`.

Kept in YAML so the numbers a reader might question (rates, the intervention effect, prices) are in one place
and not scattered through the simulation code.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path

import yaml

WORLD_FILE = Path(__file__).with_name("world.yaml")


@dataclass(frozen=True, slots=True)
class Unit:
    sector: str
    code: str
    name: str


@dataclass(frozen=True, slots=True)
class Employer:
    index: int  # 1 or 2, as in docs/architecture.md
    org_number: str
    name: str
    dialect: str
    share: float
    street: str
    postal_zone: str
    city: str
    buyer_reference: str
    providers: dict[str, float]
    units: tuple[Unit, ...]


@dataclass(frozen=True, slots=True)
class Occupation:
    name: str
    sector: str
    weight: float
    women_share: float
    can_be_hourly: bool


@dataclass(frozen=True, slots=True)
class Provider:
    key: str  # A, B, C
    org_number: str
    name: str
    vat_number: str
    street: str
    postal_zone: str
    city: str
    bankgiro: str
    invoice_prefix: str
    style: str  # line_person | specification | plain


@dataclass(frozen=True, slots=True)
class Service:
    provider: str
    code: str
    name: str
    type: str | None  # intervention type; None = deliberately unmapped (provider C)
    price: Decimal
    vat_category: str  # E or S
    competences: tuple[str, ...]


@dataclass(frozen=True)
class World:
    intervention: dict
    absence: dict
    employers: tuple[Employer, ...]
    sector_weights: dict[str, float]
    sector_labels_sv: dict[str, str]
    occupations: tuple[Occupation, ...]
    employment_rates: dict[str, dict[int, float]]
    full_time_weekly_hours: int
    providers: dict[str, Provider]
    services: dict[str, dict[str, Service]]  # provider -> code -> service
    vat: dict
    payment_terms_days: int
    partial_payment_share: float

    def service_of_type(self, provider: str, type_: str) -> Service | None:
        """The first service of `type_` in the provider's catalogue (catalogue order decides the default)."""
        for s in self.services[provider].values():
            if s.type == type_:
                return s
        return None

    def services_of_type(self, provider: str, type_: str) -> list[Service]:
        return [s for s in self.services[provider].values() if s.type == type_]


@cache
def load_world(path: Path = WORLD_FILE) -> World:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    employers = tuple(
        Employer(
            index=i, org_number=str(e["org_number"]), name=e["name"], dialect=e["dialect"], share=float(e["share"]),
            street=e["street"], postal_zone=str(e["postal_zone"]), city=e["city"],
            buyer_reference=str(e["buyer_reference"]), providers={str(k): float(v) for k, v in e["providers"].items()},
            units=tuple(Unit(sector=u[0], code=str(u[1]), name=u[2]) for u in e["units"]),
        )
        for i, e in enumerate(data["employers"], start=1)
    )
    occupations = tuple(
        Occupation(name=name, sector=v[0], weight=float(v[1]), women_share=float(v[2]), can_be_hourly=bool(v[3]))
        for name, v in data["occupations"].items()
    )
    providers = {
        key: Provider(key=key, org_number=str(p["org_number"]), name=p["name"], vat_number=p["vat_number"],
                      street=p["street"], postal_zone=str(p["postal_zone"]), city=p["city"],
                      bankgiro=str(p["bankgiro"]), invoice_prefix=str(p["invoice_prefix"] or ""), style=p["style"])
        for key, p in data["providers"].items()
    }
    services = {
        prov: {
            str(code): Service(provider=prov, code=str(code), name=v[0], type=v[1], price=Decimal(str(v[2])),
                               vat_category=v[3], competences=tuple(v[4]))
            for code, v in catalogue.items()
        }
        for prov, catalogue in data["services"].items()
    }
    return World(
        intervention=data["intervention"],
        absence=data["absence"],
        employers=employers,
        sector_weights={k: float(v) for k, v in data["sector_weights"].items()},
        sector_labels_sv=data["sector_labels_sv"],
        occupations=occupations,
        employment_rates={s: {int(r): float(w) for r, w in rates.items()}
                          for s, rates in data["employment_rates"].items()},
        full_time_weekly_hours=int(data["full_time_weekly_hours"]),
        providers=providers,
        services=services,
        vat=data["vat"],
        payment_terms_days=int(data["payment_terms_days"]),
        partial_payment_share=float(data["partial_payment_share"]),
    )
