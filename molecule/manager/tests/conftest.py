"""Helpers of the manager scenario: the nodes and their load balancer as an operator sees them,
and converge runs as an operator starts them (ansible-playbook with molecule's config and inventory)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

SCENARIO = Path(__file__).resolve().parents[1]
# The project's own play-recap reader (lab/harness/ansible_run.py).
sys.path.insert(0, str(SCENARIO.parents[1]))
from lab.harness.ansible_run import recap  # noqa: E402
from lab.harness.lab_nodes import BACKENDS, lb_servers, main_pid, ping_status, scenario_container, status  # noqa: E402
from lab.harness.lab_nodes import scenario_node as node  # noqa: E402
# Re-exported for the tests: the nodes and the load balancer as an operator reads them.
__all__ = ["BACKENDS", "lb_servers", "main_pid", "ping_status", "scenario_container", "status", "node"]
INVENTORY = os.environ.get("MOLECULE_INVENTORY_FILE", "")
NODES = ("manager-node-1", "manager-node-2")
LB = "manager-lb"
# The client-facing ports of the haproxy role's flows on the lb.
LB_CONSOLE = "https://127.0.0.1:443"
LB_HEARTBEAT_PORT = 4120
LB_RELAY = "https://127.0.0.1:4122/"
ALL_UP = {(backend, name): "UP" for backend in BACKENDS for name in NODES}
# molecule.yml group_vars: what must never show up in a log or a process list.
DB_PASSWORD = "Molecule-Db-7c41e9a2"
ADMIN_PASSWORD = "Molecule-Adm-3f0b58d6"
LICENSE = "AP-LAB0-0000-0000-0000"


def lb_version(lb) -> dict:
    """The version answer of whichever node the load balancer picks for the console."""
    return json.loads(lb.check_output(f"curl -sk {LB_CONSOLE}/rest/status/manager/version"))


def converge(
    *args: str, expect_failure: bool = False, timeout: int = 600
) -> tuple[str, dict[str, dict[str, int]]]:
    """Run converge.yml (haproxy on the lb, the manager and lb_membership on both nodes) with extra arguments.

    Returns the output and the recap per host; raises when the run's success is not the expected one.
    """
    cmd = [
        str(Path(sys.executable).parent / "ansible-playbook"),
        "-i",
        INVENTORY,
        str(SCENARIO / "converge.yml"),
        *args,
    ]
    result = subprocess.run(
        cmd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "ANSIBLE_NOCOLOR": "1", "ANSIBLE_FORCE_COLOR": "0"},
    )
    output = result.stdout + result.stderr
    if (result.returncode != 0) != expect_failure:
        raise AssertionError(f"{' '.join(cmd)} exited {result.returncode}:\n{output[-20000:]}")
    return output, recap(result)
