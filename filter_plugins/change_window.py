# -*- coding: utf-8 -*-
"""Change-window gate: is a change allowed now, and until when?

The semantics follow AWS SSM Change Calendar so that a calendar kept in SSM and a
calendar kept in the inventory give the same answer.
"""

from __future__ import annotations

DOCUMENTATION = r"""
  name: change_window_state
  short_description: Evaluate change calendars (freezes and maintenance windows) at an instant
  description:
    - Takes a list of change calendars and returns whether changes are allowed (C(OPEN)) or not
      (C(CLOSED)) at O(at), and the next instant at which that answer changes.
    - Semantics follow AWS SSM Change Calendar. A C(DEFAULT_OPEN) calendar is CLOSED during its
      events (freezes). A C(DEFAULT_CLOSED) calendar is OPEN only during its events (windows).
      Several calendars are OPEN only when all of them are OPEN.
    - A calendar is either iCalendar text (RFC 5545) in C(ics), or the YAML shorthand C(events).
    - "iCalendar support: DTSTART with TZID (IANA names, or any name backed by a VTIMEZONE block),
      UTC times, floating times, DTEND or DURATION, RRULE, EXDATE, RDATE (also as PERIOD),
      RECURRENCE-ID overrides, all-day events (VALUE=DATE) and X-WR-TIMEZONE. Events with
      STATUS:CANCELLED are ignored."
    - Floating times and all-day dates are read in the calendar's zone, that is the calendar's
      C(timezone) key, else the ICS's X-WR-TIMEZONE, else UTC.
    - "DST: an event keeps its local start and end times, so its real length changes on DST days
      (01:30-03:30 lasts 1 h on a spring-forward day, 3 h on a fall-back day in Europe/Berlin).
      A local start time that is skipped by spring-forward moves forward with the clock and keeps
      its wall-clock length (02:00-03:00 becomes 03:00-04:00), and a repeated local time means its
      first occurrence (RFC 5545 3.3.5), so a daily window never runs twice or not at all."
    - Events are half-open intervals, in effect from their start up to but not including their end.
    - Raises an error naming the calendar and the event, and saying how to fix it, for a missing
      name, an unknown type, unparsable ICS, an unknown time zone, or an event that does not end
      after it starts.
  positional: _input
  options:
    _input:
      description:
        - List of calendars. Each is a dict with C(name), C(type) (C(DEFAULT_OPEN) or
          C(DEFAULT_CLOSED)), an optional C(timezone) (IANA name), an optional C(description),
          and either C(ics) (iCalendar text) or C(events) (shorthand list).
        - "A shorthand event has C(summary), C(start) and C(end) (ISO 8601 local date-times in the
          calendar's C(timezone), or dates for all-day events), and optional C(rrule)
          (RFC 5545 RRULE value such as C(FREQ=WEEKLY;BYDAY=SA)), C(exdate) and C(rdate) (lists of
          date-times or dates)."
      type: list
      elements: dict
      required: true
    at:
      description:
        - The instant to evaluate, as an ISO 8601 string or an aware datetime.
        - A value without an offset is taken as UTC. Defaults to now.
      type: raw
"""

EXAMPLES = r"""
- name: Refuse to start a change outside the window
  vars:
    change_calendars:
      # Shorthand: a weekly window across midnight, in local time.
      - name: weekly-window
        type: DEFAULT_CLOSED
        timezone: Europe/Berlin
        events:
          - summary: Saturday night maintenance
            start: "2025-01-04T22:00:00"
            end: "2025-01-05T02:00:00"
            rrule: FREQ=WEEKLY;BYDAY=SA
            exdate: ["2025-12-27T22:00:00"]
      # Shorthand: an all-day freeze (end date not included).
      - name: year-end-freeze
        type: DEFAULT_OPEN
        timezone: Europe/Berlin
        events:
          - summary: Christmas freeze
            start: 2025-12-20
            end: 2026-01-05
      # iCalendar text, e.g. exported from SSM Change Calendar or a calendar tool.
      - name: release-freezes
        type: DEFAULT_OPEN
        ics: "{{ lookup('ansible.builtin.file', 'calendars/release-freezes.ics') }}"
    gate: "{{ change_calendars | change_window_state }}"
  ansible.builtin.assert:
    that: gate.state == 'OPEN'
    fail_msg: "Change window closed; it next changes at {{ gate.next_transition }}"

- name: Evaluate at a fixed instant (dry runs, tests)
  ansible.builtin.debug:
    msg: "{{ change_calendars | change_window_state(at='2025-03-30T01:30:00Z') }}"
"""

RETURN = r"""
  _value:
    description: The combined state and the per-calendar states.
    type: dict
    contains:
      state:
        description: C(OPEN) when every calendar is open at O(at), else C(CLOSED).
        type: str
      next_transition:
        description:
          - First instant after O(at) at which the combined state changes, ISO 8601 UTC with C(Z).
          - None when it does not change within a year of O(at).
        type: str
      calendars:
        description: One entry per input calendar, in input order.
        type: list
        elements: dict
        contains:
          name: {description: The calendar's name., type: str}
          type: {description: C(DEFAULT_OPEN) or C(DEFAULT_CLOSED)., type: str}
          state: {description: C(OPEN) or C(CLOSED) at O(at)., type: str}
          next_transition: {description: This calendar's next change within a year, or None., type: str}
"""

import bisect
import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ansible.errors import AnsibleFilterError

try:
    import icalendar
    import recurring_ical_events
    import x_wr_timezone
    from dateutil.relativedelta import relativedelta
    from dateutil.tz import resolve_imaginary
except ImportError as exc:  # reported when the filter is used, not when Ansible loads plugins
    IMPORT_ERROR: ImportError | None = exc
else:
    IMPORT_ERROR = None

UTC = dt.timezone.utc
CALENDAR_TYPES = ("DEFAULT_OPEN", "DEFAULT_CLOSED")
CALENDAR_KEYS = {"name", "type", "timezone", "description", "ics", "events"}
EVENT_KEYS = {"summary", "start", "end", "rrule", "exdate", "rdate"}
# Expand a little beyond [at, horizon] so that events near the edges are never lost to
# a DST or zone difference between the library's view of an instant and ours.
EXPANSION_SLACK = dt.timedelta(days=1)
DATE_TIME_PROPERTIES = ("DTSTART", "DTEND", "RECURRENCE-ID", "EXDATE", "RDATE")

Time = dt.date | dt.datetime


class _Fail(AnsibleFilterError):
    """An operator-facing error: where the problem is, what it is, and the fix."""

    def __init__(self, calendar: str, problem: str, fix: str, event: str | None = None) -> None:
        where = calendar if event is None else f"{calendar}, {event}"
        super().__init__(f"change_window_state: {where}: {problem}. Fix: {fix}.")


@dataclass(frozen=True)
class Timeline:
    """One calendar's events over the horizon, merged and in UTC.

    ``bounds`` is start0, end0, start1, end1, ... strictly increasing, so an instant is
    inside an event exactly when an odd number of bounds are at or before it.
    """

    name: str
    kind: str
    bounds: list[dt.datetime]

    def is_open(self, instant: dt.datetime) -> bool:
        """Whether this calendar allows changes at ``instant``."""
        in_event = bisect.bisect_right(self.bounds, instant) % 2 == 1
        return in_event == (self.kind == "DEFAULT_CLOSED")

    def next_change(self, instant: dt.datetime, horizon: dt.datetime) -> dt.datetime | None:
        """First bound after ``instant`` and not after ``horizon``: merged bounds all flip the state."""
        index = bisect.bisect_right(self.bounds, instant)
        if index < len(self.bounds) and self.bounds[index] <= horizon:
            return self.bounds[index]
        return None


def change_window_state(calendars: Any, at: str | dt.datetime | None = None) -> dict[str, Any]:
    """Return the combined and per-calendar change-window state at ``at``.

    :param calendars: list of calendar dicts (see DOCUMENTATION); one dict is taken as a list of one.
    :param at: ISO 8601 string or aware datetime; naive values are UTC; default now.
    :returns: ``{state, next_transition, calendars: [{name, type, state, next_transition}]}``.
    :raises AnsibleFilterError: on any invalid calendar, naming the calendar and event.
    """
    if IMPORT_ERROR is not None:
        raise AnsibleFilterError(
            f"change_window_state needs icalendar and recurring-ical-events ({IMPORT_ERROR}). "
            "Fix: pip install -r requirements.txt on the controller."
        )
    instant = parse_instant(at)
    horizon = instant + relativedelta(years=1)
    if isinstance(calendars, Mapping):
        calendars = [calendars]
    if not isinstance(calendars, (list, tuple)):
        raise AnsibleFilterError(
            f"change_window_state: expected a list of calendars, got {type(calendars).__name__}. "
            "Fix: pass a list such as [{name: ..., type: DEFAULT_CLOSED, events: [...]}]."
        )
    timelines = [
        build_timeline(calendar, position, instant, horizon)
        for position, calendar in enumerate(calendars, 1)
    ]
    return {
        "state": _state(all(t.is_open(instant) for t in timelines)),
        "next_transition": _iso(combined_next_change(timelines, instant, horizon)),
        "calendars": [
            {
                "name": t.name,
                "type": t.kind,
                "state": _state(t.is_open(instant)),
                "next_transition": _iso(t.next_change(instant, horizon)),
            }
            for t in timelines
        ],
    }


def combined_next_change(
    timelines: list[Timeline], instant: dt.datetime, horizon: dt.datetime
) -> dt.datetime | None:
    """First instant after ``instant`` where "all calendars open" flips.

    Not simply the earliest per-calendar change: with two overlapping windows the first
    one opening changes nothing while the other is still closed.
    """

    def all_open(moment: dt.datetime) -> bool:
        return all(t.is_open(moment) for t in timelines)

    now_open = all_open(instant)
    candidates = sorted({b for t in timelines for b in t.bounds if instant < b <= horizon})
    return next((c for c in candidates if all_open(c) != now_open), None)


def parse_instant(at: str | dt.datetime | None) -> dt.datetime:
    """Return ``at`` as an aware UTC datetime; ``None`` means now (the filter's only clock read)."""
    if at is None:
        return dt.datetime.now(UTC)
    if isinstance(at, dt.datetime):
        value = at
    elif isinstance(at, str):
        try:
            value = dt.datetime.fromisoformat(at.strip())
        except ValueError:
            value = None
    else:
        value = None
    if value is None:
        raise AnsibleFilterError(
            f"change_window_state: at={at!r} is not an ISO 8601 date-time. "
            "Fix: pass e.g. at='2025-03-30T01:00:00Z', or leave it out to mean now."
        )
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def build_timeline(
    calendar: Any, position: int, instant: dt.datetime, horizon: dt.datetime
) -> Timeline:
    """Validate one calendar and expand its events between ``instant`` and ``horizon``."""
    name, kind = _identify(calendar, position)
    label = f"calendar '{name}'"
    if "ics" in calendar:
        ical = parse_ics(label, calendar["ics"])
        zone_name = calendar.get("timezone") or ical.get("X-WR-TIMEZONE") or "UTC"
        zone = resolve_zone(label, zone_name)
    else:
        zone = resolve_zone(label, calendar.get("timezone") or "UTC")
        ical = shorthand_to_ical(label, calendar["events"], zone)
    check_events(label, ical, zone)
    intervals = expand(label, ical, zone, instant - EXPANSION_SLACK, horizon + EXPANSION_SLACK)
    return Timeline(name, kind, merge(intervals))


def _identify(calendar: Any, position: int) -> tuple[str, str]:
    """Check a calendar's shape; return its name and type."""
    if not isinstance(calendar, Mapping):
        raise _Fail(
            f"calendar #{position}",
            f"expected a dict, got {type(calendar).__name__}",
            "give {name, type, ics} or {name, type, timezone, events}",
        )
    name = calendar.get("name")
    if not isinstance(name, str) or not name.strip():
        raise _Fail(
            f"calendar #{position}",
            "has no 'name'",
            "give every calendar a unique name; decisions and errors are reported by it",
        )
    label = f"calendar '{name}'"
    unknown = sorted(set(calendar) - CALENDAR_KEYS)
    if unknown:
        raise _Fail(label, f"unknown keys {unknown}", f"use only {sorted(CALENDAR_KEYS)}")
    kind = calendar.get("type")
    if kind not in CALENDAR_TYPES:
        raise _Fail(
            label,
            f"unknown type {kind!r}",
            "use DEFAULT_OPEN (closed during its events: freezes) "
            "or DEFAULT_CLOSED (open only during its events: windows)",
        )
    if ("ics" in calendar) == ("events" in calendar):
        raise _Fail(
            label,
            "needs exactly one of 'ics' and 'events'",
            "give iCalendar text in 'ics', or a shorthand list in 'events', not both",
        )
    return name, kind


def resolve_zone(label: str, zone_name: Any) -> dt.tzinfo:
    """Return the IANA zone named ``zone_name``."""
    zone_name = str(zone_name)  # X-WR-TIMEZONE arrives as an icalendar value type
    try:
        return ZoneInfo(zone_name)
    except (ZoneInfoNotFoundError, ValueError):
        raise _Fail(
            label,
            f"unknown time zone {zone_name!r}",
            "use an IANA name such as Europe/Berlin or America/New_York",
        ) from None


def parse_ics(label: str, text: Any) -> icalendar.Calendar:
    """Parse iCalendar text into one VCALENDAR."""
    fix = "export the calendar again as iCalendar (RFC 5545) text: one BEGIN:VCALENDAR ... END:VCALENDAR"
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    if not isinstance(text, str):
        raise _Fail(label, f"'ics' must be text, got {type(text).__name__}", fix)
    try:
        ical = icalendar.Calendar.from_ical(text)
    except ValueError as err:
        raise _Fail(label, f"the ICS cannot be parsed ({err})", fix) from None
    if not isinstance(ical, icalendar.Calendar):
        raise _Fail(label, f"the ICS holds a {ical.name}, not a VCALENDAR", fix)
    return ical


def shorthand_to_ical(label: str, events: Any, zone: dt.tzinfo) -> icalendar.Calendar:
    """Build a VCALENDAR from the YAML shorthand so both forms share one code path."""
    if not isinstance(events, (list, tuple)):
        raise _Fail(label, "'events' must be a list", "give a list of {summary, start, end, ...}")
    ical = icalendar.Calendar()
    ical.add("prodid", "-//change_window_state//shorthand//EN")
    ical.add("version", "2.0")
    for position, event in enumerate(events, 1):
        where = event_label(event.get("summary") if isinstance(event, Mapping) else None, position)
        if not isinstance(event, Mapping):
            raise _Fail(label, "is not a dict", "give {summary, start, end, ...}", where)
        unknown = sorted(set(event) - EVENT_KEYS)
        if unknown:
            raise _Fail(label, f"unknown keys {unknown}", f"use only {sorted(EVENT_KEYS)}", where)
        vevent = icalendar.Event()
        vevent.add("uid", f"{position}@{label}")
        if event.get("summary") is not None:
            vevent.add("summary", str(event["summary"]))
        for key, prop in (("start", "dtstart"), ("end", "dtend")):
            if event.get(key) is None:
                raise _Fail(label, f"has no '{key}'", f"add '{key}' as a local date-time or date", where)
            vevent.add(prop, local_time(label, where, key, event[key], zone))
        if event.get("rrule"):
            vevent.add("rrule", parse_rrule(label, where, event["rrule"]))
        for key in ("exdate", "rdate"):
            values = event.get(key) or []
            for value in values if isinstance(values, (list, tuple)) else [values]:
                vevent.add(key, local_time(label, where, key, value, zone))
        ical.add_component(vevent)
    return ical


def local_time(label: str, where: str, key: str, value: Any, zone: dt.tzinfo) -> Time:
    """A shorthand time: a date stays a date (all-day); a date-time is placed in ``zone``."""
    parsed: Time | None = None
    if isinstance(value, (dt.date, dt.datetime)):
        parsed = value
    elif isinstance(value, str):
        text = value.strip()
        try:
            # Ten characters or fewer is a date; longer needs a time part.
            parsed = dt.date.fromisoformat(text) if len(text) <= 10 else dt.datetime.fromisoformat(text)
        except ValueError:
            parsed = None
    if parsed is None:
        raise _Fail(
            label,
            f"{key} {value!r} is not an ISO 8601 date-time or date",
            f"write {key} like 2025-03-30T02:00:00 (local time) or 2025-12-24 (all day)",
            where,
        )
    if not isinstance(parsed, dt.datetime):
        return parsed
    # An explicit offset is honoured, then shown in the calendar's zone so that
    # recurrences follow local wall-clock time.
    return parsed.replace(tzinfo=zone) if parsed.tzinfo is None else parsed.astimezone(zone)


def parse_rrule(label: str, where: str, value: Any) -> icalendar.vRecur:
    """Parse a shorthand RRULE value, with or without the ``RRULE:`` prefix."""
    text = str(value).strip()
    if text.upper().startswith("RRULE:"):
        text = text[len("RRULE:"):]
    try:
        rule = icalendar.vRecur.from_ical(text)
    except ValueError as err:
        rule = None
        problem = f"rrule {text!r} is invalid ({err})"
    else:
        problem = f"rrule {text!r} has no FREQ"
    if rule is None or "FREQ" not in rule:
        raise _Fail(label, problem, "write an RFC 5545 RRULE value such as FREQ=WEEKLY;BYDAY=SA", where)
    return rule


def event_label(summary: Any, position: int) -> str:
    """How errors name an event: its position, and its summary when it has one."""
    return f"event #{position} '{summary}'" if summary else f"event #{position}"


def check_events(label: str, ical: icalendar.Calendar, zone: dt.tzinfo) -> None:
    """Reject what the expansion would silently get wrong: broken values, unknown zones, no length."""
    for position, vevent in enumerate(ical.walk("VEVENT"), 1):
        where = event_label(vevent.get("SUMMARY"), position)
        for prop, message in vevent.errors:
            raise _Fail(label, f"{prop} cannot be parsed ({message})", f"correct {prop} per RFC 5545", where)
        if "DTSTART" not in vevent:
            raise _Fail(label, "has no DTSTART", "add DTSTART", where)
        for prop in DATE_TIME_PROPERTIES:
            _check_zone(label, where, prop, vevent.get(prop))
        for rule in _as_list(vevent.get("RRULE")):
            if "FREQ" not in rule:
                raise _Fail(label, "RRULE has no FREQ", "write an RRULE such as FREQ=WEEKLY;BYDAY=SA", where)
        _check_length(label, where, vevent, zone)


def _as_list(value: Any) -> list[Any]:
    """icalendar gives a list when a property repeats, else the property itself."""
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _check_zone(label: str, where: str, prop: str, value: Any) -> None:
    """icalendar leaves a time naive when it cannot resolve its TZID: catch that."""
    for item in _as_list(value):
        tzid = item.params.get("TZID")
        if tzid is None:
            continue
        times = [d.dt for d in item.dts] if hasattr(item, "dts") else [item.dt]
        for time in times:
            first = time[0] if isinstance(time, tuple) else time
            if isinstance(first, dt.datetime) and first.tzinfo is None:
                raise _Fail(
                    label,
                    f"{prop} uses unknown time zone TZID={tzid}",
                    "use an IANA TZID such as Europe/Berlin, or include the VTIMEZONE block",
                    where,
                )


def _check_length(label: str, where: str, vevent: icalendar.Event, zone: dt.tzinfo) -> None:
    """An event must end after it starts (zero-length events gate nothing and hide typos)."""
    start = vevent["DTSTART"].dt
    if "DTEND" in vevent:
        end, end_name = vevent["DTEND"].dt, "DTEND"
    elif "DURATION" in vevent:
        duration = vevent["DURATION"].dt
        if not isinstance(start, dt.datetime) and duration.seconds:
            start = dt.datetime.combine(start, dt.time())
        end, end_name = start + duration, "DTSTART + DURATION"
    elif isinstance(start, dt.datetime):
        raise _Fail(
            label,
            "has a DTSTART time but no DTEND or DURATION, so it lasts no time",
            "add DTEND (or DURATION) after DTSTART",
            where,
        )
    else:
        return  # an all-day DTSTART alone is one day (RFC 5545 3.6.1)
    if isinstance(start, dt.datetime) != isinstance(end, dt.datetime):
        raise _Fail(
            label,
            "mixes a date with a date-time in DTSTART and DTEND",
            "use dates in both (all day) or date-times in both",
            where,
        )
    if wall_length(start, end, zone) <= dt.timedelta(0):
        raise _Fail(
            label,
            f"{end_name} {end} is not after DTSTART {vevent['DTSTART'].dt}",
            "make the end later than the start (a window across midnight ends on the next day)",
            where,
        )


def wall_length(start: Time, end: Time, zone: dt.tzinfo) -> dt.timedelta:
    """Length as read on the wall clock when both ends share a zone, else the real length."""
    if not isinstance(start, dt.datetime):
        return end - start
    if start.tzinfo is end.tzinfo:
        return end.replace(tzinfo=None) - start.replace(tzinfo=None)
    return to_aware(end, zone) - to_aware(start, zone)


def expand(
    label: str, ical: icalendar.Calendar, zone: dt.tzinfo, start: dt.datetime, stop: dt.datetime
) -> list[tuple[dt.datetime, dt.datetime]]:
    """All event occurrences touching [start, stop), as UTC intervals."""
    if "X-WR-TIMEZONE" in ical:
        # Google-style exports write UTC times but mean the X-WR-TIMEZONE wall clock;
        # recurrences must follow that clock across DST.
        ical = x_wr_timezone.to_standard(ical, timezone=zone)
    try:
        # The span is given in the calendar's zone so floating times are read in it.
        occurrences = list(
            recurring_ical_events.CalendarQuery(ical).between(start.astimezone(zone), stop.astimezone(zone))
        )
    except Exception as err:  # noqa: BLE001 - any library failure on operator data must name the calendar
        raise _Fail(
            label,
            f"its events cannot be expanded ({type(err).__name__}: {err})",
            "check RRULE, RDATE, EXDATE and RECURRENCE-ID values against RFC 5545",
        ) from None
    return [
        utc_interval(o["DTSTART"].dt, o["DTEND"].dt, zone)
        for o in occurrences
        # Calendar tools cancel one instance of a series by exporting it with this status.
        if str(o.get("STATUS", "")).upper() != "CANCELLED"
    ]


def to_aware(value: Time, zone: dt.tzinfo) -> dt.datetime:
    """Dates become local midnight and floating times local time, in ``zone``."""
    if not isinstance(value, dt.datetime):
        return dt.datetime.combine(value, dt.time(), tzinfo=zone)
    return value if value.tzinfo is not None else value.replace(tzinfo=zone)


def utc_interval(start: Time, end: Time, zone: dt.tzinfo) -> tuple[dt.datetime, dt.datetime]:
    """One occurrence as a UTC interval, with the DST rules from DOCUMENTATION.

    Python reads a skipped local time with the offset before the gap (the RFC 5545 rule)
    and a repeated one as its first occurrence (fold=0, also RFC 5545). ``resolve_imaginary``
    makes the skipped-time rule hold for VTIMEZONE-based zones too.
    """
    start, end = to_aware(start, zone), to_aware(end, zone)
    real_start = resolve_imaginary(start)
    if start.tzinfo is end.tzinfo:
        # Same zone: keep the local wall-clock length from the real start, so a window
        # whose start was skipped by spring-forward shifts instead of shrinking to nothing.
        end = real_start + (end.replace(tzinfo=None) - start.replace(tzinfo=None))
    return real_start.astimezone(UTC), resolve_imaginary(end).astimezone(UTC)


def merge(intervals: Iterable[tuple[dt.datetime, dt.datetime]]) -> list[dt.datetime]:
    """Merge overlapping and touching intervals into flat, strictly increasing bounds."""
    bounds: list[dt.datetime] = []
    for start, end in sorted(intervals):
        if end <= start:
            continue  # no length, no effect on the state
        if bounds and start <= bounds[-1]:
            bounds[-1] = max(bounds[-1], end)
        else:
            bounds += [start, end]
    return bounds


def _state(is_open: bool) -> str:
    return "OPEN" if is_open else "CLOSED"


def _iso(instant: dt.datetime | None) -> str | None:
    return None if instant is None else instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class FilterModule:
    """Ansible entry point."""

    def filters(self) -> dict[str, Callable[..., Any]]:
        """Map filter names to functions."""
        return {"change_window_state": change_window_state}
