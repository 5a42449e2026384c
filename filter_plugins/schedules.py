"""Recurring jobs (schedules as code): checked whole, then turned into systemd timer calendars."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ansible.errors import AnsibleFilterError

DOCUMENTATION = r"""
name: scheduler_jobs_checked
short_description: Check the inventory's recurring jobs and give each its systemd OnCalendar expression
description:
  - C(scheduler_jobs_checked) reads the jobs of C(group_vars/all/schedules.yml) (C(scheduler_jobs)) and refuses
    the whole list, naming the job, the field and the fix, when any job is wrong - before anything is installed.
  - A job is refused for an unknown or missing field, a duplicate or unsafe name, an unknown playbook, an invalid
    RRULE or cron expression, an unknown time zone, a timeout that is not a positive number of minutes, and a job
    that changes something (C(changes=true)) while the inventory has no change calendar, or whose playbook does not
    pass the change-window gate.
  - RRULE (RFC 5545) - C(FREQ) MINUTELY, HOURLY, DAILY, WEEKLY, MONTHLY or YEARLY with C(INTERVAL), C(BYSECOND),
    C(BYMINUTE), C(BYHOUR), C(BYDAY) (plain weekdays), C(BYMONTHDAY) (1-31) and C(BYMONTH). Without a DTSTART, a
    field finer than FREQ that is not given is 0 (FREQ=DAILY runs at 00:00:00). A timer never ends, so C(COUNT)
    and C(UNTIL) are refused; so are parts systemd cannot express (C(BYSETPOS), C(BYWEEKNO), C(BYYEARDAY),
    C(BYDAY=1MO), negative days, an C(INTERVAL) that does not divide its period).
  - cron - five fields (minute hour day-of-month month day-of-week) with C(*), lists, ranges and steps. A day of
    month and a day of week both restricted are refused: cron runs on either, a systemd timer only on both.
  - The OnCalendar expression carries the job's time zone, so systemd runs it at the zone's wall time across DST.
positional: _input
options:
  _input:
    description: The jobs, each a dict - C(name), C(playbook), C(extra_vars), C(rrule) or C(cron), C(timezone),
      C(timeout_minutes), C(changes).
    type: list
    elements: dict
    required: true
  playbooks:
    description: The playbooks a job may name, as paths under C(playbooks/) (e.g. C(health.yml)).
    type: list
    elements: str
    required: true
  gated:
    description: The playbooks that pass the change-window gate; a changing job must name one of them.
    type: list
    elements: str
    default: []
  calendars:
    description: The inventory's change calendars (C(change_window_calendars)); a changing job needs one.
    type: list
    elements: raw
    default: []
"""

EXAMPLES = r"""
- name: Jobs are checked
  ansible.builtin.set_fact:
    __scheduler_jobs: >-
      {{ scheduler_jobs | scheduler_jobs_checked(playbooks=['health.yml', 'site.yml'], gated=['site.yml'],
                                                 calendars=change_window_calendars | default([])) }}

# rrule: FREQ=WEEKLY;BYDAY=MO,TU;BYHOUR=2 with timezone Europe/Paris gives
#   on_calendar: Mon,Tue *-*-* 02:00:00 Europe/Paris
# cron: "*/15 8-18 * * 1-5" with timezone Etc/UTC gives
#   on_calendar: Mon..Fri *-*-* 08..18:00/15:00 Etc/UTC
"""

RETURN = r"""
_value:
  description: The jobs in their given order, every field filled in (C(extra_vars) {}, C(changes) false), each with
    C(on_calendar), its systemd calendar expression, and C(timeout_seconds).
  type: list
  elements: dict
"""

FIELDS = {"name", "playbook", "extra_vars", "rrule", "cron", "timezone", "timeout_minutes", "changes", "description"}
REQUIRED = ("name", "playbook", "timezone", "timeout_minutes")
NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
RRULE_DAYS = {"MO": 0, "TU": 1, "WE": 2, "TH": 3, "FR": 4, "SA": 5, "SU": 6}
# Calendar fields, coarse to fine: (name, lowest, highest).
SECOND, MINUTE, HOUR = ("second", 0, 59), ("minute", 0, 59), ("hour", 0, 23)
DAY, MONTH, WEEKDAY = ("day", 1, 31), ("month", 1, 12), ("weekday", 0, 6)
# What each FREQ repeats, the period INTERVAL must divide, and the finer fields that default to their lowest value.
FREQS = {
    "MINUTELY": (MINUTE, 60, (SECOND,)),
    "HOURLY": (HOUR, 24, (SECOND, MINUTE)),
    "DAILY": (DAY, 1, (SECOND, MINUTE, HOUR)),
    "WEEKLY": (WEEKDAY, 1, (SECOND, MINUTE, HOUR)),
    "MONTHLY": (MONTH, 12, (SECOND, MINUTE, HOUR)),
    "YEARLY": (None, 1, (SECOND, MINUTE, HOUR)),
}
RRULE_PARTS = {"FREQ", "INTERVAL", "BYSECOND", "BYMINUTE", "BYHOUR", "BYDAY", "BYMONTHDAY", "BYMONTH", "WKST"}


class ScheduleError(ValueError):
    """One wrong field of one job."""


def scheduler_jobs_checked(jobs: Any, playbooks: Sequence[str], gated: Sequence[str] | None = None,
                           calendars: Sequence[Any] | None = None) -> list[dict[str, Any]]:
    """Every job checked; the jobs with their OnCalendar expression, or one error naming every wrong job."""
    if jobs is None:
        jobs = []
    if not isinstance(jobs, Sequence) or isinstance(jobs, (str, bytes)):
        raise AnsibleFilterError("scheduler_jobs must be a list of jobs (group_vars/all/schedules.yml), got {0!r}"
                                 .format(jobs))
    problems: list[str] = []
    checked: list[dict[str, Any]] = []
    seen: set[str] = set()
    for position, job in enumerate(jobs, start=1):
        label = "scheduler_jobs[{0}]".format(position)
        if isinstance(job, Mapping) and isinstance(job.get("name"), str):
            label = "scheduler_jobs '{0}'".format(job["name"])
        try:
            result = check_job(job, list(playbooks), list(gated or []), list(calendars or []))
        except ScheduleError as error:
            problems.append("{0}: {1}".format(label, error))
            continue
        if result["name"] in seen:
            problems.append("{0}: the name is used twice; give each job its own name".format(label))
        seen.add(result["name"])
        checked.append(result)
    if problems:
        raise AnsibleFilterError("bad schedules, nothing installed - " + "; ".join(problems))
    return checked


def check_job(job: Any, playbooks: list[str], gated: list[str], calendars: list[Any]) -> dict[str, Any]:
    """One job checked and completed, or ScheduleError."""
    if not isinstance(job, Mapping):
        raise ScheduleError("each job must be a dict with name, playbook, rrule or cron, timezone, timeout_minutes")
    unknown = sorted(set(job) - FIELDS)
    if unknown:
        raise ScheduleError("unknown field(s) {0}; the fields are {1}".format(", ".join(unknown),
                                                                               ", ".join(sorted(FIELDS))))
    missing = [key for key in REQUIRED if job.get(key) in (None, "")]
    if missing:
        raise ScheduleError("missing {0}".format(", ".join(missing)))
    name = job["name"]
    if not isinstance(name, str) or not NAME.match(name):
        raise ScheduleError("name must be lower-case letters, digits and dashes (it names the systemd units)")
    playbook = job["playbook"]
    if playbook not in playbooks:
        raise ScheduleError("unknown playbook {0!r}; the playbooks are {1}".format(playbook, ", ".join(playbooks)))
    extra_vars = job.get("extra_vars") or {}
    if not isinstance(extra_vars, Mapping):
        raise ScheduleError("extra_vars must be a dict of variable: value")
    timeout = job["timeout_minutes"]
    if isinstance(timeout, bool) or not isinstance(timeout, int) or timeout <= 0:
        raise ScheduleError("timeout_minutes must be a whole number of minutes above 0, got {0!r}".format(timeout))
    changes = job.get("changes", False)
    if not isinstance(changes, bool):
        raise ScheduleError("changes must be true or false, got {0!r}".format(changes))
    if changes and not calendars:
        raise ScheduleError("it changes something but the inventory has no change calendar; set "
                            "change_window_calendars in group_vars/all, or changes: false for a read-only job")
    if changes and playbook not in gated:
        raise ScheduleError("it changes something but {0} does not pass the change-window gate (role change_window)"
                            .format(playbook))
    zone = timezone(job["timezone"])
    has_rrule, has_cron = job.get("rrule") not in (None, ""), job.get("cron") not in (None, "")
    if has_rrule == has_cron:
        raise ScheduleError("give exactly one of rrule or cron")
    on_calendar = rrule_on_calendar(job["rrule"], zone) if has_rrule else cron_on_calendar(job["cron"], zone)
    return {"name": name, "playbook": playbook, "extra_vars": dict(extra_vars), "rrule": job.get("rrule") or "",
            "cron": job.get("cron") or "", "timezone": zone, "timeout_minutes": timeout,
            "timeout_seconds": timeout * 60, "changes": changes, "description": job.get("description") or name,
            "on_calendar": on_calendar}


def timezone(name: Any) -> str:
    """The IANA zone name, checked."""
    if not isinstance(name, str):
        raise ScheduleError("timezone must be an IANA zone name such as Europe/Paris, got {0!r}".format(name))
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ScheduleError("unknown timezone {0!r}; use an IANA zone name such as Europe/Paris".format(name)) from error
    return name


def rrule_on_calendar(rule: Any, zone: str) -> str:
    """An RFC 5545 RRULE as a systemd OnCalendar expression in the zone."""
    if not isinstance(rule, str):
        raise ScheduleError("rrule must be a string such as FREQ=DAILY;BYHOUR=2")
    text = rule.strip()
    if text.upper().startswith("RRULE:"):
        text = text[len("RRULE:"):]
    parts: dict[str, str] = {}
    for item in filter(None, text.split(";")):
        key, sep, value = item.partition("=")
        key = key.strip().upper()
        if not sep or not value.strip():
            raise ScheduleError("invalid RRULE {0!r}: {1!r} is not KEY=VALUE".format(rule, item))
        if key in ("COUNT", "UNTIL"):
            raise ScheduleError("invalid RRULE {0!r}: {1} ends the rule, a timer never ends; remove it".format(rule, key))
        if key not in RRULE_PARTS:
            raise ScheduleError("invalid RRULE {0!r}: {1} is not supported; use {2}".format(
                rule, key, ", ".join(sorted(RRULE_PARTS))))
        if key in parts:
            raise ScheduleError("invalid RRULE {0!r}: {1} is given twice".format(rule, key))
        parts[key] = value.strip().upper()
    freq = parts.get("FREQ")
    if freq not in FREQS:
        raise ScheduleError("invalid RRULE {0!r}: FREQ must be one of {1}".format(rule, ", ".join(FREQS)))
    repeated, period, finer = FREQS[freq]
    interval = integer(rule, "INTERVAL", parts.get("INTERVAL", "1"), 1, 1000)
    fields: dict[str, list[int] | None] = {field[0]: None for field in (SECOND, MINUTE, HOUR, DAY, MONTH, WEEKDAY)}
    for field in finer:
        fields[field[0]] = [field[1]]
    for key, field in (("BYSECOND", SECOND), ("BYMINUTE", MINUTE), ("BYHOUR", HOUR), ("BYMONTHDAY", DAY),
                       ("BYMONTH", MONTH)):
        if key in parts:
            fields[field[0]] = sorted({integer(rule, key, value, field[1], field[2]) for value in parts[key].split(",")})
    if "BYDAY" in parts:
        days = set()
        for value in parts["BYDAY"].split(","):
            if value not in RRULE_DAYS:
                raise ScheduleError("invalid RRULE {0!r}: BYDAY {1!r} must be a plain weekday (MO..SU); an ordinal "
                                    "such as 1MO has no systemd equivalent".format(rule, value))
            days.add(RRULE_DAYS[value])
        fields["weekday"] = sorted(days)
    if interval > 1:
        if repeated is None or period == 1 or period % interval:
            raise ScheduleError("invalid RRULE {0!r}: INTERVAL={1} with FREQ={2} has no systemd equivalent{3}".format(
                rule, interval, freq, "; it must divide {0}".format(period) if period > 1 else ""))
        if fields[repeated[0]] is not None:
            raise ScheduleError("invalid RRULE {0!r}: INTERVAL with a BY part on the same field".format(rule))
        fields[repeated[0]] = list(range(repeated[1], repeated[2] + 1, interval))
    if freq == "WEEKLY" and fields["weekday"] is None:
        raise ScheduleError("invalid RRULE {0!r}: FREQ=WEEKLY needs BYDAY (there is no DTSTART)".format(rule))
    if freq == "MONTHLY" and fields["day"] is None and fields["weekday"] is None:
        raise ScheduleError("invalid RRULE {0!r}: FREQ=MONTHLY needs BYMONTHDAY or BYDAY".format(rule))
    if freq == "YEARLY" and (fields["month"] is None or (fields["day"] is None and fields["weekday"] is None)):
        raise ScheduleError("invalid RRULE {0!r}: FREQ=YEARLY needs BYMONTH and BYMONTHDAY or BYDAY".format(rule))
    return on_calendar(fields, zone)


def integer(rule: str, key: str, value: str, lowest: int, highest: int) -> int:
    """One number of an RRULE part, within its range."""
    try:
        number = int(value)
    except ValueError:
        number = None
    if number is None or not lowest <= number <= highest:
        raise ScheduleError("invalid RRULE {0!r}: {1} {2!r} must be a number from {3} to {4}".format(
            rule, key, value, lowest, highest))
    return number


def cron_on_calendar(expression: Any, zone: str) -> str:
    """A five-field cron expression as a systemd OnCalendar expression in the zone."""
    if not isinstance(expression, str) or len(expression.split()) != 5:
        raise ScheduleError("invalid cron {0!r}: it needs five fields, minute hour day-of-month month day-of-week"
                            .format(expression))
    minute, hour, day, month, weekday = expression.split()
    fields: dict[str, list[int] | None] = {
        "second": [0],
        "minute": cron_field(expression, minute, MINUTE),
        "hour": cron_field(expression, hour, HOUR),
        "day": cron_field(expression, day, DAY),
        "month": cron_field(expression, month, MONTH),
        # cron counts Sunday as 0 or 7, systemd's week starts on Monday.
        "weekday": cron_field(expression, weekday, ("day-of-week", 0, 7)),
    }
    if fields["weekday"] is not None:
        fields["weekday"] = sorted({(value - 1) % 7 for value in fields["weekday"]})
        if len(fields["weekday"]) == 7:
            fields["weekday"] = None
    if fields["day"] is not None and fields["weekday"] is not None:
        raise ScheduleError("invalid cron {0!r}: both day of month and day of week are restricted; cron runs on "
                            "either, a systemd timer only on both - restrict one (or use an rrule)".format(expression))
    return on_calendar(fields, zone)


def cron_field(expression: str, text: str, field: tuple[str, int, int]) -> list[int] | None:
    """The values of one cron field; None for every value."""
    name, lowest, highest = field
    if text == "*":
        return None
    values: set[int] = set()
    for item in text.split(","):
        match = re.fullmatch(r"(\*|(\d+)(?:-(\d+))?)(?:/(\d+))?", item)
        if not match:
            raise ScheduleError("invalid cron {0!r}: {1} field {2!r} is not a number, range, list or step".format(
                expression, name, item))
        whole, start, end, step = match.groups()
        first = lowest if whole == "*" else int(start)
        last = highest if whole == "*" else int(end) if end is not None else (highest if step else first)
        stride = int(step) if step else 1
        if not lowest <= first <= last <= highest or stride < 1:
            raise ScheduleError("invalid cron {0!r}: {1} field {2!r} must lie within {3}-{4}".format(
                expression, name, item, lowest, highest))
        values.update(range(first, last + 1, stride))
    if name == "day-of-week" and {0, 7} & values:
        values |= {0, 7}
    if values == set(range(lowest, highest + 1)):
        return None
    return sorted(values)


def on_calendar(fields: Mapping[str, list[int] | None], zone: str) -> str:
    """`[Weekdays] *-Month-Day Hour:Minute:Second Zone` from each field's values (None: every value)."""
    date = "*-{0}-{1}".format(compact(fields["month"], MONTH, 2), compact(fields["day"], DAY, 2))
    time = "{0}:{1}:{2}".format(compact(fields["hour"], HOUR, 2), compact(fields["minute"], MINUTE, 2),
                                compact(fields["second"], SECOND, 2))
    weekdays = fields["weekday"]
    prefix = "" if weekdays is None else weekday_list(weekdays) + " "
    return "{0}{1} {2} {3}".format(prefix, date, time, zone)


def compact(values: list[int] | None, field: tuple[str, int, int], width: int) -> str:
    """One OnCalendar component: *, start/step, a..b, or a list."""
    if values is None:
        return "*"
    lowest, highest = field[1], field[2]
    pad: Callable[[int], str] = lambda number: str(number).zfill(width)  # noqa: E731
    if len(values) > 2:
        step = values[1] - values[0]
        regular = all(b - a == step for a, b in zip(values, values[1:]))
        if regular and step > 1 and values[-1] + step > highest and values[0] - step < lowest:
            return "{0}/{1}".format(pad(values[0]), step)
    return ",".join(pad(a) if a == b else "{0}..{1}".format(pad(a), pad(b)) for a, b in runs(values))


def weekday_list(values: list[int]) -> str:
    """Weekdays as systemd writes them (Mon..Fri, Sat,Sun)."""
    return ",".join(WEEKDAYS[a] if a == b else "{0}..{1}".format(WEEKDAYS[a], WEEKDAYS[b]) for a, b in runs(values))


def runs(values: list[int]) -> list[tuple[int, int]]:
    """Consecutive values grouped, a pair kept as two values: [1, 2, 3, 7, 8] -> [(1, 3), (7, 7), (8, 8)]."""
    grouped: list[tuple[int, int]] = []
    for value in values:
        if grouped and value == grouped[-1][1] + 1:
            grouped[-1] = (grouped[-1][0], value)
        else:
            grouped.append((value, value))
    result: list[tuple[int, int]] = []
    for a, b in grouped:
        result.extend([(a, a), (b, b)] if b == a + 1 else [(a, b)])
    return result


class FilterModule:
    """Schedules as code."""

    def filters(self) -> dict[str, Callable[..., Any]]:
        return {"scheduler_jobs_checked": scheduler_jobs_checked}
