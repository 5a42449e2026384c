"""Schedules as code (filter_plugins/schedules.py): RRULE and cron to systemd OnCalendar, and the refusals."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
from pathlib import Path

import pytest
from ansible.errors import AnsibleFilterError

FILTERS = Path(__file__).resolve().parents[2] / "filter_plugins"
spec = importlib.util.spec_from_file_location("schedules", FILTERS / "schedules.py")
schedules = importlib.util.module_from_spec(spec)
spec.loader.exec_module(schedules)

PLAYBOOKS = ["health.yml", "drift.yml", "site.yml", "change_window.yml"]
GATED = ["site.yml"]
CALENDARS = [{"name": "weekend-window", "type": "DEFAULT_CLOSED", "events": []}]


def job(**fields):
    base = {"name": "health", "playbook": "health.yml", "rrule": "FREQ=HOURLY", "timezone": "Etc/UTC",
            "timeout_minutes": 10}
    base.update(fields)
    return {key: value for key, value in base.items() if value is not None}


def checked(*jobs, calendars=None):
    return schedules.scheduler_jobs_checked(list(jobs), playbooks=PLAYBOOKS, gated=GATED, calendars=calendars or [])


RRULES = [
    ("FREQ=HOURLY", "*-*-* *:00:00"),
    ("RRULE:FREQ=HOURLY;BYMINUTE=5", "*-*-* *:05:00"),
    ("FREQ=MINUTELY;INTERVAL=15", "*-*-* *:00/15:00"),
    ("FREQ=MINUTELY", "*-*-* *:*:00"),
    ("FREQ=HOURLY;INTERVAL=6;BYMINUTE=30", "*-*-* 00/6:30:00"),
    ("FREQ=DAILY;BYHOUR=2", "*-*-* 02:00:00"),
    ("FREQ=DAILY;BYHOUR=2,14;BYMINUTE=15", "*-*-* 02,14:15:00"),
    ("FREQ=DAILY", "*-*-* 00:00:00"),
    ("FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR;BYHOUR=1", "Mon..Fri *-*-* 01:00:00"),
    ("FREQ=WEEKLY;BYDAY=SA,SU;BYHOUR=3;WKST=MO", "Sat,Sun *-*-* 03:00:00"),
    ("FREQ=MONTHLY;BYMONTHDAY=1,15;BYHOUR=4", "*-*-01,15 04:00:00"),
    ("FREQ=MONTHLY;INTERVAL=3;BYMONTHDAY=1", "*-01/3-01 00:00:00"),
    ("FREQ=YEARLY;BYMONTH=12;BYMONTHDAY=24;BYHOUR=23;BYMINUTE=59", "*-12-24 23:59:00"),
    ("freq=daily;byhour=22;byminute=0;bysecond=30", "*-*-* 22:00:30"),
]


@pytest.mark.parametrize("rrule,calendar", RRULES)
def test_rrule_becomes_on_calendar_in_the_jobs_zone(rrule, calendar):
    assert checked(job(rrule=rrule, timezone="Europe/Paris"))[0]["on_calendar"] == calendar + " Europe/Paris"


CRONS = [
    ("0 * * * *", "*-*-* *:00:00"),
    ("*/15 * * * *", "*-*-* *:00/15:00"),
    ("5 3 * * *", "*-*-* 03:05:00"),
    ("*/15 8-18 * * 1-5", "Mon..Fri *-*-* 08..18:00/15:00"),
    ("0 2 * * 0", "Sun *-*-* 02:00:00"),
    ("0 2 * * 7", "Sun *-*-* 02:00:00"),
    ("0 2 * * 6,0", "Sat,Sun *-*-* 02:00:00"),
    ("0 2 * * 0-6", "*-*-* 02:00:00"),
    ("30 1 1 */3 *", "*-01/3-01 01:30:00"),
    ("10-40/10 * * * *", "*-*-* *:10,20,30,40:00"),
    ("0 0,12 1,15 * *", "*-*-01,15 00,12:00:00"),
]


@pytest.mark.parametrize("cron,calendar", CRONS)
def test_cron_becomes_on_calendar_in_the_jobs_zone(cron, calendar):
    result = checked(job(rrule=None, cron=cron, timezone="America/New_York"))[0]
    assert result["on_calendar"] == calendar + " America/New_York"


def test_a_job_is_completed_with_its_defaults():
    assert checked(job())[0] == {
        "name": "health", "playbook": "health.yml", "extra_vars": {}, "rrule": "FREQ=HOURLY", "cron": "",
        "timezone": "Etc/UTC", "timeout_minutes": 10, "timeout_seconds": 600, "changes": False,
        "description": "health", "on_calendar": "*-*-* *:00:00 Etc/UTC"}


def test_a_changing_job_with_a_calendar_and_a_gated_playbook_is_accepted():
    result = checked(job(name="converge", playbook="site.yml", changes=True), calendars=CALENDARS)
    assert result[0]["changes"] is True


REFUSALS = [
    ({"rrule": "FREQ=FORTNIGHTLY"}, "FREQ must be one of"),
    ({"rrule": "FREQ=DAILY;COUNT=3"}, "COUNT ends the rule"),
    ({"rrule": "FREQ=DAILY;UNTIL=20270101T000000Z"}, "UNTIL ends the rule"),
    ({"rrule": "FREQ=DAILY;BYHOUR=25"}, "BYHOUR '25' must be a number from 0 to 23"),
    ({"rrule": "FREQ=DAILY;BYHOUR=two"}, "BYHOUR 'TWO' must be a number"),
    ({"rrule": "FREQ=MONTHLY;BYDAY=1MO"}, "ordinal such as 1MO"),
    ({"rrule": "FREQ=MONTHLY;BYSETPOS=-1;BYDAY=FR"}, "BYSETPOS is not supported"),
    ({"rrule": "FREQ=MONTHLY;BYMONTHDAY=-1"}, "BYMONTHDAY '-1' must be a number from 1 to 31"),
    ({"rrule": "FREQ=DAILY;INTERVAL=2"}, "INTERVAL=2 with FREQ=DAILY has no systemd equivalent"),
    ({"rrule": "FREQ=MINUTELY;INTERVAL=7"}, "it must divide 60"),
    ({"rrule": "FREQ=WEEKLY;BYHOUR=2"}, "FREQ=WEEKLY needs BYDAY"),
    ({"rrule": "FREQ=MONTHLY"}, "FREQ=MONTHLY needs BYMONTHDAY or BYDAY"),
    ({"rrule": "FREQ=DAILY;BYHOUR"}, "is not KEY=VALUE"),
    ({"rrule": "FREQ=DAILY;FREQ=HOURLY"}, "FREQ is given twice"),
    ({"rrule": None, "cron": "0 2 * *"}, "it needs five fields"),
    ({"rrule": None, "cron": "61 * * * *"}, "minute field '61' must lie within 0-59"),
    ({"rrule": None, "cron": "0 2 * * MON"}, "is not a number, range, list or step"),
    ({"rrule": None, "cron": "0 2 1 * 1"}, "both day of month and day of week are restricted"),
    ({"rrule": None}, "give exactly one of rrule or cron"),
    ({"cron": "0 * * * *"}, "give exactly one of rrule or cron"),
    ({"timezone": "Mars/Olympus"}, "unknown timezone 'Mars/Olympus'"),
    ({"timezone": None}, "missing timezone"),
    ({"playbook": "helth.yml"}, "unknown playbook 'helth.yml'; the playbooks are health.yml"),
    ({"timeout_minutes": 0}, "timeout_minutes must be a whole number of minutes above 0"),
    ({"timeout_minutes": "10"}, "timeout_minutes must be a whole number"),
    ({"name": "Health Check"}, "name must be lower-case letters"),
    ({"extra_vars": ["a"]}, "extra_vars must be a dict"),
    ({"changes": "yes"}, "changes must be true or false"),
    ({"shedule": "hourly"}, "unknown field(s) shedule"),
    ({"playbook": "site.yml", "changes": True}, "it changes something but the inventory has no change calendar"),
]


@pytest.mark.parametrize("fields,message", REFUSALS)
def test_a_bad_job_is_refused_naming_the_job_and_the_fix(fields, message):
    with pytest.raises(AnsibleFilterError) as error:
        checked(job(**fields))
    assert "bad schedules, nothing installed" in str(error.value)
    assert message in str(error.value)


def test_a_changing_job_must_name_a_playbook_that_passes_the_gate():
    with pytest.raises(AnsibleFilterError, match="drift.yml does not pass the change-window gate"):
        checked(job(playbook="drift.yml", changes=True), calendars=CALENDARS)


def test_every_bad_job_is_named_at_once_and_duplicates_are_refused():
    with pytest.raises(AnsibleFilterError) as error:
        checked(job(), job(), job(name="drift", playbook="nope.yml"))
    text = str(error.value)
    assert "scheduler_jobs 'health': the name is used twice" in text
    assert "scheduler_jobs 'drift': unknown playbook 'nope.yml'" in text


@pytest.mark.parametrize("value", ["hourly", {"name": "x"}, 3])
def test_jobs_must_be_a_list(value):
    with pytest.raises(AnsibleFilterError, match="scheduler_jobs must be a list"):
        schedules.scheduler_jobs_checked(value, playbooks=PLAYBOOKS)


def test_no_jobs_is_no_timers():
    assert schedules.scheduler_jobs_checked(None, playbooks=PLAYBOOKS) == []


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="needs systemd-analyze")
@pytest.mark.parametrize("calendar", [c for _, c in RRULES + CRONS])
def test_systemd_accepts_every_expression(calendar):
    result = subprocess.run(["systemd-analyze", "calendar", calendar + " Europe/Paris"], capture_output=True, text=True,
                            check=False)
    assert result.returncode == 0, result.stderr


REPO = FILTERS.parent


@pytest.mark.parametrize("inventory", ["lab", "production"])
def test_the_shipped_schedules_pass_their_own_checks(inventory):
    import re

    import yaml

    group_vars = REPO / "inventories" / inventory / "group_vars" / "all"
    jobs = yaml.safe_load((group_vars / "schedules.yml").read_text())["scheduler_jobs"]
    calendars_file = group_vars / "change_window.yml"
    calendars = yaml.safe_load(calendars_file.read_text())["change_window_calendars"] if calendars_file.exists() else []
    books = REPO / "playbooks"
    playbooks = sorted(str(path.relative_to(books)) for path in books.rglob("*.yml"))
    gated = [name for name in playbooks if re.search(r"^\s+name: change_window\s*$", (books / name).read_text(), re.M)]
    result = schedules.scheduler_jobs_checked(jobs, playbooks=playbooks, gated=gated, calendars=calendars)
    assert {job["name"] for job in result} >= {"health", "drift", "nightly-evidence"}
    assert all(not job["changes"] for job in result)
