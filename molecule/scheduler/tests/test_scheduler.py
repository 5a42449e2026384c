"""What an operator checks on the ops host: the timers, a scheduled run's artifacts, the failure notice,
the runs' records in ARA, and that a bad schedule installs nothing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from datetime import datetime, timezone
from pathlib import Path
from statistics import median

import boto3
import testinfra.utils.ansible_runner

INVENTORY = os.environ["MOLECULE_INVENTORY_FILE"]
testinfra_hosts = testinfra.utils.ansible_runner.AnsibleRunner(INVENTORY).get_hosts("ops")
SCENARIO = Path(__file__).resolve().parents[1]
JOBS = "/var/lib/scheduler/jobs"
# The shortened schedules fire every 30 s and every minute; a run takes seconds.
WAIT_S = 150
# host_vars: scheduler_run_records_server, the ARA server prepare.yml starts.
ARA = f"http://{os.environ['LAB_GATEWAY']}:{os.environ['LAB_ARA_PORT']}"


def _instant(text: str) -> datetime:
    """An ISO 8601 time, in UTC when it names no offset (ARA's API)."""
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def runs(host, job: str) -> list[str]:
    """The job's finished runs (artifact directories with a status), oldest first."""
    listing = host.check_output(f"ls -1 {JOBS}/{job}/artifacts 2>/dev/null || true").split()
    return [ident for ident in sorted(listing) if host.file(f"{JOBS}/{job}/artifacts/{ident}/status").exists]


def wait_for_run(host, job: str) -> str:
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        done = runs(host, job)
        if done:
            return f"{JOBS}/{job}/artifacts/{done[-1]}"
        time.sleep(3)
    raise AssertionError(f"no run of {job} within {WAIT_S} s: {host.check_output(f'journalctl -u scheduler-{job} --no-pager | tail -20')}")


def test_each_job_has_a_timer_on_its_calendar(host):
    for job, calendar in (("window-open", "*-*-* *:*:00,30 Europe/Paris"), ("window-closed", "*-*-* *:*:00 Etc/UTC")):
        timer = host.service(f"scheduler-{job}.timer")
        assert timer.is_running and timer.is_enabled
        assert calendar in host.check_output(f"systemctl show -p TimersCalendar scheduler-{job}.timer")


def test_a_scheduled_run_leaves_its_artifacts(host):
    run = wait_for_run(host, "window-open")
    assert host.file(f"{run}/status").content_string.strip() == "successful"
    assert host.file(f"{run}/rc").content_string.strip() == "0"
    assert "Change window" in host.file(f"{run}/stdout").content_string
    events = [json.loads(host.file(f"{run}/job_events/{name}").content_string)
              for name in host.check_output(f"ls {run}/job_events").split()]
    assert {"playbook_on_start", "playbook_on_stats"} <= {event["event"] for event in events}
    stats = next(event for event in events if event["event"] == "playbook_on_stats")["event_data"]
    assert not stats["failures"] and "localhost" in stats["ok"]
    # The gate's decision is in the runs' audit log, kept outside the suite's copy.
    assert '"decision": "open"' in host.file("/var/lib/scheduler/audit/change-window.jsonl").content_string


def test_a_failed_run_is_kept_and_notifies_the_topic(host):
    run = wait_for_run(host, "window-closed")
    assert host.file(f"{run}/status").content_string.strip() == "failed"
    assert host.file(f"{run}/rc").content_string.strip() != "0"
    assert "closed calendar(s): never-open" in host.file(f"{run}/stdout").content_string
    # The unit fails with the run, so the journal and `systemctl --failed` show it too.
    assert "Failed with result 'exit-code'" in host.check_output("journalctl -u scheduler-window-closed --no-pager")
    sqs = boto3.client("sqs", region_name="eu-west-1")
    queue = sqs.get_queue_url(QueueName="scheduler-failures-inbox")["QueueUrl"]
    # The notice of this run, or of a later one (the timer goes on firing).
    deadline, notices = time.monotonic() + 30, []
    while time.monotonic() < deadline and not notices:
        for message in sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages", []):
            notice = json.loads(json.loads(message["Body"])["Message"])
            if notice["job"] == "window-closed" and notice["artifacts"] >= run:
                notices.append(notice)
    assert notices, "no failure notice of window-closed on the topic"
    notice = notices[0]
    assert notice["job"] == "window-closed" and notice["status"] == "failed"
    assert notice["artifacts"].startswith(f"{JOBS}/window-closed/artifacts/")
    # The gate's task, on the controller the job's playbook runs from.
    assert notice["failed_tasks"] == ["localhost: Change is allowed by the change window"], notice


def test_scheduled_runs_are_recorded_in_ara_and_the_audit_log_links_them(host):
    wait_for_run(host, "window-open")
    wait_for_run(host, "window-closed")
    with urllib.request.urlopen(f"{ARA}/api/v1/playbooks?order=-started&limit=100", timeout=10) as answer:
        playbooks = json.loads(answer.read())["results"]
    statuses = {record["status"] for record in playbooks if record["path"].endswith("/playbooks/change_window.yml")}
    # The open window's runs completed, the closed window's failed: both as the ops host ran them.
    assert {"completed", "failed"} <= statuses, [(r["path"], r["status"]) for r in playbooks]
    # Every audit record of a scheduled run leads to the run that wrote it.
    records = [json.loads(line) for line in
               host.file("/var/lib/scheduler/audit/change-window.jsonl").content_string.splitlines()]
    assert records and all(record["run_record"].startswith(f"{ARA}/playbooks/") for record in records), records[-3:]
    with urllib.request.urlopen(records[-1]["run_record"], timeout=10) as page:
        assert page.status == 200
    # From the timer firing (systemd starting the unit, in its journal) to the run's record in ARA, for every recorded run.
    fired = sorted(_instant(line.split()[0]) for line in host.check_output(
        "journalctl -u scheduler-window-open.service -o short-iso-precise --no-pager | grep ' systemd\[1\]: Starting ' || true")
        .splitlines())
    delays = sorted((created - max(t for t in fired if t <= created)).total_seconds()
                    # window-open's runs: the ones that completed (window-closed's fail).
                    for created in (_instant(r["created"]) for r in playbooks
                                    if r["path"].endswith("/playbooks/change_window.yml") and r["status"] == "completed")
                    if any(t <= created for t in fired))
    assert delays, "no recorded run follows a start of scheduler-window-open in its journal"
    print(f"timer fired -> run recorded in ARA: median {median(delays):.1f} s, max {delays[-1]:.1f} s, {len(delays)} runs")
    # A run is recorded as it starts, long before the job's timeout of 5 minutes.
    assert delays[-1] < 300, delays


def test_a_bad_schedule_installs_nothing(host):
    bad = {"scheduler_jobs": [
        {"name": "window-open", "playbook": "change_window.yml", "rrule": "FREQ=HOURLY", "timezone": "Etc/UTC",
         "timeout_minutes": 5},
        {"name": "typo", "playbook": "helth.yml", "rrule": "FREQ=HOURLY", "timezone": "Etc/UTC", "timeout_minutes": 5},
        {"name": "bad-rule", "playbook": "change_window.yml", "rrule": "FREQ=DAILY;BYHOUR=25", "timezone": "Etc/UTC",
         "timeout_minutes": 5},
        {"name": "converge", "playbook": "site.yml", "rrule": "FREQ=DAILY", "timezone": "Etc/UTC", "timeout_minutes": 60,
         "changes": True},
    ]}
    before = host.check_output("ls /etc/systemd/system | grep '^scheduler-' || true")
    result = subprocess.run(
        [str(Path(sys.executable).parent / "ansible-playbook"), "-i", INVENTORY, str(SCENARIO / "converge.yml"),
         "-e", json.dumps(bad)], capture_output=True, text=True, check=False,
        env={**os.environ, "ANSIBLE_CALLBACK_RESULT_FORMAT": "json", "ANSIBLE_NOCOLOR": "1"})
    assert result.returncode != 0
    # Ansible wraps long messages: compare words, not lines.
    said = " ".join((result.stdout + result.stderr).split())
    for message in ("unknown playbook 'helth.yml'", "BYHOUR '25' must be a number from 0 to 23",
                    "it changes something but the inventory has no change calendar"):
        assert message in said, said[-3000:]
    assert host.check_output("ls /etc/systemd/system | grep '^scheduler-' || true") == before
    # The good job kept its calendar: nothing was rewritten.
    assert "*:*:00,30 Europe/Paris" in host.check_output("systemctl show -p TimersCalendar scheduler-window-open.timer")
