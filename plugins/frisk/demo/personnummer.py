"""Synthetic personnummer and samordningsnummer for the demo world.

Birth numbers are drawn only from 980-999, the range Skatteverket uses for its published test personnummer and
test samordningsnummer (to our knowledge never issued to real people), so a demo number should not point at a
real person. The check digit is a correct Luhn digit and the third digit of the birth number carries the legal
sex (odd men, even women), so the numbers pass `frisk.identity.parse_personnummer` like real ones.

Capacity. The test range gives 10 personnummer and 10 samordningsnummer (day of birth + 60) per sex and birth
date. A real municipality has a few percent of employees with a samordningsnummer; the simulation draws that share
(`COORDINATION_SHARE`) whatever the size. When every personnummer for a person's sex near their birth date is
taken (only in very large worlds), the issuer moves the birth date to the nearest date with a free personnummer
within `NEAR_DAYS`, then to the nearest free samordningsnummer within `NEAR_DAYS`, and only then to the nearest
free number of either kind within `max_shift_days` (two years by default, so the age distribution stays close to
the simulated one). When even that finds nothing, it stops with an error that says so; see `capacity_note`.
"""

from __future__ import annotations

import datetime as dt
import random

TEST_SERIAL_FIRST = 98  # birth numbers 980-999: first two digits 98 or 99, third digit carries the sex
TEST_SERIAL_LAST = 99
# per sex, kind and birth date: the 10 birth numbers 980-999 whose last digit has the sex's parity
_SERIALS = {sex: tuple(t * 10 + d for t in (TEST_SERIAL_FIRST, TEST_SERIAL_LAST) for d in range(first, 10, 2))
            for sex, first in (("K", 0), ("M", 1))}
SLOTS = 10
_FULL = (1 << SLOTS) - 1
COORDINATION_SHARE = 0.02  # employees with a samordningsnummer in a typical municipality: a few percent
NEAR_DAYS = 90  # a birth date moved this far keeps a personnummer before a samordningsnummer is used instead
MAX_SHIFT_DAYS = 730
# Measured with seeds 7 and 11 and 1-10 years: the issuer runs out at about 238,000-246,000 people (women's numbers
# at the most common birth dates are the limit). `generate()` refuses more than this up front.
MAX_EMPLOYEES = 225_000


def luhn_digit(nine: str) -> str:
    """The check digit that makes `nine` + digit Luhn-valid (weights 2,1,2,1,... from the left)."""
    total = 0
    for i, ch in enumerate(nine):
        v = int(ch) * (2 if i % 2 == 0 else 1)
        total += v - 9 if v > 9 else v
    return str((10 - total % 10) % 10)


def make_number(birth: dt.date, serial: int, coordination: bool = False) -> str:
    """12-digit YYYYMMDDNNNC; `coordination` adds 60 to the day (samordningsnummer)."""
    day = birth.day + (60 if coordination else 0)
    yymmdd = f"{birth.year % 100:02d}{birth.month:02d}{day:02d}"
    nnn = f"{serial:03d}"
    return f"{birth.year:04d}{birth.month:02d}{day:02d}{nnn}{luhn_digit(yymmdd + nnn)}"


def corrupt_check_digit(number: str) -> str:
    """The same number with a wrong check digit: data-entry noise that validation must catch."""
    wrong = (int(number[-1]) + 1 + int(number[-2]) % 8) % 10
    return number[:-1] + str(wrong)


def capacity_note() -> str:
    return ("Skatteverket's test ranges hold 10 personnummer and 10 samordningsnummer per sex and birth date; with "
            f"about 80 % women of working age the demo world holds at most {MAX_EMPLOYEES:,} distinct employees")


class NumberIssuer:
    """Hands out unique synthetic numbers, nearest to the wanted birth date.

    Memory: one small int (a bit per birth number) per used (birth date, sex, kind), at most about 20,000 dates x 4,
    whatever the number of people; full dates are skipped with path-compressed pointers (union-find), so finding
    the nearest free date stays fast when whole years are full.
    """

    def __init__(self, max_shift_days: int = MAX_SHIFT_DAYS) -> None:
        self._max_shift = max_shift_days
        self._used: dict[tuple[int, str, bool], int] = {}
        self._right: dict[tuple[int, str, bool], int] = {}  # full date -> a later date that may be free
        self._left: dict[tuple[int, str, bool], int] = {}
        self.shifted = 0  # people whose birth date was moved
        self.coordination_for_capacity = 0  # samordningsnummer given only because the personnummer were taken

    def _find(self, links: dict, day: int, sex: str, coordination: bool) -> int:
        """The first date from `day` in the links' direction that still has a free number (path compression)."""
        path = []
        key = (day, sex, coordination)
        while key in links:
            path.append(key)
            key = (links[key], sex, coordination)
        for k in path:
            links[k] = key[0]
        return key[0]

    def _nearest(self, rng: random.Random, day: int, sex: str, coordination: bool, limit: int,
                 bounds: tuple[int, int]) -> int | None:
        right = self._find(self._right, day, sex, coordination)
        left = self._find(self._left, day, sex, coordination)
        dr = right - day if right <= bounds[1] else None
        dl = day - left if left >= bounds[0] else None
        if dr is not None and dr > limit:
            dr = None
        if dl is not None and dl > limit:
            dl = None
        if dr is None and dl is None:
            return None
        if dl is None or (dr is not None and (dr < dl or (dr == dl and rng.random() < 0.5))):
            return right
        return left

    def _take(self, rng: random.Random, day: int, sex: str, coordination: bool) -> str:
        key = (day, sex, coordination)
        used = self._used.get(key, 0)
        free = [i for i in range(SLOTS) if not used >> i & 1]
        slot = free[0] if len(free) == 1 else free[rng.randrange(len(free))]
        used |= 1 << slot
        self._used[key] = used
        if used == _FULL:
            self._right[key] = day + 1
            self._left[key] = day - 1
        return make_number(dt.date.fromordinal(day), _SERIALS[sex][slot], coordination)

    def issue(self, rng: random.Random, birth: dt.date, sex: str, coordination: bool = False,
              earliest: dt.date = dt.date.min, latest: dt.date = dt.date.max) -> tuple[str, dt.date]:
        """(number, birth date): the wanted kind on `birth` if free, else the nearest free number (see module),
        with a birth date moved no earlier than `earliest` and no later than `latest`."""
        day = birth.toordinal()
        if (day, sex, coordination) not in self._right and earliest <= birth <= latest:  # the common case
            return self._take(rng, day, sex, coordination), birth
        bounds = (earliest.toordinal(), latest.toordinal())
        day = min(max(day, bounds[0]), bounds[1])
        for kind, limit in ((coordination, NEAR_DAYS), (not coordination, NEAR_DAYS)):
            found = self._nearest(rng, day, sex, kind, limit, bounds)
            if found is not None:
                break
        else:
            found_p = self._nearest(rng, day, sex, False, self._max_shift, bounds)
            found_c = self._nearest(rng, day, sex, True, self._max_shift, bounds)
            if found_p is None and found_c is None:
                raise RuntimeError(f"no free synthetic personnummer within {self._max_shift} days of this birth "
                                   f"date: {capacity_note()}")
            kind = found_c is not None and (found_p is None or abs(found_c - day) < abs(found_p - day))
            found = found_c if kind else found_p
        if kind and not coordination:
            self.coordination_for_capacity += 1
        if found != birth.toordinal():
            self.shifted += 1
            birth = dt.date.fromordinal(found)
        return self._take(rng, found, sex, kind), birth


def with_dash(number: str) -> str:
    """YYYYMMDD-NNNC, the form most Swedish exports print."""
    return f"{number[:8]}-{number[8:]}"
