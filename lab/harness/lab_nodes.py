"""A lab's manager nodes and HAProxy load balancer as an operator reads them, through docker exec
(an order of magnitude faster than a module run per check). Shared by the molecule scenarios."""

from __future__ import annotations

import csv
import io
import json
import os

import testinfra
from testinfra.utils.ansible_runner import AnsibleRunner

PING = "https://127.0.0.1:4119/rest/status/manager/current/ping"
STATUS = "https://127.0.0.1:4119/rest/status/manager/version"
BACKENDS = ("be_console", "be_heartbeat", "be_relay")


def node(name: str):
    """A lab container by docker's name."""
    return testinfra.get_host(f"docker://{name}")


def scenario_node(name: str):
    """The instance a molecule scenario's inventory calls NAME, as testinfra's Ansible runner reads that inventory:
    a docker host, since molecule/platform/create.yml gives every instance the docker connection and its
    container's name (under this checkout's prefix) as ansible_host."""
    inventory = os.environ["MOLECULE_INVENTORY_FILE"]
    host = AnsibleRunner.get_runner(inventory).get_host(name)
    if host.backend.NAME != "docker":
        raise KeyError(f"{name} is not a container of {inventory}: is the scenario created?")
    return host


def scenario_container(name: str) -> str:
    """Docker's name for the instance a molecule scenario's inventory calls NAME."""
    return scenario_node(name).backend.name


def main_pid(host) -> int:
    return int(host.check_output("systemctl show --property MainPID --value dsm_s"))


def ping_status(host) -> int:
    return int(host.check_output(f"curl -sk -o /dev/null -w '%{{http_code}}' {PING}"))


def status(host) -> dict:
    """The node's own answer: version, schema versions, node name and state."""
    return json.loads(host.check_output(f"curl -sk {STATUS}"))


def lb_stat(lb) -> dict[tuple[str, str], dict[str, str]]:
    """`show stat` of every server of every backend, from the lb's admin socket: {(backend, server): row}."""
    stat = lb.check_output("echo 'show stat -1 4 -1' | socat -t 5 stdio unix-connect:/run/haproxy/admin.sock")
    return {(row["pxname"], row["svname"]): row for row in csv.DictReader(io.StringIO(stat.lstrip("# ")))}


def lb_servers(lb) -> dict[tuple[str, str], str]:
    """Status of every server of every backend."""
    return {key: row["status"] for key, row in lb_stat(lb).items()}
