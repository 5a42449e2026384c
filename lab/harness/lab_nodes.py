"""A lab's manager nodes and HAProxy load balancer as an operator reads them, through docker exec
(an order of magnitude faster than a module run per check). Shared by the molecule scenarios."""

from __future__ import annotations

import csv
import io
import json

import testinfra

PING = "https://127.0.0.1:4119/rest/status/manager/current/ping"
STATUS = "https://127.0.0.1:4119/rest/status/manager/version"
BACKENDS = ("be_console", "be_heartbeat", "be_relay")


def node(name: str):
    return testinfra.get_host(f"docker://{name}")


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
