"""The change_window role gates a playbook the way ops rely on at night: inside the window it
passes, outside it stops the play before any change, an emergency override needs a ticket and an
approver, and every decision lands in an append-only audit log, dry runs included.

Instants are fixed with change_window_at. The weekly window is Tuesday 01:00-05:00
Europe/Berlin, which is 00:00-04:00Z in winter (CET, UTC+1); 2025-03-04 is a Tuesday.
"""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from lab.harness.ansible_run import recap, run_playbook

IN_WINDOW = "2025-03-04T01:30:00Z"  # window closes at 04:00Z: 150 minutes left
OUT_OF_WINDOW = "2025-03-05T01:30:00Z"  # Wednesday
NEXT_OPENING = "2025-03-11T00:00:00Z"  # next Tuesday 01:00 Berlin

CALENDARS = [
    {"name": "weekly-window", "type": "DEFAULT_CLOSED", "timezone": "Europe/Berlin",
     "events": [{"summary": "Tuesday night maintenance", "start": "2025-01-07T01:00:00",
                 "end": "2025-01-07T05:00:00", "rrule": "FREQ=WEEKLY;BYDAY=TU"}]},
    {"name": "year-end-freeze", "type": "DEFAULT_OPEN", "timezone": "Europe/Berlin",
     "events": [{"summary": "Year-end freeze", "start": "2025-12-15", "end": "2026-01-05",
                 "rrule": "FREQ=YEARLY"}]},
]

RECORD_KEYS = {
    "time", "operator", "playbook", "play", "host", "batch", "step", "decision", "result", "ticket",
    "approver", "state", "next_transition", "evaluated_at", "estimated_minutes", "check_mode",
    "calendars", "message", "run_record",
}

INVENTORY = {
    "all": {
        "hosts": {"localhost": {}, "node-1": {}, "node-2": {}, "node-3": {}},
        "vars": {"ansible_connection": "local", "ansible_python_interpreter": "{{ ansible_playbook_python }}"},
    }
}

# The gate, then a change (a file per host): the change must not happen when the gate says no.
GATED = """
- name: Gated change
  hosts: {hosts}
  gather_facts: false
  {serial}
  pre_tasks:
    - name: Change window gate
      ansible.builtin.include_role:
        name: change_window
      tags: [always]
  tasks:
    - name: The change
      ansible.builtin.copy:
        content: changed
        dest: "{{{{ marker_dir }}}}/{{{{ inventory_hostname }}}}.changed"
        mode: "0644"
"""

STEP = """
- name: Recorded step
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Step is recorded
      ansible.builtin.include_role:
        name: change_window
        tasks_from: audit
      vars:
        change_window_step: upgrade
        change_window_result: rolled-back
        change_window_note: 20.0.1 -> 20.0.2 failed health checks
"""


class Lab:
    """A scratch directory with the inventory, playbooks, vars file, audit log and change markers."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.log = root / "audit" / "change-window.jsonl"
        self.markers = root / "markers"
        self.markers.mkdir()
        (root / "inventory.yml").write_text(json.dumps(INVENTORY))
        (root / "gated.yml").write_text(GATED.format(hosts="localhost", serial=""))
        (root / "rolling.yml").write_text(GATED.format(hosts="node-1:node-2:node-3", serial="serial: 1"))
        (root / "step.yml").write_text(STEP)

    def run(self, playbook: str = "gated.yml", *args: str, **variables):
        """ansible-playbook with the calendars, the audit log and ``variables`` in a vars file."""
        values = {"change_window_calendars": CALENDARS, "change_window_audit_log": str(self.log),
                  "marker_dir": str(self.markers), "change_window_at": IN_WINDOW, **variables}
        vars_file = self.root / "vars.json"
        vars_file.write_text(json.dumps(values))
        result = run_playbook(self.root / playbook, "-i", str(self.root / "inventory.yml"),
                              "-e", f"@{vars_file}", *args, check=False)
        result.output = result.stdout + result.stderr
        return result

    def lines(self) -> list[str]:
        return self.log.read_text().splitlines(keepends=True) if self.log.exists() else []

    def records(self) -> list[dict]:
        return [json.loads(line) for line in self.lines()]

    def changed(self) -> list[str]:
        """Hosts on which the change was made."""
        return sorted(p.stem for p in self.markers.iterdir())


@pytest.fixture
def lab(tmp_path):
    return Lab(tmp_path)


def only_record(lab: Lab) -> dict:
    records = lab.records()
    assert len(records) == 1, records
    assert set(records[0]) == RECORD_KEYS
    # Not recorded in ARA here (OPS_RUN_RECORDS unset): the key is there, empty.
    assert records[0]["run_record"] is None
    return records[0]


def test_open_window_passes_and_is_recorded(lab):
    result = lab.run()
    assert result.returncode == 0, result.output
    assert lab.changed() == ["localhost"]
    record = only_record(lab)
    assert record["decision"] == "open" and record["state"] == "OPEN"
    assert record["step"] == "gate" and record["host"] == "controller" and record["batch"] == ["localhost"]
    assert record["evaluated_at"] == IN_WINDOW and record["next_transition"] == "2025-03-04T04:00:00Z"
    assert record["ticket"] is None and record["approver"] is None and record["check_mode"] is False
    assert record["playbook"].endswith("gated.yml") and record["play"] == "Gated change" and record["operator"]
    assert {c["name"]: c["state"] for c in record["calendars"]} == {"weekly-window": "OPEN", "year-end-freeze": "OPEN"}
    assert record["time"].endswith("Z")


def test_closed_window_stops_the_play_before_any_change(lab):
    result = lab.run(change_window_at=OUT_OF_WINDOW)
    assert result.returncode != 0
    assert "CLOSED" in result.output and "weekly-window" in result.output
    assert NEXT_OPENING in result.output, "the failure does not name the next opening in UTC"
    assert lab.changed() == [], "the change ran although the window was closed"
    record = only_record(lab)
    assert record["decision"] == "closed" and record["state"] == "CLOSED"
    assert record["next_transition"] == NEXT_OPENING


def test_gate_runs_even_when_the_operator_picks_tags(lab):
    result = lab.run("gated.yml", "--tags", "some-slice", change_window_at=OUT_OF_WINDOW)
    assert result.returncode != 0
    assert only_record(lab)["decision"] == "closed"


def test_emergency_override_passes_loudly_and_records_ticket_and_approver(lab):
    result = lab.run(change_window_at=OUT_OF_WINDOW, change_override_ticket="CHG-4711",
                     change_override_approver="alice")
    assert result.returncode == 0, result.output
    assert lab.changed() == ["localhost"]
    assert "[WARNING]: EMERGENCY OVERRIDE under ticket CHG-4711 approved by alice" in result.output
    record = only_record(lab)
    assert (record["decision"], record["state"]) == ("override", "CLOSED")
    assert (record["ticket"], record["approver"]) == ("CHG-4711", "alice")


@pytest.mark.parametrize("given, missing", [
    ({"change_override_ticket": "CHG-4711"}, "change_override_approver"),
    ({"change_override_approver": "alice"}, "change_override_ticket"),
], ids=["ticket without approver", "approver without ticket"])
def test_half_an_override_fails_naming_the_missing_variable(lab, given, missing):
    result = lab.run(change_window_at=OUT_OF_WINDOW, **given)
    assert result.returncode != 0
    assert f"{missing} is empty" in result.output
    assert lab.changed() == []
    record = only_record(lab)
    assert record["decision"] == "error" and missing in record["message"]


@pytest.mark.parametrize("minutes, fits", [(150, True), (151, False)], ids=["ends as it closes", "one minute too long"])
def test_estimate_must_end_before_the_window_closes(lab, minutes, fits):
    result = lab.run(change_window_estimated_minutes=minutes)
    assert (result.returncode == 0) == fits, result.output
    record = only_record(lab)
    assert record["decision"] == ("open" if fits else "does-not-fit")
    assert record["estimated_minutes"] == minutes
    if not fits:
        assert "2025-03-04T04:00:00Z" in result.output and "151 min" in result.output
        assert lab.changed() == []


def test_bad_calendar_fails_naming_it_and_is_recorded_as_an_error(lab):
    broken = {**CALENDARS[0], "name": "ops-window", "timezone": "Mars/Olympus"}
    result = lab.run(change_window_calendars=[broken, CALENDARS[1]])
    assert result.returncode != 0
    assert "calendar 'ops-window': unknown time zone 'Mars/Olympus'" in result.output
    assert lab.changed() == []
    record = only_record(lab)
    assert record["decision"] == "error" and "ops-window" in record["message"] and record["state"] is None


def test_audit_entry_point_appends_a_step_record(lab):
    lab.run()
    result = lab.run("step.yml", change_override_ticket="CHG-4711", change_override_approver="alice")
    assert result.returncode == 0, result.output
    assert recap(result)["localhost"]["changed"] == 0
    gate, step = lab.records()
    assert set(step) == RECORD_KEYS
    assert (step["step"], step["result"], step["host"]) == ("upgrade", "rolled-back", "localhost")
    assert step["decision"] is None and step["message"] == "20.0.1 -> 20.0.2 failed health checks"
    assert (step["ticket"], step["approver"]) == ("CHG-4711", "alice")


def test_check_mode_records_the_decision_and_changes_nothing_else(lab):
    result = lab.run("gated.yml", "--check")
    assert result.returncode == 0, result.output
    assert lab.changed() == [], "check mode made the change"
    assert recap(result)["localhost"]["changed"] == 1, "only the change itself may report one"
    record = only_record(lab)
    assert record["decision"] == "open" and record["check_mode"] is True


def test_rerun_reports_no_change_although_the_log_grows(lab):
    lab.run()
    result = lab.run()
    assert result.returncode == 0, result.output
    assert recap(result)["localhost"]["changed"] == 0
    assert len(lab.records()) == 2


def test_gate_is_evaluated_before_every_batch(lab):
    result = lab.run("rolling.yml")
    assert result.returncode == 0, result.output
    assert lab.changed() == ["node-1", "node-2", "node-3"]
    assert [r["batch"] for r in lab.records()] == [["node-1"], ["node-2"], ["node-3"]]

    lab.markers.joinpath("node-1.changed").unlink()
    lab.markers.joinpath("node-2.changed").unlink()
    lab.markers.joinpath("node-3.changed").unlink()
    result = lab.run("rolling.yml", change_window_at=OUT_OF_WINDOW)
    assert result.returncode != 0
    assert lab.changed() == [], "a batch ran although the window was closed"
    assert [r["decision"] for r in lab.records()[3:]] == ["closed"], "the play went on after a closed gate"


def test_audit_log_only_grows(lab):
    runs = [
        ("gated.yml", {}),
        ("gated.yml", {"change_window_at": OUT_OF_WINDOW}),
        ("gated.yml", {"change_window_at": OUT_OF_WINDOW, "change_override_ticket": "CHG-1",
                       "change_override_approver": "alice"}),
        ("gated.yml", {}),  # identical decision: a line-deduplicating writer would drop it
        ("step.yml", {}),
    ]
    before: list[str] = []
    for playbook, variables in runs:
        lab.run(playbook, **variables)
        after = lab.lines()
        assert len(after) == len(before) + 1, f"{playbook} {variables}: not exactly one new line"
        assert after[: len(before)] == before, f"{playbook} {variables}: earlier lines changed"
        before = after
    assert stat.S_IMODE(lab.log.stat().st_mode) == 0o640
    assert stat.S_IMODE(lab.log.parent.stat().st_mode) == 0o750
