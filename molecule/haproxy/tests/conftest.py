"""Helpers of the haproxy scenario: the runtime API of the lb, and playbook runs as an operator does them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

SCENARIO = Path(__file__).resolve().parents[1]
# The project's own play-recap reader (lab/harness/ansible_run.py).
sys.path.insert(0, str(SCENARIO.parents[1]))
from lab.harness.ansible_run import recap  # noqa: E402
from lab.harness.containers import wait_until  # noqa: E402  (also the tests')
from lab.harness.lab_nodes import lb_stat, scenario_node  # noqa: E402  (also the tests')
INVENTORY = os.environ.get("MOLECULE_INVENTORY_FILE", "")
LB = "haproxy-lb"
NODES = ("haproxy-node-1", "haproxy-node-2")
BACKENDS = ("be_console", "be_heartbeat", "be_relay")


class Playbook:
    """ansible-playbook with molecule's config and inventory (ANSIBLE_CONFIG is in the environment)."""

    def __init__(self, path: Path):
        self.path = path

    def __call__(
        self, *args: str, expect_failure: bool = False, env: dict[str, str] | None = None
    ) -> tuple[str, dict[str, dict[str, int]]]:
        cmd = [str(Path(sys.executable).parent / "ansible-playbook"), "-i", INVENTORY, str(self.path), *args]
        result = subprocess.run(
            cmd,
            capture_output=True,
            text=True,
            timeout=300,
            env={**os.environ, "ANSIBLE_NOCOLOR": "true", "ANSIBLE_FORCE_COLOR": "false", **(env or {})},
        )
        output = result.stdout + result.stderr
        if (result.returncode != 0) != expect_failure:
            raise AssertionError(f"{' '.join(cmd)} exited {result.returncode}:\n{output}")
        return output, recap(result)


class Runtime:
    """The lb's runtime API, read the way an operator reads it."""

    def __init__(self, host):
        self.host = host

    def command(self, line: str) -> str:
        return self.host.check_output(f"echo '{line}' | socat -t 5 stdio unix-connect:/run/haproxy/admin.sock")

    def servers(self) -> dict[tuple[str, str], dict[str, str]]:
        """show stat of every server: {(backend, server): row}."""
        return lb_stat(self.host)

    def status(self, server: str) -> dict[str, str]:
        servers = self.servers()
        return {backend: servers[(backend, server)]["status"] for backend in BACKENDS}


@pytest.fixture(scope="module")
def lb():
    return scenario_node(LB)


@pytest.fixture(scope="module")
def runtime(lb):
    return Runtime(lb)


@pytest.fixture(scope="module")
def membership():
    """membership.yml: lb_membership on the nodes given with --limit."""
    return Playbook(SCENARIO / "membership.yml")


@pytest.fixture(scope="module")
def converge():
    return Playbook(SCENARIO / "converge.yml")


def actions(*names: str) -> tuple[str, str]:
    """Extra vars for membership.yml: the lb_membership actions to run, in order."""
    return ("-e", json.dumps({"membership_actions": list(names)}))


@pytest.fixture
def all_nodes_in_service(runtime):
    """A test starts with both nodes ready and UP in every backend (set through the runtime API: quicker)."""
    runtime.command("; ".join(f"set server {b}/{n} state ready" for b in BACKENDS for n in NODES))
    wait_until(lambda: all(row["status"] == "UP" for row in runtime.servers().values()), 30,
               "every server UP in every backend")
