"""A lab's manager nodes and HAProxy load balancer as an operator reads them, through docker exec
(an order of magnitude faster than a module run per check). Shared by the molecule scenarios."""

from __future__ import annotations

import csv
import io
import json
import os
from functools import cache

import testinfra
import yaml

PING = "https://127.0.0.1:4119/rest/status/manager/current/ping"
STATUS = "https://127.0.0.1:4119/rest/status/manager/version"
BACKENDS = ("be_console", "be_heartbeat", "be_relay")


def node(name: str):
    """A lab container by docker's name."""
    return testinfra.get_host(f"docker://{name}")


@cache
def _scenario_hosts(inventory: str) -> dict[str, dict]:
    groups = yaml.safe_load(open(inventory, encoding="utf-8")) or {}
    return {name: host_vars or {} for group in groups.values() for name, host_vars in (group.get("hosts") or {}).items()
            if host_vars}


def scenario_container(name: str) -> str:
    """Docker's name for the instance a molecule scenario's inventory calls NAME: its ansible_host, which
    molecule/platform/create.yml gave it under this checkout's prefix."""
    inventory = os.environ["MOLECULE_INVENTORY_FILE"]
    try:
        return _scenario_hosts(inventory)[name]["ansible_host"]
    except KeyError:
        raise KeyError(f"{name} has no ansible_host in {inventory}: is the scenario created?") from None


def scenario_node(name: str):
    """The instance a molecule scenario's inventory calls NAME."""
    return node(scenario_container(name))


def main_pid(host) -> int:
    return int(host.check_output("systemctl show --property MainPID --value dsm_s"))


def ping_status(host) -> int:
    return int(host.check_output(f"curl -sk -o /dev/null -w '%{{http_code}}' {PING}"))


def status(host) -> dict:
    """The node's own answer: version, schema versions, node name and state."""
    return json.loads(host.check_output(f"curl -sk {STATUS}"))


def lb_servers(lb) -> dict[tuple[str, str], str]:
    """Status of every server of every backend, from `show stat` on the lb's admin socket."""
    stat = lb.check_output("echo 'show stat -1 4 -1' | socat -t 5 stdio unix-connect:/run/haproxy/admin.sock")
    return {(row["pxname"], row["svname"]): row["status"] for row in csv.DictReader(io.StringIO(stat.lstrip("# ")))}
