"""A small, deterministic set of marts for the meeting-pack tests, shaped like the dbt contracts (issues 6, 7).

Two employers of group dalarna-syd. Some units are deliberately small so suppression must act:
- Frisköpings kommun (2120009903): care 30, school 20, social services 4 (primary suppression), admin 12;
- Västerby kommun (2120009911): care 15, school 8 (primary suppression), admin 11.
Employee counts are per month; hours follow a fixed rate per sector so tests can recompute any figure by SQL.
"""

from __future__ import annotations

import datetime as dt
import hashlib

import psycopg

EMP_A, EMP_B = "2120009903", "2120009911"
UNITS = {
    EMP_A: [("A-CARE", "care", 30), ("A-SCH", "school", 20), ("A-IFO", "social_services", 4),
            ("A-ADM", "administration", 12)],
    EMP_B: [("B-CARE", "care", 15), ("B-SCH", "school", 8), ("B-ADM", "administration", 11)],
}
RATES = {"care": 0.09, "school": 0.06, "social_services": 0.08, "administration": 0.04}
FIRST_MONTH, LAST_MONTH = dt.date(2023, 1, 1), dt.date(2025, 6, 1)
HOURS_PER_MONTH = 165.0
BANDS = ((1, 14, "1-14"), (15, 59, "15-59"), (60, 89, "60-89"), (90, 179, "90-179"), (180, 364, "180-364"),
         (365, None, "365+"))

DDL = """
create schema if not exists marts;
create schema if not exists intermediate;
create table meta.employers (employer_org_number text, employer_name text, kommun_code text, lan_code text,
    collaboration_group text, peers text);
create table intermediate.int_employments (employer_org_number text, employment_id text, person_key text,
    org_unit_code text, sector text);
create table marts.fct_sick_leave_monthly (employer_org_number text, org_unit_code text, month_start date,
    sex text, age_band text, employees integer, scheduled_hours numeric, sick_hours numeric,
    long_term_sick_hours numeric, spells_started integer, sick_leave_pct numeric);
create table marts.fct_sick_spells (spell_id text, employer_org_number text, person_key text, org_unit_code text,
    start_date date, end_date date, is_ongoing boolean, length_days integer, length_band text);
create table marts.fct_absence_signals (signal_id text, signal_date date, employer_org_number text,
    person_key text, signal_type text, rule_id text);
create table marts.fct_interventions (intervention_id text, employer_org_number text, person_key text,
    provider_org_number text, service_date date, intervention_type text, service_code text,
    amount_net numeric(12,2), is_cancelled boolean);
create table marts.fct_intervention_outcomes (episode_id text, window_days integer, employer_org_number text,
    person_key text, first_service_date date, follow_up_complete boolean, sick_days_before integer,
    sick_days_after integer, comparison_sick_days_before numeric, comparison_sick_days_after numeric,
    did_sick_days numeric);
create table marts.fct_grant_eligibility (grant_line_id text, scheme text, employer_org_number text,
    person_key text, service_date date, grant_year integer, amount_net numeric(12,2), grant_amount numeric(12,2),
    status text);
create table marts.rpt_grant_summary (employer_org_number text, grant_year integer, scheme text,
    persons integer, spend numeric(12,2), eligible_spend numeric(12,2), grant_claimable numeric(12,2),
    grant_claimed numeric(12,2), lost_to_caps numeric(12,2), lost_to_deadline numeric(12,2));
create table marts.rpt_public_benchmark (employer_org_number text, period_type text, period_start date,
    indicator text, comparison text, region_code text, region_name text, sex text, value numeric,
    is_suppressed boolean, source text);
"""


def pkey(label: str) -> str:
    return hashlib.sha256(label.encode()).hexdigest()


def months(first: dt.date = FIRST_MONTH, last: dt.date = LAST_MONTH) -> list[dt.date]:
    out, m = [], first
    while m <= last:
        out.append(m)
        m = dt.date(m.year + (m.month == 12), m.month % 12 + 1, 1)
    return out


def _band(days: int) -> str:
    return next(b for lo, hi, b in BANDS if days >= lo and (hi is None or days <= hi))


def create_marts(url: str) -> None:
    with psycopg.connect(url) as conn:
        conn.execute(DDL)
        conn.execute("insert into meta.employers values (%s, 'Frisköpings kommun', '2080', '20', 'dalarna-syd', ''),"
                     " (%s, 'Västerby kommun', '2081', '20', 'dalarna-syd', '')", (EMP_A, EMP_B))
        conn.execute("insert into audit.builds (run_id, finished_at, status) values "
                     "('build-1', '2025-03-31 02:00+02', 'published')")
        monthly, employments = [], []
        for emp, units in UNITS.items():
            factor = 1.1 if emp == EMP_B else 1.0
            for code, sector, heads in units:
                employments += [(emp, f"{code}-{i}", pkey(f"{code}-{i}"), code, sector) for i in range(heads)]
                split = [("K", "<=29", heads // 5), ("K", "30-49", heads // 2 - heads // 5),
                         ("M", ">=50", heads - heads // 2)]
                for m in months():
                    winter = 1.25 if m.month in (1, 2, 12) else 1.0
                    for sex, age, n in split:
                        if n == 0:
                            continue
                        sched = n * HOURS_PER_MONTH
                        sick = round(sched * RATES[sector] * factor * winter, 2)
                        monthly.append((emp, code, m, sex, age, n, sched, sick, round(sick * 0.4, 2), 1))
        with conn.cursor() as cur:
            cur.executemany("insert into intermediate.int_employments values (%s, %s, %s, %s, %s)", employments)
            cur.executemany("insert into marts.fct_sick_leave_monthly values "
                            "(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, null)", monthly)
            cur.executemany("insert into marts.fct_sick_spells values (%s, %s, %s, %s, %s, %s, false, %s, %s)",
                            list(_spells()))
            cur.executemany("insert into marts.fct_absence_signals values (%s, %s, %s, %s, %s, %s)",
                            list(_signals()))
            cur.executemany("insert into marts.fct_interventions values "
                            "(%s, %s, %s, '5566770011', %s, %s, 'X', %s, false)", list(_interventions()))
            cur.executemany("insert into marts.fct_intervention_outcomes values "
                            "(%s, %s, %s, %s, %s, true, %s, %s, %s, %s, %s)", list(_outcomes()))
            cur.executemany("insert into marts.fct_grant_eligibility values (%s, %s, %s, %s, %s, %s, 1000, 500, "
                            "'claimable')", list(_grant_lines()))
            cur.executemany("insert into marts.rpt_grant_summary values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                            _grant_summary())
            cur.executemany("insert into marts.rpt_public_benchmark values "
                            "(%s, 'month', %s, %s, %s, null, null, 'T', %s, false, 'fk')", list(_benchmark()))


def _spells():
    lengths = (3, 5, 10, 20, 45, 70, 100, 200, 400)
    for emp, persons in ((EMP_A, 40), (EMP_B, 12)):
        for i in range(persons):
            length = lengths[i % len(lengths)]
            # spread starts over two years before the pack: 2023-04-01 .. 2025-03-25
            start = dt.date(2023, 4, 1) + dt.timedelta(days=(i * 53) % 720)
            yield (f"{emp}-s{i}", emp, pkey(f"{emp}-p{i}"), f"{emp}-u", start,
                   start + dt.timedelta(days=length - 1), length, _band(length))


def _signals():
    for emp, rule, persons, day in ((EMP_A, "repeated_6_in_365", 12, dt.date(2024, 10, 1)),
                                    (EMP_A, "long_spell_day_14", 3, dt.date(2024, 11, 1)),
                                    (EMP_B, "repeated_6_in_365", 2, dt.date(2024, 10, 1))):
        for i in range(persons):
            yield (f"{emp}{rule}{i}", day, emp, pkey(f"{emp}-p{i}"), rule.split("_")[0], rule)


def _interventions():
    for emp, kind, persons, price in ((EMP_A, "health_talk", 25, 1200), (EMP_A, "assessment", 14, 4500),
                                      (EMP_A, "treatment", 3, 900), (EMP_B, "health_talk", 5, 1150)):
        for i in range(persons):
            yield (f"{emp}{kind}{i}", emp, pkey(f"{emp}-p{i}"), dt.date(2024, 6, 1) + dt.timedelta(days=i),
                   kind, price)


def _outcomes():
    for emp, episodes in ((EMP_A, 20), (EMP_B, 4)):
        for i in range(episodes):
            start = dt.date(2023, 6, 1) + dt.timedelta(days=7 * i)
            for w in (90, 180, 365):
                k = w // 90
                before, after = (10 + i % 5) * k, (6 + i % 7) * k
                c_before, c_after = (10 + i % 3) * k, (9 + i % 4) * k
                did = (after - before) - (c_after - c_before)
                yield (f"{emp}-e{i}", w, emp, pkey(f"{emp}-p{i}"), start, before, after, c_before, c_after, did)


GRANTS = ((EMP_A, 2023, "FK_ARS", 30), (EMP_A, 2024, "FK_ARS", 30), (EMP_A, 2024, "AFA", 5),
          (EMP_B, 2024, "FK_ARS", 12))


def _grant_lines():
    for emp, year, scheme, persons in GRANTS:
        for i in range(persons):
            yield (f"{emp}{year}{scheme}{i}", scheme, emp, pkey(f"{emp}-p{i}"), dt.date(year, 5, 1), year)


def _grant_summary():
    return [(emp, year, scheme, n, n * 4000.0, n * 3000.0, n * 1000.0, n * 500.0, n * 100.0, n * 50.0)
            for emp, year, scheme, n in GRANTS]


def _benchmark():
    for emp, kommun in ((EMP_A, 11.0), (EMP_B, 12.0)):
        for k, m in enumerate(months()):
            for comparison, value in (("kommun", kommun + k * 0.05), ("lan", 10.5), ("riket", 10.3)):
                yield (emp, m, "fk_sjukpenningtal_1_0", comparison, value)
                yield (emp, m, "fk_ohalsotal", comparison, value * 2)
