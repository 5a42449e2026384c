"""playbooks/change_window.yml answers "may I change now?" for the inventory: the state of each
calendar, the next transition, and an exit status a scheduler can use."""

from __future__ import annotations

import json

from lab.harness.ansible_run import run_playbook

CALENDARS = [
    {"name": "nightly-window", "type": "DEFAULT_CLOSED", "timezone": "Europe/Berlin",
     "events": [{"summary": "change window", "start": "2026-01-05T02:00:00", "end": "2026-01-05T04:00:00",
                 "rrule": "FREQ=DAILY"}]},
    {"name": "christmas-freeze", "type": "DEFAULT_OPEN", "timezone": "Europe/Berlin",
     "events": [{"summary": "freeze", "start": "2026-12-20", "end": "2027-01-02"}]},
]


def ask(tmp_path, at: str, *extra: str):
    log = tmp_path / "audit.jsonl"
    result = run_playbook(
        "playbooks/change_window.yml", "-i", "inventories/lab",
        "-e", json.dumps({"change_window_calendars": CALENDARS, "change_window_at": at,
                          "change_window_audit_log": str(log)}),
        *extra, check=False,
    )
    return result, [json.loads(line) for line in log.read_text().splitlines()]


def test_inside_the_window_the_answer_is_yes(tmp_path):
    result, records = ask(tmp_path, "2026-11-27T01:30:00Z")  # 02:30 in Berlin
    assert result.returncode == 0, result.stdout[-3000:]
    assert "Change window OPEN, next transition 2026-11-27T03:00:00Z" in result.stdout
    assert "nightly-window: OPEN" in result.stdout and "christmas-freeze: OPEN" in result.stdout
    assert [r["decision"] for r in records] == ["open"]


def test_in_a_freeze_the_answer_is_no_with_the_next_opening(tmp_path):
    result, records = ask(tmp_path, "2026-12-24T01:30:00Z")
    assert result.returncode != 0
    assert "christmas-freeze: CLOSED" in result.stdout
    # The first night after the freeze ends (2027-01-02 00:00 Berlin) at 02:00 Berlin.
    assert "2027-01-02T01:00:00Z" in " ".join((result.stdout + result.stderr).split())
    assert [r["decision"] for r in records] == ["closed"]


def test_a_change_that_would_run_past_the_window_is_refused(tmp_path):
    result, records = ask(tmp_path, "2026-11-27T02:30:00Z", "-e", "change_window_estimated_minutes=45")
    assert result.returncode != 0
    assert [r["decision"] for r in records] == ["does-not-fit"]
