"""Unit tests for filter_plugins/change_window_report.py (table-driven)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from ansible.errors import AnsibleFilterError

PLUGIN = Path(__file__).resolve().parents[2] / "filter_plugins" / "change_window_report.py"
_spec = importlib.util.spec_from_file_location("change_window_report", PLUGIN)
assert _spec is not None and _spec.loader is not None
report = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(report)


@pytest.mark.parametrize("state, lines", [
    ({"state": "OPEN", "next_transition": "2026-11-27T03:00:00Z",
      "calendars": [{"name": "nightly-window", "state": "OPEN"}, {"name": "christmas-freeze", "state": "OPEN"}]},
     ["Change window OPEN, next transition 2026-11-27T03:00:00Z", "nightly-window: OPEN", "christmas-freeze: OPEN"]),
    ({"state": "CLOSED", "next_transition": None, "calendars": [{"name": "frozen", "state": "CLOSED"}]},
     ["Change window CLOSED, no transition within a year", "frozen: CLOSED"]),
    ({"state": "OPEN", "next_transition": None, "calendars": []}, ["Change window OPEN, no transition within a year"]),
])
def test_report_reads_the_combined_state_then_each_calendar(state, lines):
    assert report.change_window_report(state) == lines


@pytest.mark.parametrize("state", [None, "OPEN", {"calendars": []}])
def test_report_refuses_what_is_not_an_evaluation(state):
    with pytest.raises(AnsibleFilterError, match="change_window_report: expected the result of change_window_state"):
        report.change_window_report(state)
