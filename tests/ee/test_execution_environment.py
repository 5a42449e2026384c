"""The suite runs where AWX / Automation Platform would run it: in the execution environment's image (lab/ee.py
builds it from execution-environment.yml, once per recipe), two runbook pages run through ansible-navigator as a
job template runs them, the AWS variables passed in as a credential passes them.

- change_window.yml against the emulator: the gate reads the calendar it is given, in the image, and says open.
- health.yml against the lab inventory while no node answers (their SSH port is one nothing listens on): the
  page reads every node from the image, names each one that does not answer, and fails, as an hourly health
  job must when the estate is down. `make ee` runs the same page against a running lab, where it reports the
  three nodes healthy.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from lab import ee
from lab.harness.ansible_run import REPO
from lab.harness.ports import free_port

OPEN_NOW = [{"name": "open-for-the-job", "type": "DEFAULT_OPEN", "timezone": "Etc/UTC", "events": []}]


@pytest.fixture(scope="module")
def image():
    return ee.build()


def navigator(image: str, page: str, *args: str) -> subprocess.CompletedProcess:
    ee.BUILD.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(ee.navigator_command(image, page, *args), cwd=REPO, capture_output=True, text=True,
                            timeout=600, env={**os.environ, "ANSIBLE_NOCOLOR": "1", "ANSIBLE_FORCE_COLOR": "0"})
    sys.stdout.write(result.stdout[-4000:])
    return result


def test_the_change_window_gate_runs_in_the_image(aws_env, image):
    run = navigator(image, "playbooks/change_window.yml", "-i", "inventories/lab",
                    "-e", json.dumps({"change_window_calendars": OPEN_NOW}))
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    assert "open-for-the-job" in run.stdout, run.stdout[-3000:]
    assert "failed=0" in run.stdout and "unreachable=0" in run.stdout, run.stdout[-3000:]


def test_the_health_page_reads_every_node_from_the_image_and_fails_when_none_answers(aws_env, image):
    run = navigator(image, "playbooks/health.yml", "-i", "inventories/lab", "-e", f"ansible_port={free_port()}")
    assert run.returncode != 0, run.stdout[-3000:]
    for node in ("manager-1", "manager-2", "manager-3"):
        assert f"{node}: does not answer" in run.stdout, run.stdout[-3000:]
    assert "healthy: manager-" not in run.stdout
