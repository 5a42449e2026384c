"""ansible.cfg's strategy (strategy_plugins/mitogen_linear.py), run for real on localhost: the modules of
a run share one interpreter per connection, the run is not pinned to one CPU, and the filter plugins are
loaded once per run."""

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


def play(tmp_path: Path, text: str, *args: str, **env: str) -> subprocess.CompletedProcess:
    """A playbook of ``text`` run with the project's ansible.cfg; it must succeed."""
    path = tmp_path / "play.yml"
    path.write_text(text)
    result = subprocess.run([ANSIBLE_PLAYBOOK, str(path), *args], cwd=REPO, env={**os.environ, "ANSIBLE_NOCOLOR": "1", **env},
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    return result


def run(tmp_path: Path) -> list[dict[str, str]]:
    result = play(tmp_path, PLAY, "-v", ANSIBLE_CALLBACK_RESULT_FORMAT="json",
                  ANSIBLE_STDOUT_CALLBACK="ansible.builtin.default")
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


COUNTING_FILTER = """
import os

with open(os.environ["FILTER_LOADS"], "a") as loads:
    loads.write(f"{os.getpid()}\\n")


class FilterModule:
    def filters(self):
        return {"counted": lambda value: value}
"""
THREE_TEMPLATES = """
- name: Three tasks that template a filter
  hosts: localhost
  connection: local
  gather_facts: false
  tasks:
""" + "".join(f"""
    - name: Task {n} templates a filter
      ansible.builtin.debug:
        msg: "{{{{ {n} | counted }}}}"
""" for n in range(3))


def test_the_filters_are_loaded_once_per_run_not_once_per_task(tmp_path):
    """Every task's worker is forked from the controller: loading the filter plugins there spares each
    worker loading every filter file again (change_window's icalendar import among them)."""
    plugins = tmp_path / "filter_plugins"
    plugins.mkdir()
    (plugins / "counting.py").write_text(COUNTING_FILTER)
    loads = tmp_path / "loads"
    play(tmp_path, THREE_TEMPLATES, FILTER_LOADS=str(loads), ANSIBLE_FILTER_PLUGINS=f"{plugins}:{REPO / 'filter_plugins'}")
    assert len(loads.read_text().split()) == 1, f"the filter plugins were loaded by {loads.read_text().split()}"
