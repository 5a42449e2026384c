#!/usr/bin/env python3
"""A rolling upgrade under load, on the lab: a patch upgrade, then a major upgrade.

Needs a fresh lab on 20.0.877 (`make bench-upgrade` makes one, then runs this). While each upgrade
runs, a steady load of RATE requests/s (default 50, bounded by 20 minutes) hits the console flow of
the lab's load balancer (the console URL of .lab/endpoints.json). Prints, for each upgrade:
- failed requests (goal for a patch upgrade: 0);
- the unavailability window: the longest stretch with failed requests and no successful one (goal
  for a major upgrade: under the schema migration time plus two health-check intervals);
- the wall time of ansible-playbook against its lower bound, the sum over the nodes of
  drain + install + ready, read from the runbook's audit log (a node's "started" record is written
  just before its deregistration, its "upgrade ok" once it answers its ping on the new version);
  goal: a ratio under 1.2. The same ratio is also given with "ready" read as "healthy in the load
  balancer again", the point where the next node may leave.
"""

from __future__ import annotations

import json
import os
import sys
import time
from datetime import datetime
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
from lab.harness.ansible_run import run_playbook  # noqa: E402
from lab.harness.load import SteadyLoad  # noqa: E402

RATE = float(os.environ.get("BENCH_RATE", "50"))
AUDIT_LOG = REPO / ".audit" / "change-window.jsonl"
INVENTORY = REPO / "inventories" / "lab"
STEPS = (("patch", "20.0.913"), ("major", "21.0.211"))
# The stand-in's default migration time (lab/manager/README.md); the lab does not change it.
MIGRATION_SECONDS = float(os.environ.get("DSM_SCHEMA_MIGRATION_SECONDS", "20"))


def audit_lines() -> list[dict]:
    if not AUDIT_LOG.exists():
        return []
    return [json.loads(line) for line in AUDIT_LOG.read_text().splitlines()]


def when(record: dict) -> float:
    return datetime.fromisoformat(record["time"].replace("Z", "+00:00")).timestamp()


def node_times(records: list[dict]) -> dict[str, dict[str, float]]:
    """Per node: start (just before the drain), ready (answers on the new version), healthy (back in the lb)."""
    nodes: dict[str, dict[str, float]] = {}
    for record in records:
        key = (record["step"], record["result"])
        if key == ("node", "started"):
            nodes.setdefault(record["host"], {})["start"] = when(record)
        elif key == ("upgrade", "ok"):
            nodes[record["host"]]["ready"] = when(record)
        elif key == ("node", "ok"):
            nodes[record["host"]]["healthy"] = when(record)
    return nodes


def check_interval() -> float:
    settings = yaml.safe_load((INVENTORY / "group_vars" / "load_balancers" / "haproxy.yml").read_text())
    return float(str(settings["haproxy_check_interval"]).rstrip("s"))


def upgrade(kind: str, version: str, console: str) -> None:
    mark = len(audit_lines())
    with SteadyLoad(f"{console}/rest/status/manager/ping", rate=RATE, max_seconds=1200) as load:
        start = time.perf_counter()
        result = run_playbook("playbooks/rolling_upgrade.yml", "-i", str(INVENTORY), "-e", f"manager_version={version}",
                              check=False)
        wall = time.perf_counter() - start
    report = load.report
    if result.returncode != 0:
        sys.exit(f"rolling_upgrade.yml to {version} failed ({result.returncode}):\n{result.stdout[-6000:]}\n{result.stderr}")
    nodes = node_times(audit_lines()[mark:])
    lower = sum(n["ready"] - n["start"] for n in nodes.values())
    lower_healthy = sum(n["healthy"] - n["start"] for n in nodes.values())
    print(f"{kind} upgrade to {version}: {len(nodes)} nodes, wall {wall:.1f} s")
    print(f"  requests {len(report.answers)} at {RATE:g}/s, failed {len(report.failed)}"
          + (" (goal 0)" if kind == "patch" else ""))
    unavailable = report.unavailable_seconds()
    if kind == "major":
        bound = MIGRATION_SECONDS + 2 * check_interval()
        print(f"  unavailability window {unavailable:.1f} s (goal < migration {MIGRATION_SECONDS:g} s"
              f" + 2 x {check_interval():g} s check interval = {bound:g} s)")
    else:
        print(f"  unavailability window {unavailable:.1f} s")
    for name, n in sorted(nodes.items(), key=lambda item: item[1]["start"]):
        print(f"  {name}: drain+install+ready {n['ready'] - n['start']:.1f} s, back healthy after {n['healthy'] - n['start']:.1f} s")
    print(f"  lower bound (sum of drain+install+ready) {lower:.1f} s: ratio {wall / lower:.2f} (goal < 1.2)")
    print(f"  lower bound with the wait until healthy {lower_healthy:.1f} s: ratio {wall / lower_healthy:.2f}")


def main() -> None:
    endpoints = json.loads((REPO / ".lab" / "endpoints.json").read_text())
    answer = run_playbook("playbooks/rolling_upgrade.yml", "-i", str(INVENTORY), "-e", "manager_version=20.0.913",
                          "-e", "plan_only=true", check=True)
    if "Rolling upgrade 20.0.877 -> 20.0.913" not in answer.stdout:
        sys.exit("rolling_upgrade bench: the lab's nodes are not all on 20.0.877; make a fresh lab: make bench-upgrade")
    for kind, version in STEPS:
        upgrade(kind, version, endpoints["console"])


if __name__ == "__main__":
    main()
