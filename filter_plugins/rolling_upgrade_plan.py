"""The rolling upgrade's plan: which nodes, in which order, and every reason not to start."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any, Mapping, Sequence

from ansible.errors import AnsibleFilterError

DOCUMENTATION = r"""
name: rolling_upgrade_plan
short_description: Plan a rolling upgrade of the manager nodes from what each node reports
description:
  - Takes every node of the estate as the rolling_upgrade role reads it (its name, AZ, whether it answered over its
    connection, and the manager role's C(manager_node) state) and the target version, and returns the run - the
    kind of upgrade, the nodes to upgrade in plan order, the nodes to start or complete first, the estimate - and
    every reason the run must not start, each naming the nodes and the fix.
  - Order - batches by AZ, the AZs in the order they first appear in the inventory, inventory order inside an AZ,
    worked out over B(every) node and then narrowed to those not on the target. A run that continues after a stop
    keeps the order of the run that stopped, whichever nodes it already upgraded.
  - A node a failed run left half-installed B(towards the target) is completed first (the installer is safe to
    repeat; it is out of service already); one half-installed towards another version is refused (the manager role says how to finish or roll
    it back). A node whose service is stopped, its installation whole, is started before the upgrade.
  - C(rolling_upgrade_verdict) says what happened to the node a run stopped on and what to do next, from what was
    read on the node (the manager role's C(manager_node)) and the load balancers after the failure.
  - C(rolling_upgrade_outcome) reads the end of a run from every node's hostvars - each node as read at the end,
    the verdicts left by the nodes it stopped on, the nodes not on the target and Online.
  - C(rolling_upgrade_plan_lines) turns the run, the change window gate's decision and the snapshot method into the
    plan an operator reads, one line a step.
  - The version rules (patch or major, the version format) are the manager role's, loaded from its filter plugin:
    one place for them, also shipped to the nodes in the bootstrap bundle.
positional: _input, target
options:
  _input:
    description: Every node of the estate, in inventory order.
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description: Inventory name.
        type: str
        required: true
      az:
        description: Availability zone (lab AZ in the lab); empty when unknown.
        type: str
      reachable:
        description: Whether the node answered over its connection.
        type: bool
        default: true
      state:
        description: The manager role's C(manager_node) fact (C(manager_node_state) output); empty when unreachable.
        type: dict
  target:
    description: The version to upgrade to.
    type: str
    required: true
  node_minutes:
    description: Minutes one node takes (drain, install, ready, healthy), for the estimate.
    type: int
    default: 15
  migration_minutes:
    description: Minutes a schema migration adds to the first node of a major upgrade.
    type: int
    default: 30
  min_in_service:
    description: Nodes that must keep serving while one is out.
    type: int
    default: 1
"""

EXAMPLES = r"""
- name: The estate and the plan are worked out
  ansible.builtin.set_fact:
    rolling_upgrade_run: "{{ nodes | rolling_upgrade_plan(manager_version, node_minutes=15, min_in_service=1) }}"
"""

RETURN = r"""
_value:
  description: The run.
  type: dict
  contains:
    target: {description: The target version., type: str}
    from: {description: The version the nodes not on the target run; empty when none., type: str}
    from_versions: {description: Every version besides the target (more than one is refused)., type: list}
    kind: {description: "C(none), C(patch) or C(major) (see the manager role's manager_upgrade_kind)", type: str}
    nodes: {description: "Every node - name, az, version, condition, state, online, summary.", type: list}
    plan: {description: The nodes to upgrade, in plan order., type: list}
    order: {description: Their names., type: list}
    to_start: {description: Nodes whose whole installation is stopped; started before the upgrade., type: list}
    to_complete: {description: Nodes half-installed towards the target; completed in their turn., type: list}
    migrating_node: {description: The node whose installer migrates the schema (major); empty otherwise., type: str}
    schema_migrated: {description: A major upgrade already migrated the schema (a run that continues)., type: bool}
    online: {description: Nodes serving now, plus those to start., type: int}
    estimated_minutes: {description: Expected duration., type: int}
    batch: {description: "The next play's hosts - each node to upgrade, then its watcher (name, watched).", type: list}
    problems: {description: Every reason not to start; empty when the run may go ahead., type: list}
"""

UPGRADE_REQUIRED = "Offline (Upgrade Required)"
# Each node to upgrade has a watcher host on the controller in its batch (tasks/watch.yml of the role).
WATCHER_PREFIX = "watcher-of-"


def _manager_filters() -> Any:
    """The manager role's version rules (manager_upgrade_kind, manager_version_problem)."""
    path = Path(__file__).resolve().parents[1] / "roles" / "manager" / "filter_plugins" / "manager_node.py"
    spec = importlib.util.spec_from_file_location("manager_node_filters", path)
    if spec is None or spec.loader is None:
        raise AnsibleFilterError("rolling_upgrade_plan: cannot load the manager role's filters from {0}".format(path))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_MANAGER = _manager_filters()


def _node(entry: Mapping[str, Any], target: str) -> dict[str, Any]:
    """One node, normalised: the version it holds whole (a half-installed node: the one it ran before)."""
    if not isinstance(entry, Mapping) or not entry.get("name"):
        raise AnsibleFilterError("rolling_upgrade_plan: every node needs a name, got {0!r}".format(entry))
    state = entry.get("state") or {}
    reachable = bool(entry.get("reachable", True)) and bool(state)
    condition = str(state.get("condition", "")) if reachable else "unreachable"
    journal = state.get("journal") or {}
    version = str(state.get("version_file") or "")
    if condition == "partial":
        version = str(journal.get("from") or version)
    node_state = str(state.get("node_state") or "")
    return {
        "name": str(entry["name"]),
        "az": str(entry.get("az") or ""),
        "version": version,
        "condition": condition,
        "state": node_state or condition,
        "online": condition == "serving" and node_state == "Online",
        "summary": str(state.get("summary") or "did not answer over its connection"),
        "completes": condition == "partial" and str(journal.get("to") or state.get("running_version") or "") == target,
    }


def _in_az_order(nodes: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    azs: list[str] = []
    for node in nodes:
        if node["az"] not in azs:
            azs.append(node["az"])
    return [node for az in azs for node in nodes if node["az"] == az]


def _names(nodes: Sequence[Mapping[str, Any]]) -> str:
    return ", ".join(node["name"] for node in nodes)


def rolling_upgrade_plan(nodes: Any, target: Any, node_minutes: int = 15, migration_minutes: int = 30,
                         min_in_service: int = 1) -> dict[str, Any]:
    """The run (see RETURN)."""
    problem = _MANAGER.manager_version_problem(target)
    if problem:
        raise AnsibleFilterError("rolling_upgrade_plan target: {0}; set -e manager_version=X.Y.Z".format(problem))
    if not isinstance(nodes, Sequence) or isinstance(nodes, (str, bytes)) or not nodes:
        raise AnsibleFilterError("rolling_upgrade_plan needs the list of every node of the estate, got {0!r}".format(nodes))
    target = str(target).strip()
    every = [_node(entry, target) for entry in nodes]
    whole = [n for n in every if n["condition"] in ("serving", "unhealthy", "stopped")]
    from_versions = sorted({n["version"] for n in whole + [n for n in every if n["completes"]]
                            if n["version"] and n["version"] != target},
                           key=lambda v: [int(p) for p in v.split(".")])
    source = from_versions[0] if from_versions else ""
    kind = _MANAGER.manager_upgrade_kind(source, target) if source else "none"
    on_target = [n for n in whole if n["version"] == target]
    to_complete = [n for n in every if n["completes"]]
    # Half-installed towards the target first: they are out of service already (and in their run's order anyway).
    todo = [n for n in _in_az_order(every) if n["completes"]] + [
        n for n in _in_az_order(every) if n["condition"] in ("serving", "unhealthy", "stopped") and n["version"] != target]
    to_start = [n for n in every if n["condition"] == "stopped"]
    # A major upgrade that began: the nodes still on the old schema are Upgrade Required, as they should be.
    migration_began = kind == "major" and bool(on_target or to_complete)
    migrates = kind == "major" and not on_target

    problems = []
    unreachable = [n for n in every if n["condition"] == "unreachable"]
    if unreachable:
        problems.append("{0} did not answer over its connection. A rolling upgrade needs every node: bring it back, or "
                        "decommission it and remove it from the inventory, then run again".format(_names(unreachable)))
    absent = [n for n in every if n["condition"] == "absent"]
    if absent:
        problems.append("{0} has no manager installed: install it with playbooks/site.yml first".format(_names(absent)))
    installing = [n for n in every if n["condition"] == "installing"]
    if installing:
        problems.append("an installer an earlier run started still runs on {0}: wait until `systemctl status dsm-installer` "
                        "shows it ended, then run again".format(_names(installing)))
    stray = [n for n in every if n["condition"] == "partial" and not n["completes"]]
    for node in stray:
        problems.append("{0} was left half-installed towards another version than {1} ({2}): finish or roll it back "
                        "first with playbooks/site.yml and manager_version set to the version to keep".format(
                            node["name"], target, node["summary"]))
    newer = [n for n in whole if n["version"] and _MANAGER.manager_upgrade_kind(n["version"], target) == "downgrade"]
    if newer:
        problems.append("manager_version={0} is older than what runs on {1} ({2}): downgrades are refused".format(
            target, _names(newer), ", ".join(sorted({n["version"] for n in newer}))))
    elif len(from_versions) > 1:
        problems.append("the nodes run several versions besides {0}: {1}. All nodes must run one version (multi-node "
                        "rule) before a rolling upgrade; only nodes already on the target may differ. Bring them to one "
                        "version first".format(target, ", ".join("{0} {1}".format(n["name"], n["version"] or n["condition"])
                                                                   for n in every)))
    unhealthy = [n for n in every if n["condition"] == "unhealthy" and not n["online"]
                 and not (migration_began and n["state"] == UPGRADE_REQUIRED and n["version"] != target)]
    if unhealthy:
        problems.append("not healthy: {0}. A rolling upgrade starts only from a healthy estate: fix those nodes "
                        "(journalctl -u dsm_s on them), then run again".format(
                            ", ".join("{0} ({1}: {2})".format(n["name"], n["version"], n["state"]) for n in unhealthy)))
    online = sum(1 for n in every if n["online"]) + len(to_start)
    if todo:
        first = todo[0]
        serving_while_out = online - (1 if first["online"] or first["condition"] == "stopped" else 0)
        if serving_while_out < int(min_in_service):
            problems.append("taking {0} out would leave {1} node(s) serving, fewer than rolling_upgrade_min_in_service={2}. "
                            "Add a node first, or plan downtime and set rolling_upgrade_min_in_service=0".format(
                                first["name"], serving_while_out, min_in_service))
    estimate = len(todo) * int(node_minutes) + (int(migration_minutes) if migrates else 0)
    return {
        "target": target,
        "from": source,
        "from_versions": from_versions,
        "kind": kind,
        "nodes": [{k: v for k, v in n.items() if k != "completes"} for n in every],
        "plan": [{k: v for k, v in n.items() if k != "completes"} for n in todo],
        "order": [n["name"] for n in todo],
        "to_start": [n["name"] for n in to_start],
        "to_complete": [n["name"] for n in to_complete],
        "migrating_node": todo[0]["name"] if migrates and todo else "",
        "schema_migrated": migration_began,
        "online": online,
        "node_minutes": int(node_minutes),
        "migration_minutes": int(migration_minutes),
        "estimated_minutes": estimate,
        "problems": problems,
        # The next play's hosts, two by two: each node to upgrade, then its watcher on the controller.
        "batch": [host for n in todo for host in ({"name": n["name"], "watched": ""},
                                                  {"name": WATCHER_PREFIX + n["name"], "watched": n["name"]})],
    }


def rolling_upgrade_plan_lines(run: Mapping[str, Any], gate: Any = None, snapshot_method: str = "rds") -> list[str]:
    """The plan as the operator reads it, one line a step."""
    if not isinstance(run, Mapping) or "order" not in run:
        raise AnsibleFilterError("rolling_upgrade_plan_lines needs the output of rolling_upgrade_plan")
    target = run["target"]
    if not run["order"]:
        return ["Every node already runs manager {0}: nothing to do.".format(target)]
    gate = gate if isinstance(gate, Mapping) else {}
    window = "no calendar decision"
    if gate.get("state"):
        window = "{0}{1}{2}".format(
            gate["state"], ", next change at {0}".format(gate["next_transition"]) if gate.get("next_transition")
            else ", no change within a year", " (decision: {0})".format(gate["decision"]) if gate.get("decision") not in
            (None, "open") else "")
    lines = ["Rolling upgrade {0} -> {1} ({2}{3}), {4} of {5} nodes, one at a time; expected {6} min; change window {7}.".format(
        run["from"] or target, target, run["kind"], ", schema migration" if run["kind"] == "major" else ", no schema change",
        len(run["order"]), len(run["nodes"]), run["estimated_minutes"], window)]
    if run["to_start"]:
        lines.append("0. started first (a failed run left the service stopped): " + ", ".join(run["to_start"]))
    lines.append("0. database snapshot ({0}), available before any node is touched".format(snapshot_method))
    for index, node in enumerate(run["plan"], start=1):
        if node["name"] in run["to_complete"]:
            action = "complete the install a failed run left unfinished"
        else:
            action = "drain, upgrade"
        if node["name"] == run["migrating_node"]:
            action += " (migrates the database schema; the nodes still on {0} go Offline (Upgrade Required) until " \
                      "upgraded)".format(run["from"])
        action += ", ready, back in the load balancer"
        if run["kind"] == "patch":
            action += "; rolled back to {0} if unhealthy".format(run["from"])
        lines.append("{0}. batch {1}: {2} {3} -> {4}: {5}".format(
            index, node["az"] or "no AZ", node["name"], node["version"], target, action))
    done = [n["name"] for n in run["nodes"] if n["version"] == target and n["condition"] != "partial"]
    lines.append("Already on {0} (untouched): {1}".format(target, ", ".join(done) or "none"))
    return lines


def rolling_upgrade_verdict(stop: Mapping[str, Any], run: Mapping[str, Any]) -> str:
    """What happened to the node a run stopped on, and what to do next - from what was read on the node and
    the load balancers after the failure, never from what the run meant to do."""
    node, target, before, kind = stop["node"], run["target"], run["from"], run["kind"]
    state = stop.get("state") or {}
    order = list(run["order"])
    done = order[:order.index(node)] if node in order else []
    left = order[order.index(node) + 1:] if node in order else order
    rerun = "ansible-playbook -i <inventory> playbooks/rolling_upgrade.yml -e manager_version={0}".format(target)
    membership = stop.get("lb") or {}
    lb, in_rotation = membership.get("text") or "not read", bool(membership.get("serving"))
    version, condition = state.get("running_version") or "", state.get("condition") or "unreachable"
    serving = condition == "serving" and in_rotation
    rollback = str(stop.get("rollback") or "")
    now = "{0} now: {1}; load balancer: {2}.".format(node, state.get("summary") or "did not answer", lb)
    cause = "Cause ({0}): {1}".format(stop.get("step") or "a step", str(stop.get("failure") or "failed").strip().rstrip("."))
    cause += "."
    progress = "Upgraded: {0}. Not upgraded: {1}.".format(", ".join(done) or "none", ", ".join([node] + left))

    if stop.get("step") == "gate":
        return ("The change window refused {0} before it was touched: it still runs {1}. {2} {3} {4} Next: run `{5}` in "
                "the next window (or with an emergency override); it continues with the nodes not on {6}.".format(
                    node, version or before, cause, now, progress, rerun, target))
    if condition == "unreachable":
        return ("{0} became unreachable during its upgrade (last step: {1}); what it runs is unknown. {2} The other "
                "nodes kept serving. {3} Next: bring {0} back (or let Auto Scaling replace it), then run `{4}` again: it "
                "reads the node, completes or rolls back a half-finished install, and continues with the nodes not on "
                "{5}.".format(node, stop.get("step") or "unknown", cause, progress, rerun, target))
    if kind == "patch" and serving and version == before:
        how = {"restore": " (rolled back from its backup)", "start": " (started again)"}.get(rollback, "")
        return ("The upgrade of {0} to {1} failed and the node runs {2} again{3}, back in every load balancer; the other "
                "nodes kept serving. {4} {5} {6} Next: find the cause (journalctl -u dsm_s on {0}{7}), fix it, then run "
                "`{8}` again: it continues with the nodes not on {1}.".format(
                    node, target, before, how, cause, now, progress,
                    "; the failed installation is kept in " + state["failed_copy"] if state.get("failed_copy") else "",
                    rerun))
    if serving and version == target:
        return ("{0} runs {1} and serves in every load balancer, but a step of its upgrade failed. {2} {3} {4} Next: run "
                "`{5}` again: it leaves {0} alone and continues with {6}.".format(
                    node, target, cause, now, progress, rerun, ", ".join(left) or "no other node"))
    if kind == "patch":
        rolled = ("The rollback to {0} {1}.".format(before, rollback) if rollback.startswith("failed")
                  else "It was not rolled back." if not rollback else "It was brought back to {0} ({1}) but does not "
                  "serve.".format(before, rollback))
        return ("The upgrade of {0} to {1} failed and {0} does NOT serve. {2} {3} {4} {5} The other nodes kept serving. "
                "Next: run `{6}` again: it reads the node, completes the install it left unfinished or starts it, and "
                "continues; or return it to {7} with the manager role's recover entry point "
                "(manager_recover_version={7}).".format(node, target, rolled, cause, now, progress, rerun, before))
    snapshots = ", ".join(stop.get("snapshots") or []) or "none"
    restore = ("aws rds restore-db-instance-from-db-snapshot, then point manager_db_host at the restored instance"
               if stop.get("snapshot_method") == "rds"
               else "pg_restore --clean --dbname={0} <dump>, as postgres on the database server".format(stop.get("db_name") or "dsm"))
    return ("HALTED: {0} is not serving {1} after its upgrade (a schema upgrade: no automatic rollback). {2} {3} {4}{5} "
            "Database snapshot taken before the first node: {6}. Recovery, forward (preferred): 1. read journalctl -u dsm_s "
            "on {0} and the installer output above; 2. fix the cause; 3. run `{7}` again: it completes {0} and upgrades "
            "{8}, leaving the upgraded nodes alone. Recovery, back to {9} (only if forward is impossible; loses changes "
            "made since the snapshot): 1. stop dsm_s on every node; 2. restore the database from the snapshot above ({10}); "
            "3. on every node upgraded, put back the installation kept before its upgrade with the manager role's recover "
            "entry point (manager_recover_version={9}; backups in {11}); 4. run playbooks/lb_membership.yml.".format(
                node, target, cause, now, progress,
                " The nodes still on {0} are Offline (Upgrade Required) once the schema is migrated: only nodes on {1} "
                "serve.".format(before, target) if run.get("schema_migrated") or run.get("migrating_node") else "",
                snapshots, rerun, ", ".join(left) or "no other node", before, restore,
                state.get("backup_dir") or "the backup directory"))


def rolling_upgrade_outcome(hosts: Any, run: Mapping[str, Any]) -> dict[str, Any]:
    """The end of a run, from every node's hostvars: each node as read at the end (C(rolling_upgrade_end), absent
    for a node Ansible lost earlier in the run), the verdicts stopped nodes left, and the nodes not on the target."""
    lines, behind, stopped = [], [], []
    for host in hosts or []:
        name = host["inventory_hostname"]
        end = host["rolling_upgrade_end"] if "rolling_upgrade_end" in host else {}
        state = end.get("state") or {}
        if "rolling_upgrade_stopped" in host:
            stopped.append(str(host["rolling_upgrade_stopped"]))
        if not state:
            lines.append("{0}: did not answer over its connection".format(name))
            behind.append(name)
            continue
        lines.append("{0}: {1}".format(name, state.get("summary", "")))
        if state.get("running_version") != run["target"] or state.get("node_state") != "Online" or \
                state.get("condition") != "serving":
            behind.append(name)
    return {"lines": lines, "behind": behind, "stopped": stopped}


class FilterModule:
    """The rolling upgrade's plan."""

    def filters(self) -> dict[str, Any]:
        return {"rolling_upgrade_plan": rolling_upgrade_plan, "rolling_upgrade_plan_lines": rolling_upgrade_plan_lines,
                "rolling_upgrade_verdict": rolling_upgrade_verdict, "rolling_upgrade_outcome": rolling_upgrade_outcome}
