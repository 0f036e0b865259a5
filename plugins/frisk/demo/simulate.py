"""One person's life in the demo world: employment, absence periods and FHV services, in date order.

Each person gets their own random stream (seeded from the run seed and the person's index), so the output is the
same for a seed whatever else changes, and people can be generated one at a time (bounded memory).

Absence is a thinned Poisson process over the employment days: short sick spells (seasonal, individual frailty,
an ~8 % subgroup with repeated short-term absence), long spells (age and sector dependent, often stepping down to
partial sick leave), VAB and other absence; vacation and parental leave are planned blocks. FHV services follow
two triggers: repeated short-term absence (6 spells in 365 days) and long spells. Services of an early type start
an effect window in which new short spells are rarer: the true effect the outcome models should recover.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections import deque
from dataclasses import dataclass, field
from decimal import Decimal

from frisk.demo.personnummer import COORDINATION_SHARE, NumberIssuer
from frisk.demo.world import Employer, Service, World

DAYS_PER_YEAR = 365.25


@dataclass(slots=True)
class Person:
    index: int
    employer: Employer
    number: str  # 12 digits; never leaves the generator except into the landing files
    sex: str
    birth: dt.date
    unit_code: str
    unit_name: str
    sector: str
    occupation: str
    rate_pct: int | None  # None: hourly paid
    weekly_hours: Decimal | None
    employment_id: str
    start: dt.date
    end: dt.date | None
    repeated: bool = False


@dataclass(slots=True)
class Absence:
    cause: str  # canonical code: SJK, VAB, FL, SEM, OVR
    start: dt.date
    end: dt.date | None  # None: open-ended (ongoing at the end date)
    extent: int


@dataclass(slots=True)
class ServiceEvent:
    date: dt.date
    provider: str
    code: str
    quantity: int
    competence: str


@dataclass
class Life:
    person: Person
    absences: list[Absence]
    services: list[ServiceEvent] = field(default_factory=list)


def _weighted(rng: random.Random, weights: dict) -> object:
    keys = list(weights)
    return rng.choices(keys, weights=[weights[k] for k in keys])[0]


def _add_years(d: dt.date, years: int) -> dt.date:
    try:
        return d.replace(year=d.year + years)
    except ValueError:  # 29 February
        return d.replace(year=d.year + years, day=28)


class Simulator:
    def __init__(self, world: World, seed: int, window_start: dt.date, end_date: dt.date,
                 intervention_effect: float | None = None) -> None:
        self.w, self.seed = world, seed
        self.window_start, self.end_date = window_start, end_date
        self.ab, self.iv = world.absence, world.intervention
        self.effect = float(self.iv["effect"] if intervention_effect is None else intervention_effect)
        self.issuer = NumberIssuer()
        self._earliest_birth = _add_years(window_start, -int(self.ab["retirement_age"])) + dt.timedelta(days=1)
        self._occupations = {s: [o for o in world.occupations if o.sector == s] for s in world.sector_weights}
        lengths = self.ab["short_length_weights"]
        self._short_lengths = [int(k) for k in lengths]
        self._short_weights = [float(v) for v in lengths.values()]
        self._bands = [tuple(b) for b in self.ab["long_length_bands"]]

    # --- the person -------------------------------------------------------------------------------------------
    def person(self, index: int, employer: Employer, rng: random.Random) -> Person:
        ab = self.ab
        sector = _weighted(rng, self.w.sector_weights)
        unit = rng.choice([u for u in employer.units if u.sector == sector])
        occs = self._occupations[sector]
        occ = rng.choices(occs, weights=[o.weight for o in occs])[0]
        sex = "K" if rng.random() < occ.women_share else "M"
        total_days = (self.end_date - self.window_start).days + 1
        if rng.random() < ab["hired_share"]:
            start = self.window_start + dt.timedelta(days=rng.randrange(total_days))
            age = rng.triangular(20, 62, 30)
            ref = start
        else:
            age = rng.triangular(20, 65.5, 48)
            ref = self.window_start
            years_employed = rng.uniform(0.1, max(0.2, min(age - 19, 30)))
            start = ref - dt.timedelta(days=int(years_employed * DAYS_PER_YEAR))
        birth = ref - dt.timedelta(days=int(age * DAYS_PER_YEAR))
        coordination = rng.random() < COORDINATION_SHARE
        # only in very large worlds is the birth date moved (to a free test number): still 18 or older on the
        # reference date and not retired before the period starts
        number, birth = self.issuer.issue(rng, birth, sex, coordination, earliest=self._earliest_birth,
                                          latest=_add_years(ref, -18))
        start = max(start, _add_years(birth, 18))
        end: dt.date | None = None
        leave_after = rng.expovariate(ab["leaver_rate"]) * DAYS_PER_YEAR
        leave = ref + dt.timedelta(days=int(leave_after) + 30)
        retire = _add_years(birth, int(ab["retirement_age"]))
        for candidate in (leave, retire):
            if candidate <= self.end_date and (end is None or candidate < end):
                end = candidate
        if end is not None and end < start:  # retired before a hire date cannot happen: hire younger instead
            end = None
        hourly = occ.can_be_hourly and rng.random() < ab["hourly_paid_share"] * 2.2
        if hourly:
            rate, hours = None, None
        else:
            rate = int(_weighted(rng, self.w.employment_rates[sector]))
            hours = (Decimal(self.w.full_time_weekly_hours) * rate / 100).quantize(Decimal("0.01"))
        prefix = "" if employer.index == 1 else "V"
        return Person(index=index, employer=employer, number=number, sex=sex, birth=birth, unit_code=unit.code,
                      unit_name=unit.name, sector=sector, occupation=occ.name, rate_pct=rate, weekly_hours=hours,
                      employment_id=f"{prefix}{100000 + index}", start=start, end=end,
                      repeated=rng.random() < ab["repeated_share"])

    # --- absence and services -----------------------------------------------------------------------------------
    def life(self, index: int, employer: Employer) -> Life:
        rng = random.Random(f"frisk-demo:{self.seed}:person:{index}")
        p = self.person(index, employer, rng)
        a = max(self.window_start, p.start)
        b = min(self.end_date, p.end) if p.end else self.end_date
        life = Life(person=p, absences=[])
        if a > b:
            return life
        self._plan_blocks(rng, p, a, b, life.absences)
        self._events(rng, p, a, b, life)
        self._background_services(rng, life, a, b)
        if b < self.end_date:  # a leaver's absence ends with the employment (a later step of a long spell goes)
            life.absences = [r for r in life.absences if r.start <= b]
            for r in life.absences:
                if r.end is None or r.end > b:
                    r.end = b
        life.absences.sort(key=lambda r: (r.start, r.cause))
        life.services = [s for s in life.services if a <= s.date <= b]
        life.services.sort(key=lambda s: (s.date, s.provider, s.code))
        return life

    def _age(self, p: Person, d: dt.date) -> float:
        return (d - p.birth).days / DAYS_PER_YEAR

    @staticmethod
    def _free(rows: list[Absence], start: dt.date, end: dt.date) -> bool:
        for r in rows:
            r_end = r.end or dt.date.max
            if r.start <= end and start <= r_end:
                return False
        return True

    def _plan_blocks(self, rng: random.Random, p: Person, a: dt.date, b: dt.date, rows: list[Absence]) -> None:
        """Parental leave and vacation, planned before sick leave happens (sick leave may later replace them)."""
        for year in range(a.year, b.year + 1):
            age = year - p.birth.year
            fl_rate = self.ab["parental_leave_rate_women"] if p.sex == "K" else self.ab["parental_leave_rate_men"]
            fl_ages = (25, 42) if p.sex == "K" else (25, 45)
            if fl_ages[0] <= age <= fl_ages[1] and rng.random() < fl_rate:
                s = dt.date(year, 1, 1) + dt.timedelta(days=rng.randrange(365))
                length = rng.randint(120, 300) if p.sex == "K" else rng.randint(20, 90)
                e = s + dt.timedelta(days=length - 1)
                # booked parental leave keeps its planned end even when that lies after the end date
                if a <= s <= b and self._free(rows, s, e):
                    mid = s + dt.timedelta(days=int(length * 0.7))
                    if rng.random() < 0.3 and length > 60 and mid < b:  # back part time for the last part
                        rows.append(Absence("FL", s, mid, 100))
                        rows.append(Absence("FL", mid + dt.timedelta(days=1), e, rng.choice((25, 50))))
                    else:
                        rows.append(Absence("FL", s, e, 100))
            # summer vacation: 3-4 weeks from late June to late July; some take a week at Christmas or in February
            s = dt.date(year, 6, 20) + dt.timedelta(days=rng.randrange(30))
            blocks = [(s, s + dt.timedelta(days=rng.randint(21, 28) - 1))]
            if rng.random() < 0.4:
                c = dt.date(year, 12, 21) + dt.timedelta(days=rng.randrange(5))
                blocks.append((c, c + dt.timedelta(days=rng.randint(4, 8))))
            if rng.random() < 0.2:
                f = dt.date(year, 2, 10) + dt.timedelta(days=rng.randrange(28))
                blocks.append((f, f + dt.timedelta(days=4)))
            for s, e in blocks:
                if a <= s and e <= b and self._free(rows, s, e):
                    rows.append(Absence("SEM", s, e, 100))

    def _seasonal(self, d: dt.date) -> float:
        amp, peak = self.ab["winter_amplitude"], self.ab["winter_peak_day"]
        return 1 + amp * math.cos(2 * math.pi * (d.timetuple().tm_yday - peak) / DAYS_PER_YEAR)

    def _events(self, rng: random.Random, p: Person, a: dt.date, b: dt.date, life: Life) -> None:
        ab, iv = self.ab, self.iv
        rows = life.absences
        amp = ab["winter_amplitude"]
        sector_f = ab["sector_factor"][p.sector]
        if p.repeated:
            short = ab["repeated_rate"] * math.exp(rng.gauss(0, 0.15))
        else:
            sigma = ab["frailty_sigma"]
            short = ab["short_rate"] * math.exp(rng.gauss(-sigma * sigma / 2, sigma)) * sector_f
        if p.sex == "K":
            short *= ab["women_factor"]
        age_mid = self._age(p, a + (b - a) / 2)
        long_rate = ab["long_rate"] * sector_f * ab["long_age_factor_per_decade"] ** ((age_mid - 40) / 10)
        if p.sex == "K":
            long_rate *= 1.2
        parent = 25 <= age_mid <= 50 and rng.random() < ab["vab_parent_share"]
        vab = ab["vab_rate"] if parent else 0.0
        other = ab["other_rate"]
        lam_max = long_rate + vab * (1 + amp) + other + short * (1 + amp)
        per_day = lam_max / DAYS_PER_YEAR

        recent: deque[dt.date] = deque()
        state = {"effect_from": None, "considered": None}
        span = (b - a).days
        t = 0.0
        while True:
            t += rng.expovariate(per_day)
            if t > span:
                break
            d = a + dt.timedelta(days=int(t))
            u = rng.random() * lam_max
            season = self._seasonal(d)
            # order matters: short spells last, so the intervention effect only removes short spells
            cut_long = long_rate
            cut_vab = cut_long + vab * season
            cut_other = cut_vab + other
            effect_from = state["effect_from"]
            in_effect = effect_from is not None and effect_from <= d < effect_from + dt.timedelta(
                days=int(iv["window_days"]))
            cut_short = cut_other + short * season * ((1 - self.effect) if in_effect else 1.0)
            if u >= cut_short or not self._free(rows, d, d):
                continue
            if u < cut_long:
                last = self._long_spell(rng, p, d, b, life, state)
            elif u < cut_vab:
                last = self._simple(rows, "VAB", d, rng.choices((1, 2, 3), (50, 30, 20))[0],
                                    50 if rng.random() < 0.1 else 100)
            elif u < cut_other:
                last = self._simple(rows, "OVR", d, rng.randint(1, 5), 100)
            else:
                last = self._short_spell(rng, p, d, b, life, recent, state)
            if last is None:
                break
            t = max(t, (last - a).days + 1.0)  # no new absence starts while this one lasts

    def _simple(self, rows: list[Absence], cause: str, d: dt.date, length: int, extent: int) -> dt.date | None:
        end = self._clip(rows, d, d + dt.timedelta(days=length - 1))
        open_ended = end > self.end_date
        rows.append(Absence(cause, d, None if open_ended else end, extent))
        return None if open_ended else end

    def _clip(self, rows: list[Absence], start: dt.date, end: dt.date) -> dt.date:
        """End a spell the day before the next planned block it would run into."""
        for r in rows:
            if start < r.start <= end:
                end = r.start - dt.timedelta(days=1)
        return end

    def _short_spell(self, rng: random.Random, p: Person, d: dt.date, b: dt.date, life: Life,
                     recent: deque[dt.date], state: dict) -> dt.date | None:
        rows = life.absences
        last: dt.date | None = None
        while True:
            if p.sector in ("school", "administration") and d.weekday() >= 5:
                d += dt.timedelta(days=7 - d.weekday())  # office staff fall ill on a weekday, as far as payroll sees
                if d > b or not self._free(rows, d, d):
                    return last or d
            length = rng.choices(self._short_lengths, self._short_weights)[0]
            extent = rng.choice((25, 50, 75)) if rng.random() < self.ab["short_partial_probability"] else 100
            end = self._clip(rows, d, d + dt.timedelta(days=length - 1))
            open_ended = end > self.end_date
            rows.append(Absence("SJK", d, None if open_ended else end, extent))
            self._count_short(rng, p, d, life, recent, state)
            if open_ended:
                return None
            last = end
            # re-illness: a new spell a few days after the last one ended (the 5-day rule joins them in the marts)
            if rng.random() >= self.ab["reillness_probability"]:
                return last
            d = end + dt.timedelta(days=rng.randint(2, 6))  # 1-5 days back at work in between
            if d > b or not self._free(rows, d, d):
                return last

    def _count_short(self, rng: random.Random, p: Person, d: dt.date, life: Life, recent: deque[dt.date],
                     state: dict) -> None:
        iv = self.iv
        recent.append(d)
        window = dt.timedelta(days=int(iv["trigger_window_days"]))
        while recent and recent[0] <= d - window:
            recent.popleft()
        considered = state["considered"]
        if len(recent) < int(iv["trigger_spells"]):
            return
        if considered is not None and d < considered + dt.timedelta(days=int(iv["cooldown_days"])):
            return
        state["considered"] = d
        if rng.random() < iv["offer_probability"]:
            self._early_episode(rng, p, d + dt.timedelta(days=rng.randint(10, 40)), life, state)

    def _long_spell(self, rng: random.Random, p: Person, d: dt.date, b: dt.date, life: Life,
                    state: dict) -> dt.date | None:
        rows = life.absences
        lo, hi, _ = rng.choices(self._bands, weights=[band[2] for band in self._bands])[0]
        length = rng.randint(int(lo), int(hi))
        end = d + dt.timedelta(days=length - 1)
        # a long spell replaces planned vacation and parental leave it runs into
        rows[:] = [r for r in rows if not (d < r.start <= end)]
        segments = [(d, end, 100)]
        if length >= 30 and rng.random() < self.ab["long_partial_probability"]:
            first = d + dt.timedelta(days=int(length * rng.uniform(0.3, 0.6)))
            ext = rng.choice((75, 50, 50, 25))
            segments = [(d, first, 100), (first + dt.timedelta(days=1), end, ext)]
            if ext > 25 and length >= 90 and rng.random() < 0.5:
                second = first + dt.timedelta(days=int((end - first).days * 0.6))
                segments = [segments[0], (first + dt.timedelta(days=1), second, ext),
                            (second + dt.timedelta(days=1), end, 25)]
        result: dt.date | None = end
        for s, e, ext in segments:
            if s > self.end_date:
                break
            if e > self.end_date:  # still ongoing on the end date: the export has no end yet
                rows.append(Absence("SJK", s, None, ext))
                result = None
                break
            rows.append(Absence("SJK", s, e, ext))
        if length >= int(self.iv["long_min_days"]) and rng.random() < self.iv["long_offer_probability"]:
            self._long_episode(rng, p, d + dt.timedelta(days=rng.randint(15, 45)), life, state)
        return result

    # --- FHV services ---------------------------------------------------------------------------------------------
    def _provider(self, rng: random.Random, p: Person) -> str:
        return str(_weighted(rng, p.employer.providers))

    def _add(self, rng: random.Random, life: Life, provider: str, type_: str, d: dt.date,
             quantity: int = 1, pick: bool = False) -> dt.date | None:
        options = self.w.services_of_type(provider, type_)
        if not options:
            return None  # this provider does not sell it (B has no rehab coordinator, for example)
        service: Service = rng.choice(options) if pick else options[0]
        while d.weekday() >= 5:  # FHV works office days
            d += dt.timedelta(days=1)
        life.services.append(ServiceEvent(d, provider, service.code, quantity, rng.choice(service.competences)))
        return d

    def _start_effect(self, state: dict, d: dt.date | None) -> None:
        if d is not None and d <= self.end_date:
            state["effect_from"] = d

    def _early_episode(self, rng: random.Random, p: Person, d: dt.date, life: Life, state: dict) -> None:
        prov = self._provider(rng, p)
        if rng.random() < 0.5:
            self._add(rng, life, prov, "health_talk", d)
            d += dt.timedelta(days=rng.randint(7, 21))
        first = self._add(rng, life, prov, "assessment", d)
        tp = d + dt.timedelta(days=rng.randint(7, 21))
        self._add(rng, life, prov, "three_party_meeting", tp)
        if rng.random() < 0.7:
            self._add(rng, life, prov, "action_plan", tp + dt.timedelta(days=rng.randint(0, 14)))
        if rng.random() < 0.4:
            s = tp
            for _ in range(rng.randint(2, 5)):
                s += dt.timedelta(days=rng.randint(7, 14))
                self._add(rng, life, prov, "supportive_talks", s)
        if rng.random() < 0.1:
            self._add(rng, life, prov, "group_activity", tp + dt.timedelta(days=rng.randint(14, 60)))
        self._start_effect(state, first)

    def _long_episode(self, rng: random.Random, p: Person, d: dt.date, life: Life, state: dict) -> None:
        prov = self._provider(rng, p)
        self._add(rng, life, prov, "rehab_coordination", d, quantity=rng.randint(1, 3))
        first = None
        if rng.random() < 0.4:
            first = self._add(rng, life, prov, "assessment", d + dt.timedelta(days=rng.randint(0, 14)), pick=True)
        tp = d + dt.timedelta(days=rng.randint(7, 21))
        self._add(rng, life, prov, "three_party_meeting", tp)
        first = min(first, tp) if first else tp
        self._add(rng, life, prov, "action_plan", tp + dt.timedelta(days=rng.randint(0, 10)))
        if rng.random() < 0.35:
            s = tp
            for _ in range(rng.randint(3, 8)):
                s += dt.timedelta(days=7)
                self._add(rng, life, prov, "treatment", s)
        if rng.random() < 0.3:
            s = tp
            for _ in range(rng.randint(3, 6)):
                s += dt.timedelta(days=rng.randint(7, 14))
                self._add(rng, life, prov, "supportive_talks", s)
        if rng.random() < 0.2:
            self._add(rng, life, prov, "workplace_assessment", tp + dt.timedelta(days=rng.randint(14, 40)))
        self._start_effect(state, first)

    def _background_services(self, rng: random.Random, life: Life, a: dt.date, b: dt.date) -> None:
        """Health talks to anyone and provider C's consultations: no trigger, no effect."""
        p = life.person
        span = (b - a).days + 1
        years = span / DAYS_PER_YEAR
        for _ in range(self._poisson(rng, self.iv["health_talk_rate"] * years)):
            d = a + dt.timedelta(days=rng.randrange(span))
            self._add(rng, life, self._provider(rng, p), "health_talk", d)
        for _ in range(self._poisson(rng, self.iv["provider_c_rate"] * years)):
            d = a + dt.timedelta(days=rng.randrange(span))
            code = next(iter(self.w.services["C"]))
            svc = self.w.services["C"][code]
            life.services.append(ServiceEvent(d, "C", code, rng.randint(1, 2), rng.choice(svc.competences)))

    @staticmethod
    def _poisson(rng: random.Random, mean: float) -> int:
        n, limit, prod = 0, math.exp(-mean), rng.random()
        while prod > limit:
            n += 1
            prod *= rng.random()
        return n
