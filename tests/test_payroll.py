"""Payroll ingest on real files: both dialects, every encoding, every kind of bad row and bad file, idempotency."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import logging
import re
from pathlib import Path

import psycopg
import pytest

from frisk.payroll import load_path, load_pending
from tests.conftest import FIXTURES, TEST_KEY

PAYROLL = FIXTURES / "payroll"
PNR_CASES = json.loads((FIXTURES / "personnummer" / "list.json").read_text())
INTERIM = json.loads((FIXTURES / "personnummer" / "interim.json").read_text())
ORGS = json.loads((FIXTURES / "personnummer" / "orgnumber.json").read_text())
CANONICAL_ABSENCE_HEADER = ("employer_org_number,personnummer,employment_id,absence_cause,from_date,to_date,"
                            "extent_pct,hours")
SV_ABSENCE_HEADER = "Personnummer;Anst.nr;Frånvaroorsak;Datum from;Datum tom;Omfattning;Timmar"
# public test numbers from personnummer/meta (tests/fixtures/personnummer/list.json), never typed into test code
_META = json.loads((Path(__file__).parent / "fixtures" / "personnummer" / "list.json").read_text())
L1, L4, L6 = (_META[i]["long_format"] for i in (1, 4, 6))  # '+' (100 or older), a man, a samordningsnummer
P4, P8 = _META[4]["separated_long"], _META[8]["separated_long"]
S6 = _META[6]["separated_format"]

EMPLOYER = "2120009903"


def _key(normalised: str) -> str:
    return hmac.new(TEST_KEY.encode(), normalised.encode(), hashlib.sha256).hexdigest()


def _land(env: Path, name: str, data: bytes | str) -> Path:
    path = env / "data" / "landing" / "payroll" / name
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


def _copy_fixture(env: Path, name: str, as_name: str | None = None) -> Path:
    return _land(env, as_name or name, (PAYROLL / name).read_bytes())


def _all(url: str, sql: str, *args) -> list[tuple]:
    with psycopg.connect(url) as conn:
        return conn.execute(sql, args).fetchall()


def _one(url: str, sql: str, *args):
    return _all(url, sql, *args)[0][0]


# --- both dialects, good and bad rows ------------------------------------------------------------------------

def test_canonical_absence_rows_and_quarantine(warehouse: str, frisk_env: Path) -> None:
    r = load_path(_copy_fixture(frisk_env, "canonical_absence.csv"), run_id="t1")
    assert (r.status, r.entity, r.rows_read, r.rows_loaded, r.rows_quarantined) == ("loaded", "absence", 19, 7, 12)
    assert Path(r.moved_to).parent == frisk_env / "data" / "archive" / "payroll"

    quarantined = dict(((line, (field, reason)) for line, field, reason in _all(
        warehouse, "select line_no, field, reason from quarantine.rows where batch_id = %s", r.batch_id)))
    expected_fields = {9: "personnummer", 10: "employer_org_number", 11: "from_date", 12: "to_date",
                       13: "extent_pct", 14: "extent_pct", 15: "employment_id", 16: None, 17: None, 18: None,
                       19: "personnummer", 20: "personnummer"}
    assert {line: field for line, (field, _) in quarantined.items()} == expected_fields
    assert "check digit" in quarantined[9][1]
    assert "2024-02-30" in quarantined[11][1] and "not a valid date" in quarantined[11][1]
    assert "before" in quarantined[12][1]
    assert "0 %" in quarantined[13][1] and "150 %" in quarantined[14][1]
    assert quarantined[15][1] == "employment_id is empty"
    # the same row twice, and the same person written in another form: duplicates of line 2
    assert quarantined[16][1].startswith("duplicate of line 2") and quarantined[18][1].startswith("duplicate of line 2")
    assert quarantined[17][1] == "expected 8 fields separated by ',', found 5"
    assert quarantined[19][1] == "personnummer is empty"

    rows = _all(warehouse, """select line_no, employer_org_number, person_key, employment_id, absence_cause_code,
                                     absence_category, cause_is_known, from_date, to_date, extent_pct, hours
                              from raw.payroll_absence where batch_id = %s order by line_no""", r.batch_id)
    assert [x[0] for x in rows] == [2, 3, 4, 5, 6, 7, 8]
    assert {x[1] for x in rows} == {EMPLOYER}
    by_line = {x[0]: x for x in rows}
    assert by_line[2][2] == by_line[3][2] == _key(L4)  # same person, 13 vs 12 characters
    assert by_line[4][2] == _key(L6)  # samordningsnummer
    assert by_line[7][2] == _key(L1)  # '+': 100 years or older
    assert by_line[6][4:7] == ("XYZ", "unknown", False)  # unknown cause kept and flagged
    assert [x[5] for x in rows] == ["sick_leave", "child_care", "parental_leave", "vacation", "unknown",
                                    "sick_leave", "other"]
    assert by_line[4][8] is None and by_line[4][9] == 75 and by_line[4][10] is None
    assert by_line[2][7:] == (dt.date(2024, 3, 1), dt.date(2024, 3, 10), 100, 80)

    batch = _all(warehouse, """select status, dialect, delivery_key, entity, rows_read, rows_loaded,
                                      rows_quarantined, run_id from audit.batches""")
    assert batch == [("loaded", "frisk_canonical", "canonical_absence.csv", "absence", 19, 7, 12, "t1")]


def test_canonical_personnel(warehouse: str, frisk_env: Path) -> None:
    r = load_path(_copy_fixture(frisk_env, "canonical_personnel.csv"))
    assert (r.status, r.entity, r.rows_read, r.rows_loaded, r.rows_quarantined) == ("loaded", "personnel", 6, 4, 2)
    rows = _all(warehouse, """select line_no, employer_org_number, birth_year, sex, is_coordination_number,
                                     org_unit_name, sector, employment_rate_pct, weekly_hours, employment_end
                              from raw.payroll_personnel order by line_no""")
    assert rows == [
        (2, EMPLOYER, 1957, "M", False, "Hemtjänst Norr, grupp 1", "care", 100, 40, None),
        (3, EMPLOYER, 1973, "M", True, "Åsens skola", "school", 75, 30, None),
        (4, "2120009911", 1946, "K", False, "Socialkontoret", "social_services", 100, 40, dt.date(2024, 12, 31)),
        (5, "2120009911", 2000, "M", False, "Hemtjänst Norr", "care", None, None, None),  # hourly paid
    ]
    assert _all(warehouse, "select line_no, field from quarantine.rows order by line_no") == [
        (6, "org_unit_code"), (7, "employment_end")]


def test_swedish_absence_windows_1252_crlf(warehouse: str, frisk_env: Path) -> None:
    r = load_path(_copy_fixture(frisk_env, "franvaro_2120009903_2024-05.csv"))
    assert (r.status, r.rows_read, r.rows_loaded, r.rows_quarantined) == ("loaded", 12, 9, 3)
    rows = _all(warehouse, """select line_no, employer_org_number, absence_cause_code, absence_category,
                                     cause_is_known, to_date, extent_pct, hours
                              from raw.payroll_absence order by line_no""")
    assert rows == [
        (2, EMPLOYER, "Sjuk", "sick_leave", True, dt.date(2024, 5, 3), 100, 16),  # 1,000 = full time
        (3, EMPLOYER, "Sjuk", "sick_leave", True, None, 25, None),  # 0,250 and TV
        (4, EMPLOYER, "Föräldraledig", "parental_leave", True, dt.date(2024, 5, 31), 50, None),  # percent, YYYYMMDD
        (5, EMPLOYER, "VAB", "child_care", True, None, 50, 4.5),  # empty Datum tom = open-ended
        (6, EMPLOYER, "Semester", "vacation", True, dt.date(2024, 5, 24), 100, 40),
        (7, EMPLOYER, "Övrigt", "other", True, dt.date(2024, 5, 1), 75, 6),
        (8, EMPLOYER, "Kompledigt", "unknown", False, dt.date(2024, 5, 1), 100, 8),
        (9, EMPLOYER, "sjuk", "sick_leave", True, dt.date(2024, 5, 16), 100, None),
        (13, EMPLOYER, "Sjuk", "sick_leave", True, None, 25, None),  # 25,0 percent, lower-case tv
    ]
    assert _all(warehouse, "select line_no, field from quarantine.rows order by line_no") == [
        (10, "Omfattning"), (11, "Omfattning"), (12, "Datum from")]
    assert _all(warehouse, "select employer_org_number, dialect, delivery_key from audit.batches") == [
        (EMPLOYER, "sv_semikolon", "franvaro_2120009903_2024-05.csv")]


def test_swedish_personnel_utf8_bom(warehouse: str, frisk_env: Path) -> None:
    r = load_path(_copy_fixture(frisk_env, "personal_2120009903_2024-05.csv"))
    assert (r.status, r.entity, r.rows_read, r.rows_loaded, r.rows_quarantined) == ("loaded", "personnel", 6, 5, 1)
    rows = _all(warehouse, """select line_no, employer_org_number, sector, employment_rate_pct, weekly_hours,
                                     employment_end from raw.payroll_personnel order by line_no""")
    assert rows == [
        (2, EMPLOYER, "care", 100, 40, None),
        (3, EMPLOYER, "school", 75, 30, None),  # 0,75 of full time
        (4, EMPLOYER, "social_services", 100, 40, dt.date(2024, 12, 31)),
        (5, EMPLOYER, "Kulturförvaltningen", 50, 20, None),  # unmapped sector kept as delivered; TV end
        (6, EMPLOYER, "care", None, None, None),
    ]
    assert _all(warehouse, "select line_no, field, reason from quarantine.rows") == [
        (7, "Personnummer", "personnummer check digit is wrong")]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252"])
@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_every_encoding_and_line_end_gives_the_same_rows(warehouse: str, frisk_env: Path, encoding: str,
                                                         newline: str) -> None:
    text = (PAYROLL / "franvaro_2120009903_2024-05.csv").read_bytes().decode("cp1252").replace("\r\n", "\n")
    path = _land(frisk_env, "franvaro_2120009903_x.csv", text.replace("\n", newline).encode(encoding))
    r = load_path(path)
    assert (r.status, r.rows_loaded, r.rows_quarantined) == ("loaded", 9, 3)
    codes = [c for (c,) in _all(warehouse, "select absence_cause_code from raw.payroll_absence order by line_no")]
    assert codes == ["Sjuk", "Sjuk", "Föräldraledig", "VAB", "Semester", "Övrigt", "Kompledigt", "sjuk", "Sjuk"]


# --- identity ------------------------------------------------------------------------------------------------

def test_personnummer_edge_cases(warehouse: str, frisk_env: Path) -> None:
    """Every form of every real edge case: valid ones load under the key of their 12-digit form, the rest wait
    in quarantine. Interim numbers and organisation numbers are not personnummer."""
    lines = [CANONICAL_ABSENCE_HEADER]
    expected: dict[int, str | None] = {}
    forms = ("long_format", "separated_format", "separated_long", "short_format")
    for i, case in enumerate(PNR_CASES):
        for j, form in enumerate(forms):
            # the bare 10-digit form cannot say '+': for a centenarian it is another (younger) person
            ambiguous = form == "short_format" and "+" in case["separated_format"]
            lines.append(f"{EMPLOYER},{case[form]},E{i}-{j},SJK,2024-01-01,2024-01-02,100,")
            expected[len(lines)] = _key(case["long_format"]) if case["valid"] and not ambiguous else None
    for case in INTERIM[:6] + ORGS:
        lines.append(f"{EMPLOYER},{case['separated_format']},EX,SJK,2024-01-01,2024-01-02,100,")
        expected[len(lines)] = None
    r = load_path(_land(frisk_env, "pnr.csv", "\n".join(lines) + "\n"))
    valid = {line: key for line, key in expected.items() if key}
    centenarians = [c for c in PNR_CASES if c["valid"] and "+" in c["separated_format"]]
    assert centenarians
    assert r.rows_read == len(lines) - 1 and r.rows_loaded == len(valid) + len(centenarians)
    loaded = dict(_all(warehouse, "select line_no, person_key from raw.payroll_absence"))
    assert {line: loaded[line] for line in valid} == valid
    assert all(loaded[line] not in valid.values() for line in set(loaded) - set(valid))
    fields = {f for (f,) in _all(warehouse, "select distinct field from quarantine.rows")}
    assert fields == {"personnummer"}


# --- bad files -----------------------------------------------------------------------------------------------

GOOD_ROW = f"{EMPLOYER},{P4},E1,SJK,2024-01-01,2024-01-02,100,8"
BAD_FILES = {
    "unknown_header": ("x.csv", "namn,datum,orsak\nA,2024-01-01,SJK\n", "line 1: header not recognised"),
    "missing_column": ("x.csv", CANONICAL_ABSENCE_HEADER.replace(",extent_pct", "") + "\n",
                       "missing columns ['extent_pct']"),
    "no_header": ("x.csv", GOOD_ROW + "\n", "line 1: header not recognised: the first line holds a personnummer"),
    "wrong_delimiter": ("franvaro_2120009903_a.csv", SV_ABSENCE_HEADER.replace(";", ",") + "\n",
                        "line 1: wrong delimiter: the header is separated by ',', but dialect sv_semikolon "
                        "expects ';'"),
    "not_text": ("x.csv", b"\x00\x01\x02binary\x00" * 10, "line 1 (byte offset 0): not a text file"),
    "xlsx": ("x.csv", b"PK\x03\x04" + b"\x14\x00" * 40, "line 1: not a text file: it is a ZIP archive"),
    "binary_later": ("x.csv", (CANONICAL_ABSENCE_HEADER + "\n" + GOOD_ROW + "\n").encode() + b"\x00\x00",
                     "line 3 (byte offset"),
    "truncated": ("x.csv", f"{CANONICAL_ABSENCE_HEADER}\n{GOOD_ROW}\n{EMPLOYER},{P4},E1,SJK,2024-0",
                  "line 3: truncated last line"),
    "truncated_utf8": ("x.csv", (CANONICAL_ABSENCE_HEADER + "\n" + GOOD_ROW.replace("E1", "Å")).encode()[:-8]
                       + "Å".encode()[:1], "truncated: the file ends in the middle of a UTF-8 character"),
    "empty": ("x.csv", b"", "line 1: empty file"),
    "bom_only": ("x.csv", b"\xef\xbb\xbf", "line 1: empty file"),
    "mixed_encoding": ("franvaro_2120009903_b.csv", (SV_ABSENCE_HEADER + "\n").encode("utf-8")
                       + f"{P4};E1;Föräldraledig;2024-01-01;;1;\n".encode("cp1252"),
                       "line 2 (byte offset"),
    "file_name_without_org": ("franvaro.csv", SV_ABSENCE_HEADER + "\n", "file name: dialect sv_semikolon"),
    "file_name_bad_org": ("franvaro_2120009904_c.csv", SV_ABSENCE_HEADER + "\n",
                          "file name: the organisation number in the file name is not valid"),
    "long_line": ("x.csv", CANONICAL_ABSENCE_HEADER + "\n" + "a" * (1 << 21), "line 2: longer than"),
    "unclosed_quote": ("x.csv", f'{CANONICAL_ABSENCE_HEADER}\n{GOOD_ROW}\n{EMPLOYER},"{P4},E1\n{GOOD_ROW}\n',
                       "line 3: cannot be read as CSV"),
    "stray_quote": ("x.csv", f'{CANONICAL_ABSENCE_HEADER}\n"{EMPLOYER}"x,{GOOD_ROW[11:]}\n', "line 2: cannot be read"),
}


@pytest.mark.parametrize("kind", list(BAD_FILES))
def test_unreadable_files_are_rejected(warehouse: str, frisk_env: Path, kind: str) -> None:
    name, data, message = BAD_FILES[kind]
    r = load_path(_land(frisk_env, name, data), run_id="bad")
    assert r.status == "rejected", r
    assert message in r.error
    moved = Path(r.moved_to)
    assert moved.parent == frisk_env / "data" / "rejected" / "payroll" and moved.exists()
    error_txt = moved.with_name(moved.name + ".error.txt").read_text()
    assert message in error_txt and name in error_txt
    assert not re.search(r"\d{6}[-+]?\d{4}", error_txt.split("\n", 3)[3]), "no personnummer in the error file"
    assert _one(warehouse, "select count(*) from raw.payroll_absence") == 0
    assert _one(warehouse, "select count(*) from quarantine.rows") == 0
    assert _all(warehouse, "select status, run_id, error from audit.batches") == [("rejected", "bad", r.error)]


def test_header_only_is_zero_rows(warehouse: str, frisk_env: Path) -> None:
    r = load_path(_land(frisk_env, "franvaro_2120009903_tom.csv", SV_ABSENCE_HEADER + "\r\n"))
    assert (r.status, r.rows_read, r.rows_loaded, r.rows_quarantined) == ("loaded", 0, 0, 0)


def test_last_line_without_line_break_is_fine_when_complete(warehouse: str, frisk_env: Path) -> None:
    r = load_path(_land(frisk_env, "x.csv", f"{CANONICAL_ABSENCE_HEADER}\n{GOOD_ROW}\n{GOOD_ROW.replace('E1', 'E2')}"))
    assert (r.status, r.rows_loaded) == ("loaded", 2)
    # a bad middle row is quarantined, not a reason to reject the file; blank lines are not rows
    r = load_path(_land(frisk_env, "y.csv", f"{CANONICAL_ABSENCE_HEADER}\n{GOOD_ROW[:30]}\n\n{GOOD_ROW}\n\n"))
    assert (r.status, r.rows_read, r.rows_loaded, r.rows_quarantined) == ("loaded", 2, 1, 1)


# --- loading once --------------------------------------------------------------------------------------------

def _snapshot(url: str) -> tuple:
    return (_all(url, "select * from raw.payroll_absence order by batch_id, line_no"),
            _all(url, "select batch_id, line_no, field, reason, record from quarantine.rows order by 1, 2"),
            _all(url, "select batch_id, status, rows_read, rows_loaded from audit.batches where status = 'loaded'"))


def test_same_file_twice_changes_nothing(warehouse: str, frisk_env: Path) -> None:
    first = load_path(_copy_fixture(frisk_env, "canonical_absence.csv"))
    before = _snapshot(warehouse)
    again = load_path(_copy_fixture(frisk_env, "canonical_absence.csv"))
    assert (first.status, again.status) == ("loaded", "skipped")
    assert again.rows_loaded == again.rows_quarantined == 0
    assert _snapshot(warehouse) == before
    assert not (frisk_env / "data" / "landing" / "payroll" / "canonical_absence.csv").exists()  # archived


def test_corrected_file_with_the_same_name_is_a_new_batch(warehouse: str, frisk_env: Path) -> None:
    name = "franvaro_2120009903_2024-05.csv"
    first = load_path(_land(frisk_env, name, f"{SV_ABSENCE_HEADER}\n{P4};E1;Sjuk;2024-05-02;;0,5;\n"))
    fixed = load_path(_land(frisk_env, name, f"{SV_ABSENCE_HEADER}\n{P4};E1;Sjuk;2024-05-02;;1,0;\n"))
    assert (first.status, fixed.status) == ("loaded", "loaded") and first.batch_id != fixed.batch_id
    assert _all(warehouse, "select delivery_key, count(*) from audit.batches group by 1") == [(name, 2)]
    assert _all(warehouse, "select batch_id, extent_pct from raw.payroll_absence order by 1") == [
        (first.batch_id, 50), (fixed.batch_id, 100)]  # raw keeps the history; staging keeps the latest


def test_load_pending_loads_every_file_and_counts_add_up(warehouse: str, frisk_env: Path) -> None:
    for name in ("canonical_absence.csv", "canonical_personnel.csv", "franvaro_2120009903_2024-05.csv",
                 "personal_2120009903_2024-05.csv"):
        _copy_fixture(frisk_env, name)
    _land(frisk_env, "broken.csv", "what;is;this\n")
    _land(frisk_env, "notes.pdf.part", "still arriving")
    results = load_pending(run_id="run-1")
    assert [(x["file_name"], x["status"]) for x in results] == [
        ("broken.csv", "rejected"), ("canonical_absence.csv", "loaded"), ("canonical_personnel.csv", "loaded"),
        ("franvaro_2120009903_2024-05.csv", "loaded"), ("personal_2120009903_2024-05.csv", "loaded")]
    for x in results:
        assert x["rows_read"] == x["rows_loaded"] + x["rows_quarantined"]
    loaded = _one(warehouse, "select count(*) from raw.payroll_absence") + _one(
        warehouse, "select count(*) from raw.payroll_personnel")
    assert loaded == sum(x["rows_loaded"] for x in results) == 7 + 4 + 9 + 5
    assert _one(warehouse, "select count(*) from quarantine.rows") == sum(x["rows_quarantined"] for x in results)
    assert _one(warehouse, "select count(distinct run_id) from audit.batches") == 1
    assert [p.name for p in (frisk_env / "data" / "landing" / "payroll").iterdir()] == ["notes.pdf.part"]


# --- privacy -------------------------------------------------------------------------------------------------

def _fixture_numbers() -> set[str]:
    """The 10-digit core of every personnummer-shaped value in the payroll fixtures."""
    found = set()
    for path in PAYROLL.glob("*.csv"):
        for m in re.finditer(r"(?<!\d)(?:19|20)?(\d{6})[-+]?(\d{4})(?!\d)", path.read_bytes().decode("cp1252")):
            if 1 <= int(m[1][2:4]) <= 12:  # valid or not, but not the employers' organisation numbers
                found.add(m[1] + m[2])
    return found


def test_no_clear_personnummer_anywhere(warehouse: str, frisk_env: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    for path in PAYROLL.glob("*.csv"):
        _copy_fixture(frisk_env, path.name)
    # a rejected file full of personnummer, and a misaligned row that puts one in an unexpected column
    _land(frisk_env, "a_broken.csv", f"{P4};{S6}\n{P8}\n")
    _land(frisk_env, "b_shifted.csv", f"{CANONICAL_ABSENCE_HEADER}\n{EMPLOYER},E1,{P4.replace('-', ' ')},SJK\n")
    results = load_pending()
    assert sum(x["rows_quarantined"] for x in results) > 15

    numbers = _fixture_numbers()
    assert len(numbers) == 7

    def clean(text: str) -> bool:
        digits = re.sub(r"[-+ ]", "", text)
        return not any(n in digits for n in numbers)

    dumps = []
    with psycopg.connect(warehouse) as conn:
        for table in ("raw.payroll_absence", "raw.payroll_personnel", "quarantine.rows", "audit.batches"):
            dumps += [str(row) for row in conn.execute(f"select * from {table}")]
    assert len(dumps) > 40
    bad = [d for d in dumps if not clean(d)]
    assert not bad, "clear personnummer stored"
    for folder in ("rejected", "archive"):
        for p in (frisk_env / "data" / folder / "payroll").glob("*.error.txt"):
            assert clean(p.read_text())
    assert any("payroll" in r.name for r in caplog.records)
    assert clean(caplog.text)


# --- configuration -------------------------------------------------------------------------------------------

def test_duplicates_found_in_sql_alone_when_the_file_is_too_large_to_track(
        warehouse: str, frisk_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from frisk.payroll import parse

    monkeypatch.setattr(parse, "MAX_TRACKED_ROWS", 3)  # the row-hash set gives up after three rows
    r = load_path(_copy_fixture(frisk_env, "canonical_absence.csv"))
    assert (r.rows_loaded, r.rows_quarantined) == (7, 12)
    assert _all(warehouse, "select line_no, reason from quarantine.rows where field is null and line_no <> 17") == [
        (16, "duplicate of line 2 (every value is the same)"), (18, "duplicate of line 2 (every value is the same)")]


NEW_MUNICIPALITY = """
name: tab_kommun
description: a municipality exporting tab-separated files with its own column names
delimiter: "\\t"
decimal_separator: ","
date_formats: ["%d.%m.%Y"]
open_end_values: ["", "-"]
extent: {scale: percent}
employer_org_number: {from: column}
entities:
  absence:
    employer_org_number: Arbetsgivare
    personnummer: Pnr
    employment_id: Anstnr
    absence_cause: Kod
    from_date: Från
    to_date: Till
    extent_pct: Procent
causes:
  S1: sick_leave
  SX: [{category: sick_leave, valid_to: 2023-12-31}, {category: other, valid_from: 2024-01-01}]
"""


def test_a_new_municipality_is_a_new_yaml_file(warehouse: str, frisk_env: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    site = frisk_env / "dialects"
    site.mkdir()
    (site / "tab_kommun.yml").write_text(NEW_MUNICIPALITY, encoding="utf-8")
    monkeypatch.setenv("FRISK_PAYROLL_DIALECTS_DIR", str(site))
    text = ("Arbetsgivare\tPnr\tAnstnr\tKod\tFrån\tTill\tProcent\n"
            f"{EMPLOYER}\t{P4}\t1\tS1\t02.01.2024\t-\t50\n"
            f"{EMPLOYER}\t{P4}\t1\tSX\t15.12.2023\t20.12.2023\t100\n"  # code valid until 2023
            f"{EMPLOYER}\t{P4}\t1\tSX\t15.01.2024\t20.01.2024\t100\n")  # and re-purposed from 2024
    r = load_path(_land(frisk_env, "export.txt", text))
    assert (r.status, r.rows_loaded) == ("loaded", 3)
    assert _all(warehouse, """select absence_cause_code, absence_category, from_date, to_date, extent_pct
                              from raw.payroll_absence order by line_no""") == [
        ("S1", "sick_leave", dt.date(2024, 1, 2), None, 50),
        ("SX", "sick_leave", dt.date(2023, 12, 15), dt.date(2023, 12, 20), 100),
        ("SX", "other", dt.date(2024, 1, 15), dt.date(2024, 1, 20), 100)]
    assert _one(warehouse, "select dialect from audit.batches") == "tab_kommun"


def test_a_broken_dialect_file_is_named(frisk_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from frisk.payroll.causes import ConfigError
    from frisk.payroll.dialects import load_dialects

    site = frisk_env / "dialects"
    site.mkdir()
    (site / "broken.yml").write_text(NEW_MUNICIPALITY.replace("sick_leave\n  SX", "sjuk\n  SX"), encoding="utf-8")
    monkeypatch.setenv("FRISK_PAYROLL_DIALECTS_DIR", str(site))
    with pytest.raises(ConfigError, match=r"broken.yml: causes.S1: category 'sjuk' is not one of"):
        load_dialects()


def test_iso_dates_read_directly_agree_with_strptime() -> None:
    """The fast path for ISO dates gives strptime's date, and fails (ValueError) where strptime fails."""
    from frisk.payroll.values import _to_date

    values = ["2024-02-29", "2023-02-29", "2024-13-01", "2024-00-10", "0000-01-01", "9999-12-31", "2024-1-5",
              "2024-01-05x", "20240105", "2024/01/05", "1900-01-01", "２０２４-01-01"]
    for value in values:
        for fmt in ("%Y-%m-%d", "%Y%m%d"):
            try:
                expected = dt.datetime.strptime(value, fmt).date()
            except ValueError:
                with pytest.raises(ValueError):
                    _to_date(value, fmt)
            else:
                assert _to_date(value, fmt) == expected


def test_bundled_dialects_read_the_same_with_libyaml_and_pure_python() -> None:
    """The dialects are parsed with libyaml's loader when PyYAML has it; both loaders read the same documents."""
    import yaml

    from frisk.payroll import dialects

    paths = sorted(dialects.BUNDLED_DIR.glob("*.y*ml"))
    assert len(paths) >= 2
    for path in paths:
        text = path.read_text(encoding="utf-8")
        assert yaml.load(text, Loader=dialects._SAFE_LOADER) == yaml.load(text, Loader=yaml.SafeLoader), path.name
