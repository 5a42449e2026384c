"""Run the project's playbooks from tests the way an operator does, and read the recap."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
_RECAP = re.compile(
    r"^(\S+)\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", re.M
)


def run_playbook(
    playbook: str | Path,
    *args: str,
    check: bool = True,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess:
    """ansible-playbook from the repository root with the project's ansible.cfg."""
    cmd = [str(Path(sys.executable).parent / "ansible-playbook"), str(playbook), *args]
    result = subprocess.run(
        cmd,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=900,
        env={
            **os.environ,
            "ANSIBLE_CONFIG": str(REPO / "ansible.cfg"),
            "ANSIBLE_NOCOLOR": "1",
            # Molecule's verifier forces colours on; the recap is read as plain text.
            "ANSIBLE_FORCE_COLOR": "0",
            **(env or {}),
        },
    )
    if check and result.returncode != 0:
        raise AssertionError(
            f"{' '.join(cmd)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
        )
    return result


def recap(result: subprocess.CompletedProcess) -> dict[str, dict[str, int]]:
    """Per-host counters of the PLAY RECAP: {'host': {'ok': 2, 'changed': 0, ...}}."""
    return {
        host: dict(zip(("ok", "changed", "unreachable", "failed"), map(int, counts)))
        for host, *counts in _RECAP.findall(result.stdout)
    }
