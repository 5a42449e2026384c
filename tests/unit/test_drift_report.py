"""The drift callback (callback_plugins/drift_report.py) and playbooks/drift.yml's verdict, run for real on localhost."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
ANSIBLE_PLAYBOOK = str(Path(sys.executable).parent / "ansible-playbook")
# A check run of a task that would write a file: a drift, changing nothing.
PLAY = """
- name: Would change a file
  hosts: localhost
  connection: local
  gather_facts: false
  check_mode: true
  tasks:
    - name: Marker file has its content
      ansible.builtin.copy:
        content: drifted
        dest: {marker}
        mode: "0644"
"""


def run(playbook: Path, report: Path) -> subprocess.CompletedProcess[str]:
    # Only the controller, on the test's own Python.
    inventory = report.parent / "hosts.yml"
    inventory.write_text(json.dumps({"all": {"hosts": {"localhost": {
        "ansible_connection": "local", "ansible_python_interpreter": sys.executable}}}}))
    env = {**os.environ, "ANSIBLE_CONFIG": str(REPO / "ansible.cfg"), "DRIFT_REPORT": str(report), "ANSIBLE_NOCOLOR": "1"}
    return subprocess.run([ANSIBLE_PLAYBOOK, "-i", str(inventory), str(playbook)], capture_output=True, text=True,
                          check=False, env=env, cwd=REPO)


@pytest.mark.parametrize("name,recorded", [("drift.yml", True), ("site.yml", False)])
def test_changed_tasks_are_recorded_only_in_a_drift_run(tmp_path, name, recorded):
    playbook = tmp_path / name
    marker = tmp_path / "marker"
    playbook.write_text(PLAY.format(marker=marker))
    report = tmp_path / "report.json"
    result = run(playbook, report)
    assert result.returncode == 0, result.stdout + result.stderr
    assert not marker.exists()
    if recorded:
        assert json.loads(report.read_text()) == [
            {"host": "localhost", "task": "Marker file has its content", "play": "Would change a file"}]
    else:
        assert not report.exists()


def test_drift_playbook_passes_when_nothing_drifted(tmp_path):
    # An inventory with no node: the checked plays have no host, the verdict reads an empty report.
    report = tmp_path / "report.json"
    report.write_text('[{"host": "stale", "task": "from an earlier run", "play": "x"}]\n')
    result = run(REPO / "playbooks" / "drift.yml", report)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no drift" in result.stdout
    assert json.loads(report.read_text()) == []
