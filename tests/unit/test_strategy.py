"""ansible.cfg's strategy (strategy_plugins/mitogen_linear.py), run for real on localhost: the modules of
a run share one interpreter per connection, and the run is not pinned to one CPU."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
ANSIBLE_PLAYBOOK = str(Path(sys.executable).parent / "ansible-playbook")
PLAY = """
- name: Two commands and the CPUs they may run on
  hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - name: First command names the process that ran it
      ansible.builtin.shell: echo "parent=$PPID"; grep Cpus_allowed_list /proc/self/status
      changed_when: false
    - name: Second command names the process that ran it
      ansible.builtin.shell: echo "parent=$PPID"; grep Cpus_allowed_list /proc/self/status
      changed_when: false
"""


def run(tmp_path: Path) -> list[dict[str, str]]:
    play = tmp_path / "play.yml"
    play.write_text(PLAY)
    env = {**os.environ, "ANSIBLE_CALLBACK_RESULT_FORMAT": "json", "ANSIBLE_NOCOLOR": "1",
           "ANSIBLE_STDOUT_CALLBACK": "ansible.builtin.default"}
    result = subprocess.run([ANSIBLE_PLAYBOOK, str(play), "-v"], cwd=REPO, env=env, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    answers = []
    for line in result.stdout.splitlines():
        if '"stdout": "parent=' in line:
            stdout = line.split('"stdout": "', 1)[1].split('"', 1)[0].replace("\\n", "\n").replace("\\t", "\t")
            answers.append(dict(part.split("=", 1) if "=" in part else part.split(":\t", 1)
                                for part in stdout.splitlines()))
    assert len(answers) == 2, result.stdout[-4000:]
    return answers


def test_the_modules_of_a_run_share_one_interpreter(tmp_path):
    first, second = run(tmp_path)
    # Ansible's own strategy starts a Python process per task; Mitogen runs both in one.
    assert first["parent"] == second["parent"], (first, second)


def test_the_run_may_use_every_cpu_this_process_may(tmp_path):
    own = Path("/proc/self/status").read_text().split("Cpus_allowed_list:", 1)[1].split()[0]
    first, second = run(tmp_path)
    assert first["Cpus_allowed_list"].strip() == second["Cpus_allowed_list"].strip() == own, (first, second, own)
