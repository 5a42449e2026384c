"""Every changing playbook of the runbook is refused by a closed change window before it changes anything.

The real playbooks against the lab inventory and the emulator, with a calendar that is closed now:
provision.yml (with the operator's prerequisites, so that only the window can refuse it), teardown.yml
and site.yml. Each must exit non-zero naming the calendar, record the decision
"closed" in the audit log, and make no AWS call that writes. Removing the gate from any of them fails
this test. rolling_upgrade.yml gates after reading the nodes, so its refusal is proven on running nodes
(molecule/rolling_upgrade, test_a_refusals.py), as is site.yml's with its nodes up.
"""

from __future__ import annotations

import json

import boto3

from tests.integration.least_privilege import calls, mark
from lab.harness.ansible_run import run_playbook

LAB = ["-i", "inventories/lab"]
# Open every night 02:00-04:00 UTC, so the estate's RDS backup and maintenance windows lie inside it
# (provision.yml checks that first), and closed at noon, when the runs are made (change_window_at).
CLOSED = [{"name": "closed-for-the-test", "type": "DEFAULT_CLOSED", "timezone": "Etc/UTC",
           "events": [{"summary": "nightly", "start": "2026-01-01T02:00:00", "end": "2026-01-01T04:00:00",
                       "rrule": "FREQ=DAILY"}]}]
NOON = "2026-12-02T12:00:00Z"
# The AWS calls a refused run may still make: reads of its input checks.
READS = ("Describe", "Get", "List", "Head")


def refused(env, tmp_path, playbook: str, *args: str):
    log = tmp_path / "audit.jsonl"
    since = mark()
    result = run_playbook(playbook, *LAB, "-e", json.dumps({"change_window_calendars": CLOSED, "change_window_at": NOON,
                                                            "change_window_audit_log": str(log)}),
                          *args, env=env, check=False)
    output = result.stdout + result.stderr
    assert result.returncode != 0, f"{playbook} ran with the window closed:\n{output[-3000:]}"
    assert "closed-for-the-test" in output and "CLOSED" in output, output[-3000:]
    records = [json.loads(line) for line in log.read_text().splitlines()]
    assert [r["decision"] for r in records if r["step"] == "gate"] == ["closed"], records
    writes = sorted({c["action"] for c in calls(since) if not c["action"].split(":")[-1].startswith(READS)})
    assert writes == [], f"{playbook} wrote to AWS although refused: {writes}"


def test_provision_is_refused_before_it_builds_anything(prerequisites, tmp_path):
    vpcs_before = boto3.client("ec2").describe_vpcs()["Vpcs"]
    refused(prerequisites, tmp_path, "playbooks/provision.yml")
    assert boto3.client("ec2").describe_vpcs()["Vpcs"] == vpcs_before


def test_teardown_is_refused_before_it_removes_anything(prerequisites, tmp_path):
    refused(prerequisites, tmp_path, "playbooks/teardown.yml")


def test_site_is_refused_before_it_touches_a_node(prerequisites, tmp_path):
    # The lab's nodes are not running: a run that got past the gate would fail on them instead, and
    # say nothing about a window.
    refused(prerequisites, tmp_path, "playbooks/site.yml")

