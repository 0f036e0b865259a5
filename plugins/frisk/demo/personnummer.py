"""Synthetic personnummer and samordningsnummer for the demo world.

Birth numbers are drawn only from 980-999, the range Skatteverket uses for its published test personnummer
(to our knowledge never issued to real people), so a demo number should not point at a real person. The check
digit is a correct Luhn digit and the second-to-last digit carries the legal sex (odd men, even women), so the
numbers pass `frisk.identity.parse_personnummer` like real ones.
"""

from __future__ import annotations

import datetime as dt
import random

TEST_SERIAL_FIRST = 98  # birth numbers 980-999: first two digits 98 or 99, third digit carries the sex
TEST_SERIAL_LAST = 99


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


class NumberIssuer:
    """Hands out unique synthetic numbers. Remembers issued numbers as ints (~30 bytes each), so memory stays
    small even at 50,000 people; a full birth date (10 numbers per sex) moves the birth date by a day."""

    def __init__(self) -> None:
        self._issued: set[int] = set()

    def issue(self, rng: random.Random, birth: dt.date, sex: str, coordination: bool = False) -> tuple[str, dt.date]:
        for _ in range(400):
            tens = rng.randint(TEST_SERIAL_FIRST, TEST_SERIAL_LAST)
            last = rng.randrange(1 if sex == "M" else 0, 10, 2)  # odd for men, even for women
            number = make_number(birth, tens * 10 + last, coordination)
            key = int(number)
            if key not in self._issued:
                self._issued.add(key)
                return number, birth
            birth += dt.timedelta(days=1)
        raise RuntimeError("no free synthetic personnummer near this birth date")


def with_dash(number: str) -> str:
    """YYYYMMDD-NNNC, the form most Swedish exports print."""
    return f"{number[:8]}-{number[8:]}"
