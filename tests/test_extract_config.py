"""meetings.yml: defaults, validation errors naming file and field, which groups are due on a date."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from frisk.extracts.config import DAILY_CRON, ConfigError, load_config
from frisk.extracts.figures import make_period


def test_bundled_config_defaults() -> None:
    cfg = load_config()
    assert cfg.schedule == "0 6 1 1,4,7,10 *"
    assert (cfg.threshold, cfg.rule, cfg.min_employees) == (10, "at_or_below", 11)
    g = cfg.groups["dalarna-syd"]
    assert [e.org_number for e in g.employers] == ["2120009903", "2120009911"]
    assert [x.group_id for x in cfg.due_groups(dt.date(2025, 4, 1))] == ["dalarna-syd"]
    assert cfg.due_groups(dt.date(2025, 4, 2)) == []


def test_meeting_dates_make_the_dag_daily(tmp_path: Path) -> None:
    p = tmp_path / "m.yml"
    p.write_text("schedule: {lead_days: 7}\nsuppression: {threshold: 5, rule: below}\ngroups:\n"
                 "  g1:\n    employers: [{org_number: '2120009903'}]\n    meeting_dates: [2025-05-20]\n"
                 "  g2:\n    employers: [{org_number: '2120009911'}]\n")
    cfg = load_config(p)
    assert cfg.schedule == DAILY_CRON and cfg.min_employees == 5
    assert [g.group_id for g in cfg.due_groups(dt.date(2025, 5, 13))] == ["g1"]
    assert [g.group_id for g in cfg.due_groups(dt.date(2025, 7, 1))] == ["g2"]


@pytest.mark.parametrize(("text", "field"), [
    ("groups:\n  g:\n    employers: [{org_number: '2120009904'}]\n", "groups.g.employers[0].org_number"),
    ("suppression: {threshold: 0}\ngroups: {}\n", "suppression.threshold"),
    ("suppression: {rule: sometimes}\ngroups: {}\n", "suppression.rule"),
    ("schedule: {cron: 'every day'}\ngroups: {}\n", "schedule.cron"),
    ("groups:\n  g:\n    employers: [{org_number: '2120009903'}]\n    meeting_dates: [soon]\n",
     "groups.g.meeting_dates"),
    ("groups: [\n", "line"),
])
def test_errors_name_file_and_field(tmp_path: Path, text: str, field: str) -> None:
    p = tmp_path / "bad.yml"
    p.write_text(text)
    with pytest.raises(ConfigError) as err:
        load_config(p)
    assert str(p) in str(err.value) and field in str(err.value)


def test_period_runs_to_the_last_complete_month() -> None:
    p = make_period(dt.date(2025, 1, 15))
    assert (p.end, p.window_start, p.previous_start, p.trend_start, p.years) == (
        dt.date(2024, 12, 31), dt.date(2024, 1, 1), dt.date(2023, 1, 1), dt.date(2023, 1, 1), (2023, 2024))
