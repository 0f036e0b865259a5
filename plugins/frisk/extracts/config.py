"""The meeting-pack configuration: groups, schedule, suppression threshold, e-mail (meetings.yml).

`FRISK_MEETINGS_CONFIG` points at another YAML file (tests, a deployment with its own groups); otherwise the
file bundled with the package is read. Errors name the file and the field.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from frisk.identity import validate_org_number

DEFAULT_CONFIG = Path(__file__).with_name("meetings.yml")
# A daily wake-up used when any group lists its own meeting dates: the run then picks the groups that are due.
DAILY_CRON = "0 6 * * *"


class ConfigError(ValueError):
    """meetings.yml is wrong; the message names the file and the field."""


@dataclass(frozen=True)
class Employer:
    org_number: str
    name: str


@dataclass(frozen=True)
class Group:
    group_id: str
    name: str
    employers: tuple[Employer, ...]
    meeting_dates: tuple[dt.date, ...] = ()
    email_conn_id: str | None = None
    email_to: tuple[str, ...] = ()


@dataclass(frozen=True)
class MeetingsConfig:
    path: Path
    cron: str
    lead_days: int
    trend_months: int
    window_months: int
    threshold: int
    rule: str  # at_or_below | below
    outcome_windows: tuple[int, ...]
    benchmark_indicator: str = "fk_sjukpenningtal_1_0"
    groups: dict[str, Group] = field(default_factory=dict)

    @property
    def min_employees(self) -> int:
        """The smallest number of employees a published figure may rest on."""
        return self.threshold + 1 if self.rule == "at_or_below" else self.threshold

    @property
    def schedule(self) -> str:
        """The DAG's cron: the default one, or daily when some group has explicit meeting dates."""
        return DAILY_CRON if any(g.meeting_dates for g in self.groups.values()) else self.cron

    def due_groups(self, as_of: dt.date) -> list[Group]:
        """Groups whose pack is due on `as_of`: a listed meeting date minus lead days, or the default cron."""
        from croniter import croniter

        due = []
        for g in self.groups.values():
            if g.meeting_dates:
                if any(d - dt.timedelta(days=self.lead_days) == as_of for d in g.meeting_dates):
                    due.append(g)
            elif croniter.match(self.cron, dt.datetime.combine(as_of, dt.time(6, 0))):
                due.append(g)
        return due


def config_path() -> Path:
    return Path(os.environ.get("FRISK_MEETINGS_CONFIG") or DEFAULT_CONFIG)


def _need(mapping: dict, key: str, where: str, path: Path):
    if not isinstance(mapping, dict) or key not in mapping:
        raise ConfigError(f"{path}: field {where}{key} is missing")
    return mapping[key]


def _positive_int(value, where: str, path: Path) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ConfigError(f"{path}: field {where} must be a positive integer, got {value!r}")
    return value


def load_config(path: Path | None = None) -> MeetingsConfig:
    path = Path(path or config_path())
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" line {mark.line + 1}" if mark else ""
        raise ConfigError(f"{path}{line}: not valid YAML ({exc.__class__.__name__})") from exc

    schedule = doc.get("schedule") or {}
    cron = str(schedule.get("cron", "0 6 1 1,4,7,10 *"))
    from croniter import croniter

    if not croniter.is_valid(cron):
        raise ConfigError(f"{path}: field schedule.cron is not a valid cron expression: {cron!r}")
    lead_days = schedule.get("lead_days", 7)
    if not isinstance(lead_days, int) or lead_days < 0:
        raise ConfigError(f"{path}: field schedule.lead_days must be a whole number of days >= 0")
    period = doc.get("period") or {}
    trend_months = _positive_int(period.get("trend_months", 24), "period.trend_months", path)
    window_months = _positive_int(period.get("window_months", 12), "period.window_months", path)
    suppression = doc.get("suppression") or {}
    threshold = _positive_int(suppression.get("threshold", 10), "suppression.threshold", path)
    rule = str(suppression.get("rule", "at_or_below"))
    if rule not in ("at_or_below", "below"):
        raise ConfigError(f"{path}: field suppression.rule must be at_or_below or below, got {rule!r}")
    windows = tuple(
        _positive_int(w, "outcome_windows[]", path) for w in (doc.get("outcome_windows") or [90, 180, 365])
    )

    groups: dict[str, Group] = {}
    for group_id, body in (_need(doc, "groups", "", path) or {}).items():
        where = f"groups.{group_id}."
        employers = []
        for i, emp in enumerate(_need(body, "employers", where, path) or []):
            org = str(_need(emp, "org_number", f"{where}employers[{i}].", path))
            try:
                validate_org_number(org)
            except ValueError as exc:
                raise ConfigError(f"{path}: field {where}employers[{i}].org_number: {exc}") from exc
            employers.append(Employer(org_number=org, name=str(emp.get("name") or org)))
        if not employers:
            raise ConfigError(f"{path}: field {where}employers is empty")
        dates = []
        for d in body.get("meeting_dates") or []:
            if not isinstance(d, dt.date):
                raise ConfigError(f"{path}: field {where}meeting_dates has {d!r}, expected YYYY-MM-DD")
            dates.append(d)
        email = body.get("email") or {}
        groups[str(group_id)] = Group(
            group_id=str(group_id),
            name=str(body.get("name") or group_id),
            employers=tuple(employers),
            meeting_dates=tuple(sorted(dates)),
            email_conn_id=email.get("conn_id") or None,
            email_to=tuple(str(a) for a in email.get("to") or ()),
        )
    return MeetingsConfig(
        path=path,
        cron=cron,
        lead_days=lead_days,
        trend_months=trend_months,
        window_months=window_months,
        threshold=threshold,
        rule=rule,
        outcome_windows=windows,
        benchmark_indicator=str(doc.get("benchmark_indicator") or "fk_sjukpenningtal_1_0"),
        groups=groups,
    )
