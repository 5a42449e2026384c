"""Unit tests for filter_plugins/change_window.py (change_window_state).

Every expectation is an exact UTC instant worked out by hand from the zone rules:
Europe/Berlin is UTC+1 (CET) / UTC+2 (CEST), switching 2025-03-30 02:00 -> 03:00 and
2025-10-26 03:00 -> 02:00; America/New_York is UTC-5 (EST) / UTC-4 (EDT), switching
2025-03-09 02:00 -> 03:00 and 2025-11-02 02:00 -> 01:00.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import sys
import time
from pathlib import Path

import pytest
import yaml
from ansible.errors import AnsibleFilterError

# filter_plugins/ is not a package: load the module from its path.
PLUGIN = Path(__file__).resolve().parents[2] / "filter_plugins" / "change_window.py"
_spec = importlib.util.spec_from_file_location("change_window", PLUGIN)
cw = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = cw  # dataclasses look their module up while it executes
_spec.loader.exec_module(cw)
state = cw.change_window_state


# --- helpers -------------------------------------------------------------------------

def ics(*events: str, header: str = "") -> str:
    """An iCalendar document with one VEVENT per argument (property lines, one per line)."""
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//tests//change_window//EN"]
    lines += [line for line in header.strip().splitlines() if line]
    for uid, body in enumerate(events):
        lines += ["BEGIN:VEVENT", f"UID:{uid}@tests", "DTSTAMP:20250101T000000Z"]
        lines += [line.strip() for line in body.strip().splitlines()]
        lines.append("END:VEVENT")
    lines.append("END:VCALENDAR")
    return "\r\n".join(lines) + "\r\n"


def windows(text: str, name: str = "windows", **extra) -> dict:
    return {"name": name, "type": "DEFAULT_CLOSED", "ics": text, **extra}


def freezes(text: str, name: str = "freezes", **extra) -> dict:
    return {"name": name, "type": "DEFAULT_OPEN", "ics": text, **extra}


def walk(calendars: list, at: str, steps: int) -> list[str]:
    """Follow next_transition from ``at``: the instants at which the state flips."""
    seen = []
    for _ in range(steps):
        at = state(calendars, at=at)["next_transition"]
        if at is None:
            break
        seen.append(at)
    return seen


def summary(result: dict) -> tuple:
    return result["state"], result["next_transition"]


# --- DST: a 02:00 window on spring-forward and fall-back days, two zones ---------------

DST_CASES = [
    # id, zone, first day, local start, local end, walk from, state there, flips (UTC)
    (
        "berlin-spring-02:00-skipped-hour-moves-to-03:00",
        "Europe/Berlin", "2025-03-29", "02:00", "03:00", "2025-03-29T00:00:00Z", "CLOSED",
        [
            "2025-03-29T01:00:00Z", "2025-03-29T02:00:00Z",  # CET: 02:00-03:00
            "2025-03-30T01:00:00Z", "2025-03-30T02:00:00Z",  # 02:00 does not exist: 03:00-04:00 CEST
            "2025-03-31T00:00:00Z", "2025-03-31T01:00:00Z",  # CEST: 02:00-03:00
        ],
    ),
    (
        "berlin-fall-02:00-repeated-hour-runs-once",
        "Europe/Berlin", "2025-10-25", "02:00", "03:00", "2025-10-24T23:30:00Z", "CLOSED",
        [
            "2025-10-25T00:00:00Z", "2025-10-25T01:00:00Z",  # CEST
            "2025-10-26T00:00:00Z", "2025-10-26T02:00:00Z",  # first 02:00 (CEST) to 03:00 CET: one run
            "2025-10-27T01:00:00Z", "2025-10-27T02:00:00Z",  # CET
        ],
    ),
    (
        "new-york-spring-02:00-skipped-hour-moves-to-03:00",
        "America/New_York", "2025-03-08", "02:00", "03:00", "2025-03-08T00:00:00Z", "CLOSED",
        [
            "2025-03-08T07:00:00Z", "2025-03-08T08:00:00Z",  # EST
            "2025-03-09T07:00:00Z", "2025-03-09T08:00:00Z",  # 03:00-04:00 EDT
            "2025-03-10T06:00:00Z", "2025-03-10T07:00:00Z",  # EDT
        ],
    ),
    (
        "new-york-fall-02:00",
        "America/New_York", "2025-11-01", "02:00", "03:00", "2025-11-01T00:00:00Z", "CLOSED",
        [
            "2025-11-01T06:00:00Z", "2025-11-01T07:00:00Z",  # EDT
            "2025-11-02T07:00:00Z", "2025-11-02T08:00:00Z",  # 02:00 comes after the repeat: EST
            "2025-11-03T07:00:00Z", "2025-11-03T08:00:00Z",
        ],
    ),
    (
        "new-york-fall-01:30-repeated-hour-runs-once",
        "America/New_York", "2025-11-01", "01:30", "02:30", "2025-11-01T00:00:00Z", "CLOSED",
        [
            "2025-11-01T05:30:00Z", "2025-11-01T06:30:00Z",
            "2025-11-02T05:30:00Z", "2025-11-02T07:30:00Z",  # 01:30 EDT (first) to 02:30 EST: 2 h
            "2025-11-03T06:30:00Z", "2025-11-03T07:30:00Z",
        ],
    ),
    (
        "berlin-spring-01:30-03:30-lasts-1h",
        "Europe/Berlin", "2025-03-30", "01:30", "03:30", "2025-03-29T12:00:00Z", "CLOSED",
        ["2025-03-30T00:30:00Z", "2025-03-30T01:30:00Z", "2025-03-30T23:30:00Z", "2025-03-31T01:30:00Z"],
    ),
    (
        "berlin-fall-01:30-03:30-lasts-3h",
        "Europe/Berlin", "2025-10-26", "01:30", "03:30", "2025-10-25T12:00:00Z", "CLOSED",
        ["2025-10-25T23:30:00Z", "2025-10-26T02:30:00Z", "2025-10-27T00:30:00Z", "2025-10-27T02:30:00Z"],
    ),
]


def _daily(zone: str, day: str, start: str, end: str, form: str) -> dict:
    if form == "shorthand":
        return {
            "name": "nightly", "type": "DEFAULT_CLOSED", "timezone": zone,
            "events": [{"summary": "Nightly", "start": f"{day}T{start}:00", "end": f"{day}T{end}:00",
                        "rrule": "FREQ=DAILY"}],
        }
    compact = day.replace("-", "")
    return windows(ics(f"""
        SUMMARY:Nightly
        DTSTART;TZID={zone}:{compact}T{start.replace(':', '')}00
        DTEND;TZID={zone}:{compact}T{end.replace(':', '')}00
        RRULE:FREQ=DAILY
    """), name="nightly")


@pytest.mark.parametrize("form", ["ics", "shorthand"])
@pytest.mark.parametrize("case_id,zone,day,start,end,at,first,flips", DST_CASES, ids=[c[0] for c in DST_CASES])
def test_dst_daily_window(case_id, zone, day, start, end, at, first, flips, form):
    calendars = [_daily(zone, day, start, end, form)]
    assert state(calendars, at=at)["state"] == first
    assert walk(calendars, at, len(flips)) == flips


# Outlook/Exchange exports name zones their own way and ship the rules in VTIMEZONE.
OUTLOOK_BERLIN = """
BEGIN:VTIMEZONE
TZID:W. Europe Standard Time
BEGIN:STANDARD
DTSTART:16011028T030000
RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10
TZOFFSETFROM:+0200
TZOFFSETTO:+0100
END:STANDARD
BEGIN:DAYLIGHT
DTSTART:16010325T020000
RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3
TZOFFSETFROM:+0100
TZOFFSETTO:+0200
END:DAYLIGHT
END:VTIMEZONE
"""


@pytest.mark.parametrize("tzid", ["W. Europe Standard Time", "Custom Berlin"])
def test_vtimezone_zone_gives_same_dst_answer_as_iana(tzid):
    text = ics(f"""
        SUMMARY:Nightly
        DTSTART;TZID={tzid}:20250329T020000
        DTEND;TZID={tzid}:20250329T030000
        RRULE:FREQ=DAILY
    """, header=OUTLOOK_BERLIN.replace("W. Europe Standard Time", tzid))
    assert walk([windows(text)], "2025-03-29T00:00:00Z", 6) == DST_CASES[0][7]


# --- windows across midnight --------------------------------------------------------

SATURDAY_NIGHT = windows(ics("""
    SUMMARY:Saturday night maintenance
    DTSTART;TZID=Europe/Berlin:20250104T220000
    DTEND;TZID=Europe/Berlin:20250105T020000
    RRULE:FREQ=WEEKLY;BYDAY=SA
"""))


@pytest.mark.parametrize("at,expected", [
    ("2025-06-07T19:59:59Z", ("CLOSED", "2025-06-07T20:00:00Z")),  # Sat 21:59:59 CEST
    ("2025-06-07T20:00:00Z", ("OPEN", "2025-06-08T00:00:00Z")),    # opens at Sat 22:00 exactly
    ("2025-06-07T23:30:00Z", ("OPEN", "2025-06-08T00:00:00Z")),    # Sun 01:30, after midnight
    ("2025-06-08T00:00:00Z", ("CLOSED", "2025-06-14T20:00:00Z")),  # closed at Sun 02:00 exactly
    ("2025-01-11T20:30:00Z", ("CLOSED", "2025-01-11T21:00:00Z")),  # winter: Sat 22:00 CET
    ("2025-01-11T23:30:00Z", ("OPEN", "2025-01-12T01:00:00Z")),
])
def test_window_across_midnight(at, expected):
    assert summary(state([SATURDAY_NIGHT], at=at)) == expected


# --- freezes on a DEFAULT_OPEN calendar -----------------------------------------------

FREEZE_CASES = [
    # id, calendar, at, (state, next)
    ("one-off-before", freezes(ics("""
        SUMMARY:Release freeze
        DTSTART;TZID=Europe/Berlin:20250701T180000
        DTEND;TZID=Europe/Berlin:20250702T060000
     """)), "2025-07-01T15:00:00Z", ("OPEN", "2025-07-01T16:00:00Z")),
    ("one-off-during", freezes(ics("""
        SUMMARY:Release freeze
        DTSTART;TZID=Europe/Berlin:20250701T180000
        DTEND;TZID=Europe/Berlin:20250702T060000
     """)), "2025-07-01T20:00:00Z", ("CLOSED", "2025-07-02T04:00:00Z")),
    ("one-off-after-nothing-left", freezes(ics("""
        SUMMARY:Release freeze
        DTSTART;TZID=Europe/Berlin:20250701T180000
        DTEND;TZID=Europe/Berlin:20250702T060000
     """)), "2025-07-02T04:00:00Z", ("OPEN", None)),
    ("all-day-before", freezes(ics("""
        SUMMARY:Christmas
        DTSTART;VALUE=DATE:20251224
        DTEND;VALUE=DATE:20251227
     """, header="X-WR-TIMEZONE:Europe/Berlin")), "2025-12-23T22:59:59Z", ("OPEN", "2025-12-23T23:00:00Z")),
    ("all-day-during-local-days", freezes(ics("""
        SUMMARY:Christmas
        DTSTART;VALUE=DATE:20251224
        DTEND;VALUE=DATE:20251227
     """, header="X-WR-TIMEZONE:Europe/Berlin")), "2025-12-25T12:00:00Z", ("CLOSED", "2025-12-26T23:00:00Z")),
    ("all-day-zone-from-calendar-key", freezes(ics("""
        SUMMARY:Christmas
        DTSTART;VALUE=DATE:20251224
        DTEND;VALUE=DATE:20251227
     """), timezone="America/New_York"), "2025-12-24T04:00:00Z", ("OPEN", "2025-12-24T05:00:00Z")),
    ("all-day-utc-without-zone", freezes(ics("""
        SUMMARY:Christmas
        DTSTART;VALUE=DATE:20251224
        DTEND;VALUE=DATE:20251227
     """)), "2025-12-24T00:00:00Z", ("CLOSED", "2025-12-27T00:00:00Z")),
    ("all-day-on-dst-day-is-23h", freezes(ics("""
        SUMMARY:Spring day
        DTSTART;VALUE=DATE:20250330
     """, header="X-WR-TIMEZONE:Europe/Berlin")), "2025-03-29T23:00:00Z", ("CLOSED", "2025-03-30T22:00:00Z")),
    ("all-day-shorthand-yaml-dates", {
        "name": "freezes", "type": "DEFAULT_OPEN", "timezone": "Europe/Berlin",
        "events": [{"summary": "Christmas", "start": dt.date(2025, 12, 24), "end": dt.date(2025, 12, 27)}],
    }, "2025-12-23T23:00:00Z", ("CLOSED", "2025-12-26T23:00:00Z")),
]


@pytest.mark.parametrize("case_id,calendar,at,expected", FREEZE_CASES, ids=[c[0] for c in FREEZE_CASES])
def test_freeze(case_id, calendar, at, expected):
    result = state([calendar], at=at)
    assert summary(result) == expected
    assert result["calendars"] == [
        {"name": calendar["name"], "type": "DEFAULT_OPEN", "state": expected[0], "next_transition": expected[1]}
    ]


# --- recurrence: RRULE + EXDATE, RDATE, DURATION, overrides -----------------------------

SUNDAY = """
    SUMMARY:Sunday patching
    DTSTART;TZID=Europe/Berlin:20250105T020000
    DTEND;TZID=Europe/Berlin:20250105T040000
    RRULE:FREQ=WEEKLY;BYDAY=SU
"""

RECURRENCE_CASES = [
    ("rrule-plain", SUNDAY, "2025-06-14T12:00:00Z", ("CLOSED", "2025-06-15T00:00:00Z")),
    ("exdate-local-skips-a-week", SUNDAY + "EXDATE;TZID=Europe/Berlin:20250615T020000",
     "2025-06-14T12:00:00Z", ("CLOSED", "2025-06-22T00:00:00Z")),
    ("exdate-utc-same-instance", SUNDAY + "EXDATE:20250615T000000Z",
     "2025-06-14T12:00:00Z", ("CLOSED", "2025-06-22T00:00:00Z")),
    ("exdate-list-skips-two", SUNDAY + "EXDATE;TZID=Europe/Berlin:20250615T020000,20250622T020000",
     "2025-06-14T12:00:00Z", ("CLOSED", "2025-06-29T00:00:00Z")),
    ("rrule-count-exhausted", SUNDAY.replace("BYDAY=SU", "BYDAY=SU;COUNT=3"),
     "2025-01-19T03:00:00Z", ("CLOSED", None)),
    ("rrule-until", SUNDAY.replace("BYDAY=SU", "BYDAY=SU;UNTIL=20250112T010000Z"),
     "2025-01-11T12:00:00Z", ("CLOSED", "2025-01-12T01:00:00Z")),
    ("rdate-adds-a-wednesday", SUNDAY + "RDATE;TZID=Europe/Berlin:20250618T020000",
     "2025-06-16T00:00:00Z", ("CLOSED", "2025-06-18T00:00:00Z")),
    ("rdate-instance-keeps-length", SUNDAY + "RDATE;TZID=Europe/Berlin:20250618T020000",
     "2025-06-18T01:00:00Z", ("OPEN", "2025-06-18T02:00:00Z")),
    ("rdate-period-has-own-length", SUNDAY + "RDATE;VALUE=PERIOD:20250618T100000Z/PT6H",
     "2025-06-18T11:00:00Z", ("OPEN", "2025-06-18T16:00:00Z")),
    ("duration-instead-of-dtend", """
        SUMMARY:Independence Day deploy
        DTSTART;TZID=America/New_York:20250704T090000
        DURATION:PT3H
     """, "2025-07-04T13:00:00Z", ("OPEN", "2025-07-04T16:00:00Z")),
    ("duration-days-all-day", """
        SUMMARY:Two days
        DTSTART;VALUE=DATE:20250704
        DURATION:P2D
     """, "2025-07-04T00:00:00Z", ("OPEN", "2025-07-06T00:00:00Z")),
    ("duration-weekly", """
        SUMMARY:Weekly 90 min
        DTSTART:20250106T220000Z
        DURATION:PT1H30M
        RRULE:FREQ=WEEKLY
     """, "2025-06-23T22:30:00Z", ("OPEN", "2025-06-23T23:30:00Z")),
]


@pytest.mark.parametrize("case_id,body,at,expected", RECURRENCE_CASES, ids=[c[0] for c in RECURRENCE_CASES])
def test_recurrence(case_id, body, at, expected):
    assert summary(state([windows(ics(body))], at=at)) == expected


def test_recurrence_id_moves_one_instance():
    moved = """
        SUMMARY:Sunday patching (moved to Saturday)
        RECURRENCE-ID;TZID=Europe/Berlin:20250615T020000
        DTSTART;TZID=Europe/Berlin:20250614T200000
        DTEND;TZID=Europe/Berlin:20250614T220000
    """
    text = ics(SUNDAY, moved).replace("UID:1@tests", "UID:0@tests")  # same series
    assert summary(state([windows(text)], at="2025-06-14T12:00:00Z")) == ("CLOSED", "2025-06-14T18:00:00Z")
    assert walk([windows(text)], "2025-06-14T12:00:00Z", 3) == [
        "2025-06-14T18:00:00Z", "2025-06-14T20:00:00Z", "2025-06-22T00:00:00Z",
    ]


def test_cancelled_instance_is_ignored():
    cancelled = """
        SUMMARY:Sunday patching
        RECURRENCE-ID;TZID=Europe/Berlin:20250615T020000
        DTSTART;TZID=Europe/Berlin:20250615T020000
        DTEND;TZID=Europe/Berlin:20250615T040000
        STATUS:CANCELLED
    """
    text = ics(SUNDAY, cancelled).replace("UID:1@tests", "UID:0@tests")  # same series
    assert summary(state([windows(text)], at="2025-06-14T12:00:00Z")) == ("CLOSED", "2025-06-22T00:00:00Z")


# --- time forms: floating, UTC, X-WR-TIMEZONE ------------------------------------------

TIME_FORM_CASES = [
    ("floating-in-x-wr-timezone", {"header": "X-WR-TIMEZONE:Europe/Berlin"}, {},
     "DTSTART:20250701T020000\nDTEND:20250701T030000", "2025-07-01T00:00:00Z"),
    ("floating-in-calendar-timezone", {}, {"timezone": "America/New_York"},
     "DTSTART:20250701T020000\nDTEND:20250701T030000", "2025-07-01T06:00:00Z"),
    ("calendar-timezone-beats-x-wr", {"header": "X-WR-TIMEZONE:Europe/Berlin"}, {"timezone": "UTC"},
     "DTSTART:20250701T020000\nDTEND:20250701T030000", "2025-07-01T02:00:00Z"),
    ("floating-without-zone-is-utc", {}, {},
     "DTSTART:20250701T020000\nDTEND:20250701T030000", "2025-07-01T02:00:00Z"),
    ("utc-ignores-calendar-timezone", {}, {"timezone": "America/New_York"},
     "DTSTART:20250701T020000Z\nDTEND:20250701T030000Z", "2025-07-01T02:00:00Z"),
    # Google-style export: UTC times meaning the X-WR-TIMEZONE wall clock, so the
    # weekly 02:00 CET (01:00Z) event stays at 02:00 local in summer (00:00Z).
    ("x-wr-timezone-recurring-utc", {"header": "X-WR-TIMEZONE:Europe/Berlin"}, {},
     "DTSTART:20250105T010000Z\nDTEND:20250105T030000Z\nRRULE:FREQ=WEEKLY", "2025-06-29T00:00:00Z"),
]


@pytest.mark.parametrize("case_id,ics_kwargs,extra,body,opens", TIME_FORM_CASES,
                         ids=[c[0] for c in TIME_FORM_CASES])
def test_time_forms(case_id, ics_kwargs, extra, body, opens):
    calendar = windows(ics("SUMMARY:Window\n" + body, **ics_kwargs), **extra)
    assert state([calendar], at="2025-06-28T12:00:00Z")["next_transition"] == opens


# --- several calendars --------------------------------------------------------------

def _one_off(name: str, kind: str, start: str, end: str) -> dict:
    return {"name": name, "type": kind, "ics": ics(f"SUMMARY:{name}\nDTSTART:{start}\nDTEND:{end}")}


WINDOW_A = _one_off("window-a", "DEFAULT_CLOSED", "20250501T010000Z", "20250501T040000Z")
WINDOW_B = _one_off("window-b", "DEFAULT_CLOSED", "20250501T020000Z", "20250501T050000Z")
FREEZE_1 = _one_off("freeze-1", "DEFAULT_OPEN", "20250501T100000Z", "20250501T120000Z")
FREEZE_2 = _one_off("freeze-2", "DEFAULT_OPEN", "20250501T120000Z", "20250501T140000Z")
NEVER_OPEN = {"name": "never", "type": "DEFAULT_CLOSED", "events": []}
YEAR_END = {"name": "year-end", "type": "DEFAULT_OPEN", "timezone": "Europe/Berlin",
            "events": [{"summary": "Year-end freeze", "start": "2025-12-20", "end": "2026-01-05"}]}

MULTI_CASES = [
    # id, calendars, at, (combined state, combined next), [(state, next) per calendar]
    ("overlapping-windows-closed-until-both-open", [WINDOW_A, WINDOW_B], "2025-05-01T00:00:00Z",
     ("CLOSED", "2025-05-01T02:00:00Z"),
     [("CLOSED", "2025-05-01T01:00:00Z"), ("CLOSED", "2025-05-01T02:00:00Z")]),
    ("overlapping-windows-first-open-changes-nothing", [WINDOW_A, WINDOW_B], "2025-05-01T01:30:00Z",
     ("CLOSED", "2025-05-01T02:00:00Z"),
     [("OPEN", "2025-05-01T04:00:00Z"), ("CLOSED", "2025-05-01T02:00:00Z")]),
    ("overlapping-windows-open-until-first-closes", [WINDOW_A, WINDOW_B], "2025-05-01T02:30:00Z",
     ("OPEN", "2025-05-01T04:00:00Z"),
     [("OPEN", "2025-05-01T04:00:00Z"), ("OPEN", "2025-05-01T05:00:00Z")]),
    ("overlapping-windows-never-again", [WINDOW_A, WINDOW_B], "2025-05-01T04:00:00Z",
     ("CLOSED", None),
     [("CLOSED", None), ("OPEN", "2025-05-01T05:00:00Z")]),
    ("adjacent-freezes-one-closure", [FREEZE_1, FREEZE_2], "2025-05-01T11:00:00Z",
     ("CLOSED", "2025-05-01T14:00:00Z"),
     [("CLOSED", "2025-05-01T12:00:00Z"), ("OPEN", "2025-05-01T12:00:00Z")]),
    ("always-closed-calendar-blocks-every-window", [NEVER_OPEN, WINDOW_A], "2025-05-01T00:00:00Z",
     ("CLOSED", None),
     [("CLOSED", None), ("CLOSED", "2025-05-01T01:00:00Z")]),
    ("freeze-swallows-windows", [SATURDAY_NIGHT, YEAR_END], "2025-12-20T21:00:00Z",
     ("CLOSED", "2026-01-10T21:00:00Z"),
     [("OPEN", "2025-12-21T01:00:00Z"), ("CLOSED", "2026-01-04T23:00:00Z")]),
    ("window-opens-when-freeze-absent", [SATURDAY_NIGHT, YEAR_END], "2025-12-13T12:00:00Z",
     ("CLOSED", "2025-12-13T21:00:00Z"),
     [("CLOSED", "2025-12-13T21:00:00Z"), ("OPEN", "2025-12-19T23:00:00Z")]),
]


@pytest.mark.parametrize("case_id,calendars,at,combined,per_calendar", MULTI_CASES,
                         ids=[c[0] for c in MULTI_CASES])
def test_several_calendars(case_id, calendars, at, combined, per_calendar):
    result = state(calendars, at=at)
    assert summary(result) == combined
    assert [(c["name"], c["state"], c["next_transition"]) for c in result["calendars"]] == [
        (cal["name"], *expected) for cal, expected in zip(calendars, per_calendar)
    ]


# --- one-year horizon -----------------------------------------------------------------

HORIZON_CASES = [
    ("empty-list", [], ("OPEN", None)),
    ("default-open-no-events", [{"name": "quiet", "type": "DEFAULT_OPEN", "events": []}], ("OPEN", None)),
    ("window-in-400-days", [_one_off("far", "DEFAULT_CLOSED", "20260205T000000Z", "20260206T000000Z")],
     ("CLOSED", None)),
    ("window-in-364-days", [_one_off("near", "DEFAULT_CLOSED", "20251231T120000Z", "20260102T000000Z")],
     ("CLOSED", "2025-12-31T12:00:00Z")),
    ("window-exactly-a-year-away", [_one_off("edge", "DEFAULT_CLOSED", "20260101T000000Z", "20260102T000000Z")],
     ("CLOSED", "2026-01-01T00:00:00Z")),
    ("freeze-longer-than-a-year", [_one_off("long", "DEFAULT_OPEN", "20241201T000000Z", "20270101T000000Z")],
     ("CLOSED", None)),
]


@pytest.mark.parametrize("case_id,calendars,expected", HORIZON_CASES, ids=[c[0] for c in HORIZON_CASES])
def test_next_transition_within_a_year(case_id, calendars, expected):
    assert summary(state(calendars, at="2025-01-01T00:00:00Z")) == expected


def test_each_calendar_reports_no_transition_beyond_a_year():
    """The one-year horizon holds per calendar, not only for the combined answer."""
    result = state([_one_off("far", "DEFAULT_CLOSED", "20260205T000000Z", "20260206T000000Z"),
                    _one_off("near", "DEFAULT_OPEN", "20250301T000000Z", "20250302T000000Z")], at="2025-01-01T00:00:00Z")
    assert [(c["name"], c["next_transition"]) for c in result["calendars"]] == [
        ("far", None), ("near", "2025-03-01T00:00:00Z")]


# Two windows that touch (02:00-03:00 then 03:00-04:00) are one open period: the next transition
# is its end at 04:00, not the seam at 03:00 where nothing changes. Overlapping ones likewise.
SEAM_CASES = [
    ("back-to-back", [("T020000", "T030000"), ("T030000", "T040000")]),
    ("overlapping", [("T020000", "T033000"), ("T030000", "T040000")]),
    ("one-inside-another", [("T020000", "T040000"), ("T023000", "T030000")]),
]


@pytest.mark.parametrize("case_id,events", SEAM_CASES, ids=[c[0] for c in SEAM_CASES])
def test_windows_that_touch_or_overlap_are_one_open_period(case_id, events):
    calendar = {"name": "nightly", "type": "DEFAULT_CLOSED", "timezone": "Etc/UTC", "events": [
        {"summary": f"window {i}", "start": f"2025-03-04{start}",
         "end": f"2025-03-04{end}"} for i, (start, end) in enumerate(events)]}
    for at in ("2025-03-04T02:30:00Z", "2025-03-04T03:00:00Z", "2025-03-04T03:30:00Z"):
        result = state([calendar], at=at)
        assert summary(result) == ("OPEN", "2025-03-04T04:00:00Z"), (at, result)
        assert result["calendars"][0]["next_transition"] == "2025-03-04T04:00:00Z"
    assert summary(state([calendar], at="2025-03-04T01:00:00Z")) == ("CLOSED", "2025-03-04T02:00:00Z")


# --- ICS and shorthand give the same answer -------------------------------------------

EQUIVALENT = [
    (
        "weekly-across-midnight-exdate-rdate",
        windows(ics("""
            SUMMARY:Saturday night
            DTSTART;TZID=Europe/Berlin:20250104T220000
            DTEND;TZID=Europe/Berlin:20250105T020000
            RRULE:FREQ=WEEKLY;BYDAY=SA
            EXDATE;TZID=Europe/Berlin:20250322T220000
            RDATE;TZID=Europe/Berlin:20250326T220000
        """), name="cal"),
        {"name": "cal", "type": "DEFAULT_CLOSED", "timezone": "Europe/Berlin", "events": [{
            "summary": "Saturday night", "start": "2025-01-04T22:00:00", "end": "2025-01-05T02:00:00",
            "rrule": "FREQ=WEEKLY;BYDAY=SA", "exdate": ["2025-03-22T22:00:00"], "rdate": ["2025-03-26T22:00:00"],
        }]},
        26,
        # 03-22 excluded, 03-26 added; on 03-30 the 02:00 end does not exist: 03:00 CEST.
        ["2025-03-08T21:00:00Z", "2025-03-09T01:00:00Z", "2025-03-15T21:00:00Z", "2025-03-16T01:00:00Z",
         "2025-03-26T21:00:00Z", "2025-03-27T01:00:00Z", "2025-03-29T21:00:00Z", "2025-03-30T01:00:00Z",
         "2025-04-05T20:00:00Z", "2025-04-06T00:00:00Z"],
    ),
    (
        "all-day-freeze",
        freezes(ics("SUMMARY:Easter\nDTSTART;VALUE=DATE:20250328\nDTEND;VALUE=DATE:20250401"),
                name="cal", timezone="Europe/Berlin"),
        {"name": "cal", "type": "DEFAULT_OPEN", "timezone": "Europe/Berlin",
         "events": [{"summary": "Easter", "start": "2025-03-28", "end": "2025-04-01"}]},
        26,
        ["2025-03-27T23:00:00Z", "2025-03-31T22:00:00Z"],  # CET midnight to CEST midnight
    ),
    (
        "new-york-daily-02:00-across-dst",
        _daily("America/New_York", "2025-03-01", "02:00", "03:00", "ics"),
        _daily("America/New_York", "2025-03-01", "02:00", "03:00", "shorthand"),
        5,  # a daily calendar costs more per call; these days span the DST change
        ["2025-03-07T07:00:00Z", "2025-03-07T08:00:00Z", "2025-03-08T07:00:00Z", "2025-03-08T08:00:00Z",
         "2025-03-09T07:00:00Z", "2025-03-09T08:00:00Z", "2025-03-10T06:00:00Z", "2025-03-10T07:00:00Z"],
    ),
]


@pytest.mark.parametrize("case_id,ics_calendar,shorthand,days,flips", EQUIVALENT, ids=[c[0] for c in EQUIVALENT])
def test_ics_and_shorthand_agree(case_id, ics_calendar, shorthand, days, flips):
    start = dt.datetime(2025, 3, 7, tzinfo=dt.timezone.utc)
    instants = [start + dt.timedelta(hours=3 * i) for i in range(8 * days)]  # every 3 h
    for at in instants:
        assert state([ics_calendar], at=at) == state([shorthand], at=at), at
    assert walk([ics_calendar], "2025-03-07T00:00:00Z", len(flips)) == flips
    assert walk([shorthand], "2025-03-07T00:00:00Z", len(flips)) == flips


# --- bad input: the message names the calendar, the event, and the fix -------------------

def _bad_ics(body: str, **kwargs) -> list:
    return [windows(ics("SUMMARY:Ok\nDTSTART:20250101T000000Z\nDTEND:20250101T010000Z", body), name="prod",
                    **kwargs)]


def _bad_events(*events: dict, timezone: str = "Europe/Berlin") -> list:
    return [{"name": "prod", "type": "DEFAULT_CLOSED", "timezone": timezone, "events": list(events)}]


ERROR_CASES = [
    ("missing-name", [{"type": "DEFAULT_OPEN", "events": []}], ["calendar #1", "no 'name'", "Fix:"]),
    ("missing-name-second", [NEVER_OPEN, {"name": "", "type": "DEFAULT_OPEN", "events": []}],
     ["calendar #2", "no 'name'"]),
    ("unknown-type", [{"name": "prod", "type": "DEFAULT_MAYBE", "events": []}],
     ["calendar 'prod'", "unknown type 'DEFAULT_MAYBE'", "DEFAULT_OPEN", "DEFAULT_CLOSED"]),
    ("both-ics-and-events", [{"name": "prod", "type": "DEFAULT_OPEN", "events": [], "ics": ics()}],
     ["calendar 'prod'", "exactly one of 'ics' and 'events'"]),
    ("neither-ics-nor-events", [{"name": "prod", "type": "DEFAULT_OPEN"}], ["calendar 'prod'", "exactly one"]),
    ("unknown-calendar-key", [{"name": "prod", "type": "DEFAULT_OPEN", "events": [], "timezon": "UTC"}],
     ["calendar 'prod'", "unknown keys ['timezon']"]),
    ("not-a-dict", ["prod"], ["calendar #1", "expected a dict"]),
    ("unparsable-ics", [windows("this is not a calendar", name="prod")],
     ["calendar 'prod'", "cannot be parsed", "BEGIN:VCALENDAR"]),
    ("truncated-ics", [windows("BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\n", name="prod")],
     ["calendar 'prod'", "cannot be parsed"]),
    ("ics-without-vcalendar", [windows("BEGIN:VEVENT\r\nUID:1\r\nEND:VEVENT\r\n", name="prod")],
     ["calendar 'prod'", "not a VCALENDAR"]),
    ("ics-end-before-start",
     _bad_ics("SUMMARY:Patch night\nDTSTART:20250102T030000Z\nDTEND:20250102T010000Z"),
     ["calendar 'prod'", "event #2 'Patch night'", "not after DTSTART", "Fix: make the end later"]),
    ("ics-end-equals-start",
     _bad_ics("SUMMARY:Patch night\nDTSTART:20250102T030000Z\nDTEND:20250102T030000Z"),
     ["calendar 'prod'", "event #2 'Patch night'", "not after DTSTART"]),
    ("ics-negative-duration",
     _bad_ics("SUMMARY:Patch night\nDTSTART:20250102T030000Z\nDURATION:-PT1H"),
     ["calendar 'prod'", "event #2 'Patch night'", "DTSTART + DURATION"]),
    ("ics-no-end", _bad_ics("SUMMARY:Patch night\nDTSTART:20250102T030000Z"),
     ["calendar 'prod'", "event #2 'Patch night'", "no DTEND or DURATION", "Fix: add DTEND"]),
    ("ics-no-summary-uses-index", _bad_ics("DTSTART:20250102T030000Z\nDTEND:20250102T020000Z"),
     ["calendar 'prod'", "event #2:", "not after DTSTART"]),
    ("ics-unknown-tzid",
     _bad_ics("SUMMARY:Deploy\nDTSTART;TZID=Mars/Olympus:20250102T030000\n"
              "DTEND;TZID=Mars/Olympus:20250102T040000"),
     ["calendar 'prod'", "event #2 'Deploy'", "TZID=Mars/Olympus", "IANA"]),
    ("ics-unknown-tzid-in-exdate",
     _bad_ics("SUMMARY:Deploy\nDTSTART:20250102T030000Z\nDTEND:20250102T040000Z\nRRULE:FREQ=DAILY\n"
              "EXDATE;TZID=Mars/Olympus:20250103T030000"),
     ["event #2 'Deploy'", "EXDATE uses unknown time zone"]),
    ("ics-unknown-x-wr-timezone",
     [windows(ics("SUMMARY:Ok\nDTSTART:20250101T000000Z\nDTEND:20250101T010000Z",
                  header="X-WR-TIMEZONE:Mars/Base"), name="prod")],
     ["calendar 'prod'", "unknown time zone 'Mars/Base'"]),
    ("ics-broken-dtstart", _bad_ics("SUMMARY:Deploy\nDTSTART:2025xx\nDTEND:20250102T040000Z"),
     ["calendar 'prod'", "event #2 'Deploy'", "DTSTART cannot be parsed"]),
    ("ics-bad-rrule", _bad_ics("SUMMARY:Deploy\nDTSTART:20250102T030000Z\nDTEND:20250102T040000Z\n"
                               "RRULE:FREQ=SOMETIMES"),
     ["calendar 'prod'", "event #2 'Deploy'", "RRULE cannot be parsed"]),
    ("ics-date-and-datetime", _bad_ics("SUMMARY:Deploy\nDTSTART;VALUE=DATE:20250102\nDTEND:20250102T040000Z"),
     ["event #2 'Deploy'", "mixes a date with a date-time"]),
    ("unknown-calendar-timezone", _bad_events(timezone="Europe/Atlantis"),
     ["calendar 'prod'", "unknown time zone 'Europe/Atlantis'", "IANA"]),
    ("shorthand-end-before-start",
     _bad_events({"summary": "Nightly", "start": "2025-01-02T03:00:00", "end": "2025-01-02T01:00:00"}),
     ["calendar 'prod'", "event #1 'Nightly'", "not after DTSTART"]),
    ("shorthand-across-midnight-on-one-date",
     _bad_events({"summary": "Late", "start": "2025-01-02T22:00:00", "end": "2025-01-02T02:00:00"}),
     ["event #1 'Late'", "ends on the next day"]),
    ("shorthand-end-equals-start",
     _bad_events({"start": "2025-01-02T03:00:00", "end": "2025-01-02T03:00:00"}),
     ["calendar 'prod'", "event #1:", "not after DTSTART"]),
    ("shorthand-missing-end", _bad_events({"summary": "Nightly", "start": "2025-01-02T03:00:00"}),
     ["calendar 'prod'", "event #1 'Nightly'", "no 'end'"]),
    ("shorthand-bad-start", _bad_events({"summary": "Nightly", "start": "tomorrow", "end": "2025-01-02T03:00:00"}),
     ["calendar 'prod'", "event #1 'Nightly'", "start 'tomorrow' is not an ISO 8601"]),
    ("shorthand-bad-rrule", _bad_events({"summary": "Nightly", "start": "2025-01-02T01:00:00",
                                         "end": "2025-01-02T03:00:00", "rrule": "FREQ=SOMETIMES"}),
     ["event #1 'Nightly'", "rrule 'FREQ=SOMETIMES' is invalid"]),
    ("shorthand-rrule-without-freq", _bad_events({"summary": "Nightly", "start": "2025-01-02T01:00:00",
                                                  "end": "2025-01-02T03:00:00", "rrule": "every day"}),
     ["event #1 'Nightly'", "no FREQ"]),
    ("shorthand-unknown-event-key", _bad_events({"summary": "Nightly", "start": "2025-01-02T01:00:00",
                                                 "end": "2025-01-02T03:00:00", "exdates": []}),
     ["event #1 'Nightly'", "unknown keys ['exdates']"]),
    ("shorthand-second-event-named", _bad_events(
        {"summary": "Fine", "start": "2025-01-02T01:00:00", "end": "2025-01-02T03:00:00"},
        {"summary": "Broken", "start": "2025-01-03T05:00:00", "end": "2025-01-03T04:00:00"}),
     ["event #2 'Broken'"]),
    ("not-a-list", "prod", ["expected a list of calendars"]),
]


@pytest.mark.parametrize("case_id,calendars,fragments", ERROR_CASES, ids=[c[0] for c in ERROR_CASES])
def test_bad_input_is_reported_with_its_location_and_fix(case_id, calendars, fragments):
    with pytest.raises(AnsibleFilterError) as caught:
        state(calendars, at="2025-01-01T00:00:00Z")
    message = str(caught.value)
    assert message.startswith("change_window_state: ")
    assert "Fix:" in message
    for fragment in fragments:
        assert fragment in message


@pytest.mark.parametrize("at", ["yesterday", "2025-13-01T00:00:00Z", 12345, dt.date(2025, 1, 1)])
def test_bad_at_is_reported(at):
    with pytest.raises(AnsibleFilterError, match="is not an ISO 8601 date-time"):
        state([], at=at)


# --- the at argument and the Ansible entry point ----------------------------------------

@pytest.mark.parametrize("at", [
    "2025-06-07T20:00:00Z",
    "2025-06-07T20:00:00+00:00",
    "2025-06-07T22:00:00+02:00",
    "2025-06-07T20:00:00",  # no offset: UTC
    dt.datetime(2025, 6, 7, 22, 0, tzinfo=dt.timezone(dt.timedelta(hours=2))),
    dt.datetime(2025, 6, 7, 20, 0),
])
def test_at_forms_mean_the_same_instant(at):
    assert summary(state([SATURDAY_NIGHT], at=at)) == ("OPEN", "2025-06-08T00:00:00Z")


def test_default_at_is_now():
    result = state([NEVER_OPEN])
    assert summary(result) == ("CLOSED", None)
    assert state([]) == {"state": "OPEN", "next_transition": None, "calendars": []}


def test_plugin_documentation_is_valid_yaml():
    doc = yaml.safe_load(cw.DOCUMENTATION)
    assert doc["name"] == "change_window_state"
    assert set(doc["options"]) == {"_input", "at"}
    assert yaml.safe_load(cw.EXAMPLES)
    assert set(yaml.safe_load(cw.RETURN)["_value"]["contains"]) == {"state", "next_transition", "calendars"}


def test_filter_module_exposes_the_filter():
    assert cw.FilterModule().filters() == {"change_window_state": cw.change_window_state}


def test_weekly_calendar_over_a_year_is_fast():
    calendars = [SATURDAY_NIGHT, YEAR_END]
    state(calendars, at="2025-01-01T00:00:00Z")  # warm imports and zone caches
    runs = 20
    began = time.perf_counter()
    for _ in range(runs):
        result = state(calendars, at="2025-01-01T00:00:00Z")
    per_call = (time.perf_counter() - began) / runs
    assert result["next_transition"] == "2025-01-04T21:00:00Z"
    assert per_call < 0.25, f"{per_call:.3f} s per evaluation"
