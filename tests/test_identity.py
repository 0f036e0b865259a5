"""Personnummer, samordningsnummer and organisation numbers against the real edge cases of personnummer/meta."""

from __future__ import annotations

import datetime as dt
import json
import random

import pytest

from frisk.identity import (
    IdentityError,
    Pseudonymiser,
    looks_like_personnummer,
    mask_personnummer,
    parse_personnummer,
    validate_org_number,
)
from tests.conftest import FIXTURES

CASES = json.loads((FIXTURES / "personnummer" / "list.json").read_text())
ORGS = json.loads((FIXTURES / "personnummer" / "orgnumber.json").read_text())
INTERIM = json.loads((FIXTURES / "personnummer" / "interim.json").read_text())
TODAY = dt.date(2026, 11, 22)
FORMS = ("long_format", "short_format", "separated_format", "separated_long")


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c['type']}-{c['valid']}-{c['integer']}")
def test_every_form_of_the_real_edge_cases(case: dict) -> None:
    results = []
    for form in FORMS:
        value = case[form]
        if case["valid"]:
            person = parse_personnummer(value, TODAY)
            assert person.sex == ("M" if case["isMale"] else "K")
            assert person.is_coordination_number == (case["type"] == "con")
            results.append(person.normalised)
        else:
            with pytest.raises(IdentityError) as err:
                parse_personnummer(value, TODAY)
            digits = value.replace("-", "").replace("+", "")
            assert digits[-10:] not in str(err.value), "the error message must never hold the number"
    if case["valid"]:
        # every form that carries the century or a separator normalises to the same 12 digits (so the same
        # person key); the bare 10-digit form assumes under 100, as the separator '-' would
        assert {results[0], results[2], results[3]} == {case["long_format"]}
        if case["separated_format"][6] == "-":
            assert results[1] == case["long_format"]


def test_plus_means_a_hundred_or_older() -> None:
    old = next(c for c in CASES if c["valid"] and "+" in c["separated_format"])
    young = next(c for c in CASES if c["valid"] and c["long_format"].startswith("20"))
    assert parse_personnummer(old["separated_format"], TODAY).birth_year == int(old["long_format"][:4])
    with pytest.raises(IdentityError):
        parse_personnummer(young["separated_long"].replace("-", "+"), TODAY)


def test_organisation_numbers_are_not_personnummer() -> None:
    for org in ORGS:
        assert validate_org_number(org["separated_format"]) == org["short_format"]
        with pytest.raises(IdentityError):
            parse_personnummer(org["short_format"], TODAY)


def test_invalid_organisation_numbers() -> None:
    for bad in ("212000-1356", "123", "5560360793x", "1" * 10):
        with pytest.raises(ValueError):
            validate_org_number(bad)
    assert validate_org_number("212000-0142") == "2120000142"  # Stockholms stad
    assert validate_org_number("16212000-0142") == "2120000142"


def test_interim_numbers_are_rejected_clearly() -> None:
    for case in INTERIM[:5]:
        with pytest.raises(IdentityError, match="wrong form"):
            parse_personnummer(case["separated_long"], TODAY)


def test_person_key_is_keyed_and_stable() -> None:
    old = next(c for c in CASES if c["valid"] and "+" in c["separated_format"])
    a = Pseudonymiser(b"k1", TODAY)
    b = Pseudonymiser(b"k2", TODAY)
    key1, person = a.pseudonymise(old["separated_long"])
    key2, _ = a.pseudonymise(old["separated_format"])
    assert key1 == key2 and len(key1) == 64
    assert b.pseudonymise(old["separated_format"])[0] != key1
    assert old["long_format"][-4:] not in repr(person)


def test_scanner_and_mask() -> None:
    old = next(c for c in CASES if c["valid"] and "+" in c["separated_format"])
    assert looks_like_personnummer(f"row 4: {old['separated_long']} was late")
    assert not looks_like_personnummer("order 2024-0105-12")
    assert mask_personnummer(f"pnr {old['separated_format']} bad") == "pnr <personnummer> bad"


def test_the_loaders_fast_path_agrees_with_pseudonymise() -> None:
    """`pseudonymise_fields` (the payroll hot path) gives what `pseudonymise` gives, and fails where it fails."""
    p = Pseudonymiser(b"k1", TODAY)
    for case in CASES:
        for form in FORMS:
            value = case[form]
            try:
                key, person = p.pseudonymise(value)
            except IdentityError as exc:
                with pytest.raises(IdentityError) as err:
                    p.pseudonymise_fields(value)
                assert str(err.value) == str(exc)
            else:
                assert p.pseudonymise_fields(value) == (key, person.birth_year, person.sex,
                                                        person.is_coordination_number)


def test_the_ten_digit_luhn_table_agrees_with_the_loop() -> None:
    from frisk.identity import _luhn10, luhn_ok

    rng = random.Random(11)
    numbers = [f"{rng.randrange(10 ** 10):010d}" for _ in range(20_000)]
    numbers += [c["short_format"] for c in CASES if len(c["short_format"]) == 10 and c["short_format"].isdigit()]
    numbers += ["\u0661" * 10, "12345\u0665789" + "0"]  # non-ASCII digits
    assert [_luhn10(n) for n in numbers] == [luhn_ok(n) for n in numbers]
    assert sum(map(_luhn10, numbers)) > 1_000  # about a tenth pass: both sides of the check are exercised
