"""What the manager role does to a node, decided from the node's real state (manager_node_state)."""

from __future__ import annotations

import re
from typing import Any, Mapping

from ansible.errors import AnsibleFilterError

DOCUMENTATION = r"""
name: manager_action
short_description: Decide what the manager role does to a node, from the state the node reports
description:
  - The manager role reads a node with its C(manager_node_state) module; these filters turn that reading into
    the one thing to do. Every decision comes from what is on the node (files, install journal, unit, running
    version), never from what an earlier run meant to do.
  - C(manager_action) answers "what brings this node to version V" for the role's main entry point -
    C(install) (nothing installed), C(upgrade) (an older version, or an install of V begun and not finished,
    which the installer completes), C(none) (V is installed), C(restore) (an install of another version began
    and did not finish, and V is what the node ran before it: its backup is put back), C(downgrade) or
    C(refuse) (with the reason and the fix).
  - C(manager_recovery) answers "what makes this node serve version V again" for the C(recover) entry point -
    C(none) (it serves V), C(start) (V is installed whole, the service is not running or not healthy),
    C(restore) (anything else: the backup of V is put back), C(impossible) (no backup of V, or an installer still runs).
  - C(manager_upgrade_kind) names a version change - C(none), C(patch) (first two components equal: no database
    schema change), C(major) (schema change, no automatic rollback) or C(downgrade).
  - C(manager_ready) says where a readiness wait stands - C(ready) (ping 200 on V), C(dead) (the unit is stopped
    or failed and will not start by itself), C(crash-loop) (it restarted three times since the wait began, given
    the restart count then) or C(waiting).
  - C(manager_version_problem) says what is wrong with a version string, or nothing.
positional: _input, version
options:
  _input:
    description: The C(state) returned by C(manager_node_state) (C(manager_action), C(manager_recovery)), or the
      version changed from (C(manager_upgrade_kind)), or the string to check (C(manager_version_problem)).
    type: raw
    required: true
  version:
    description: The version wanted (C(manager_action)), to serve again (C(manager_recovery)) or changed to (C(manager_upgrade_kind)).
    type: str
"""

EXAMPLES = r"""
- name: What this node needs is known
  ansible.builtin.set_fact:
    __manager_plan: "{{ manager_node | manager_action(manager_version) }}"

- name: Rollback is possible
  ansible.builtin.assert:
    that: (manager_node | manager_recovery('20.0.913')).action != 'impossible'

- name: Kind of upgrade
  ansible.builtin.debug:
    msg: "{{ '20.0.913' | manager_upgrade_kind('21.0.211') }}"  # major
"""

RETURN = r"""
_value:
  description:
    - C(manager_action) and C(manager_recovery) - a dict with C(action), C(from) (the version the node holds whole,
      empty when none), C(to) (the version the node ends on) and C(reason) (one sentence for people).
    - C(manager_upgrade_kind) - one of C(none), C(patch), C(major), C(downgrade).
    - C(manager_version_problem) - empty when the version is well-formed, else the problem.
  type: raw
"""

VERSION = re.compile(r"^[0-9]+\.[0-9]+\.[0-9]+$")
# Restarts during one readiness wait that make it a crash loop: systemd would go on restarting for ever.
CRASH_LOOP_RESTARTS = 3


def _parts(version: str) -> list[int]:
    return [int(p) for p in version.split(".")]


def manager_version_problem(value: Any) -> str:
    """'' for a version like 20.0.913, else what is wrong with it."""
    text = "" if value is None else str(value).strip()
    if VERSION.match(text):
        return ""
    return "'{0}' is not a manager version: three numbers separated by dots, e.g. 20.0.913".format(text)


def _version(value: Any, what: str) -> str:
    problem = manager_version_problem(value)
    if problem:
        raise AnsibleFilterError("{0}: {1}".format(what, problem))
    return str(value).strip()


def manager_upgrade_kind(old: Any, new: Any) -> str:
    """none, patch, major or downgrade for a change from `old` to `new`."""
    old_v, new_v = _version(old, "manager_upgrade_kind from"), _version(new, "manager_upgrade_kind to")
    if old_v == new_v:
        return "none"
    if _parts(new_v) < _parts(old_v):
        return "downgrade"
    return "patch" if _parts(old_v)[:2] == _parts(new_v)[:2] else "major"


def _check_state(state: Any, caller: str) -> Mapping[str, Any]:
    if not isinstance(state, Mapping) or "condition" not in state:
        raise AnsibleFilterError(
            "{0} needs the state the manager_node_state module returns (a dict with 'condition'), "
            "got {1}".format(caller, type(state).__name__))
    return state


def _unfinished(state: Mapping[str, Any]) -> tuple[str, str]:
    """(version held before, version being installed) of a partial node."""
    journal = state.get("journal") or {}
    before = str(journal.get("from") or state.get("version_file") or "")
    target = str(journal.get("to") or state.get("running_version") or "")
    return before, target


def _decision(action: str, before: str, to: str, reason: str) -> dict[str, str]:
    return {"action": action, "from": before, "to": to, "reason": reason}


def manager_action(state: Any, version: Any) -> dict[str, str]:
    """What the role's main entry point does to bring the node to `version`."""
    state = _check_state(state, "manager_action")
    wanted = _version(version, "manager_action version")
    condition = state["condition"]
    backups = list(state.get("backups") or [])
    if condition == "installing":
        return _decision("refuse", str(state.get("version_file") or ""), wanted,
                         "an installer still runs on the node (unit dsm-installer, started by an earlier run); wait until "
                         "`systemctl status dsm-installer` shows it ended, then run again")
    if condition == "absent":
        return _decision("install", "", wanted, "no manager is installed")
    if condition == "partial":
        before, target = _unfinished(state)
        if target == wanted:
            if not before:
                return _decision("install", "", wanted,
                                 "a first install of {0} began and did not finish: it is run again".format(wanted))
            return _decision("upgrade", before, wanted,
                             "an install of {0} over {1} began and did not finish: the installer completes it".format(wanted, before))
        if before == wanted and wanted in backups:
            return _decision("restore", before, wanted,
                             "an install of {0} over {1} began and did not finish: the backup of {1} is put back".format(
                                 target or "another version", wanted))
        if before == wanted:
            return _decision("refuse", before, wanted,
                             "an install of {0} over {1} began and did not finish, and there is no backup of {1} on the "
                             "node to put back; set manager_version to {0} to complete the install instead".format(
                                 target or "an unknown version", wanted))
        return _decision("refuse", before, wanted,
                         "an install of {0} over {1} began and did not finish, and {2} is neither its target nor the "
                         "version before it; set manager_version to {0} to complete it{3}".format(
                             target or "an unknown version", before or "nothing", wanted,
                             " or to {0} to roll back".format(before) if before in backups else ""))
    installed = _version(state.get("version_file"), "manager_action installed version")
    kind = manager_upgrade_kind(installed, wanted)
    if kind == "none":
        return _decision("none", installed, wanted, "{0} is installed".format(wanted))
    if kind == "downgrade":
        return _decision("downgrade", installed, wanted,
                         "the node runs {0}, newer than {1}: downgrades are refused".format(installed, wanted))
    return _decision("upgrade", installed, wanted, "{0} upgrade {1} -> {2}".format(kind, installed, wanted))


def manager_recovery(state: Any, version: Any) -> dict[str, str]:
    """What the recover entry point does to make the node serve `version` again."""
    state = _check_state(state, "manager_recovery")
    wanted = _version(version, "manager_recovery version")
    condition = state["condition"]
    installed = str(state.get("version_file") or "")
    backups = list(state.get("backups") or [])
    if condition == "installing":
        return _decision("impossible", installed, wanted,
                         "an installer still runs on the node (unit dsm-installer); wait until it ends, then run again")
    if condition == "serving" and installed == wanted and state.get("running_version") == wanted:
        return _decision("none", installed, wanted, "it serves {0}".format(wanted))
    finished = not state.get("journal") or state.get("journal_stale")
    if condition in ("stopped", "unhealthy") and installed == wanted and finished:
        return _decision("start", installed, wanted,
                         "{0} is installed whole; dsm_s is {1}".format(wanted, "stopped" if condition == "stopped" else "not healthy"))
    if wanted in backups:
        what = {"partial": "an install that began and did not finish", "absent": "no installation"}.get(
            condition, "manager {0}".format(installed))
        return _decision("restore", installed, wanted,
                         "the node holds {0}: the backup of {1} is put back".format(what, wanted))
    return _decision("impossible", installed, wanted,
                     "the node cannot be returned to {0}: it holds {1} ({2}) and has no backup of {0} (backups: {3}); "
                     "install {0} with the manager role, or fix the node".format(
                         wanted, installed or "no version file", condition, ", ".join(backups) or "none"))


def manager_ready(state: Any, version: Any, restarts_before: Any = 0) -> str:
    """Where a readiness wait stands: ready, dead (will not start by itself), crash-loop, or waiting."""
    state = _check_state(state, "manager_ready")
    wanted = _version(version, "manager_ready version")
    unit = state.get("unit") or {}
    if state.get("ping") == 200 and state.get("running_version") == wanted:
        return "ready"
    if unit.get("active") in ("failed", "inactive") and not state.get("installer_running"):
        return "dead"
    if int(unit.get("restarts") or 0) - int(restarts_before or 0) >= CRASH_LOOP_RESTARTS:
        return "crash-loop"
    return "waiting"


class FilterModule:
    """The manager role's decisions on a node's state."""

    def filters(self) -> dict[str, Any]:
        return {
            "manager_action": manager_action,
            "manager_ready": manager_ready,
            "manager_recovery": manager_recovery,
            "manager_upgrade_kind": manager_upgrade_kind,
            "manager_version_problem": manager_version_problem,
        }
