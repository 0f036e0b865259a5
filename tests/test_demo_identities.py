"""The demo generator's synthetic identities: test-range only, unique, valid, and how a full birth date is handled.

No number is typed here: every value comes from the generator and is checked with `frisk.identity`.
"""

from __future__ import annotations

import datetime as dt
import random

import pytest

from frisk.demo import MAX_EMPLOYEES, generate
from frisk.demo.personnummer import NEAR_DAYS, SLOTS, NumberIssuer, make_number
from frisk.identity import parse_personnummer

TODAY = dt.date(2025, 6, 10)
BIRTH = dt.date(1975, 3, 14)


def _check(number: str, sex: str) -> tuple[dt.date, bool]:
    person = parse_personnummer(number, today=TODAY)
    assert 980 <= int(number[8:11]) <= 999  # Skatteverket's test range only
    assert person.sex == sex
    day = int(number[6:8]) - (60 if person.is_coordination_number else 0)
    return dt.date(int(number[:4]), int(number[4:6]), day), person.is_coordination_number


def test_make_number_is_valid_for_both_kinds() -> None:
    for serial in range(980, 1000):
        sex = "M" if serial % 2 else "K"
        for coordination in (False, True):
            birth, is_coord = _check(make_number(BIRTH, serial, coordination), sex)
            assert birth == BIRTH and is_coord is coordination


def test_a_full_birth_date_moves_to_the_nearest_date_with_a_free_personnummer() -> None:
    issuer, rng = NumberIssuer(), random.Random(1)
    seen = set()
    for _ in range(3 * SLOTS):
        number, birth = issuer.issue(rng, BIRTH, "K")
        assert number not in seen
        seen.add(number)
        assert _check(number, "K") == (birth, False)  # personnummer, and the returned birth date is the number's
        assert abs((birth - BIRTH).days) <= 1
    assert sum(n[:8] == f"{BIRTH:%Y%m%d}" for n in seen) == SLOTS
    assert issuer.shifted == 2 * SLOTS and issuer.coordination_for_capacity == 0


def test_samordningsnummer_only_when_the_personnummer_near_the_date_are_taken() -> None:
    issuer, rng = NumberIssuer(max_shift_days=NEAR_DAYS), random.Random(2)
    lo, hi = BIRTH - dt.timedelta(days=NEAR_DAYS), BIRTH + dt.timedelta(days=NEAR_DAYS)
    dates = (hi - lo).days + 1
    kinds = []
    for _ in range(2 * SLOTS * dates):
        number, birth = issuer.issue(rng, BIRTH, "M", earliest=lo, latest=hi)
        got, coordination = _check(number, "M")
        assert got == birth and lo <= birth <= hi
        kinds.append(coordination)
    assert kinds == [False] * SLOTS * dates + [True] * SLOTS * dates
    assert issuer.coordination_for_capacity == SLOTS * dates
    with pytest.raises(RuntimeError, match="test ranges"):  # every test number near the date is taken
        issuer.issue(rng, BIRTH, "M", earliest=lo, latest=hi)
    issuer.issue(rng, BIRTH, "K", earliest=lo, latest=hi)  # the other sex has its own numbers


def test_a_drawn_samordningsnummer_stays_one_while_there_is_room() -> None:
    issuer, rng = NumberIssuer(), random.Random(3)
    for _ in range(SLOTS):
        number, birth = issuer.issue(rng, BIRTH, "K", coordination=True)
        assert _check(number, "K") == (BIRTH, True) and birth == BIRTH
    assert issuer.coordination_for_capacity == 0


def test_generate_refuses_more_people_than_the_test_ranges_hold(tmp_path) -> None:
    with pytest.raises(ValueError, match="test ranges"):
        generate(tmp_path, employees=MAX_EMPLOYEES + 1, years=1)
    assert not any(tmp_path.iterdir())
