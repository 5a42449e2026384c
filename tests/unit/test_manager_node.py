"""The manager role's decisions on a node's real state (roles/manager/filter_plugins/manager_node.py).

Each case is a node as a failed run can leave it, written out by hand the way manager_node_state
reports it, and the one thing an operator expects the role to do about it."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from ansible.errors import AnsibleFilterError

PLUGIN = Path(__file__).resolve().parents[2] / "roles" / "manager" / "filter_plugins" / "manager_node.py"
_spec = importlib.util.spec_from_file_location("manager_node", PLUGIN)
assert _spec is not None and _spec.loader is not None
mn = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(mn)


def node(condition, files="", running="", journal=None, backups=(), active="active", restarts=0, state="Online",
         installer=False, stale=False):
    return {"condition": condition, "version_file": files, "running_version": running, "node_state": state,
            "ping": 200 if condition == "serving" else 503, "journal": journal, "journal_stale": stale,
            "backups": list(backups), "installer_running": installer,
            "unit": {"active": active, "restarts": restarts, "result": "success"}}


SERVING_913 = node("serving", "20.0.913", "20.0.913")
# The finding: the database restarted during a patch installer; dsm_s stopped, jar and unit of 20.0.950,
# version file still 20.0.913, journal open.
HALF_950 = node("partial", "20.0.913", "", {"from": "20.0.913", "to": "20.0.950"}, ["20.0.913"], active="inactive")
# Someone started that half-installed node by hand: it runs 20.0.950 while its files say 20.0.913.
STARTED_HALF = node("partial", "20.0.913", "20.0.950", {"from": "20.0.913", "to": "20.0.950"}, ["20.0.913"])
FIRST_INSTALL_CUT = node("partial", "", "", {"from": "", "to": "20.0.877"}, [], active="inactive")

ACTION_CASES = [
    # (label, state, version wanted, action, from, words the reason must hold)
    ("nothing installed", node("absent"), "20.0.877", "install", "", "no manager"),
    ("on the version", SERVING_913, "20.0.913", "none", "20.0.913", "installed"),
    ("patch upgrade", SERVING_913, "20.0.950", "upgrade", "20.0.913", "patch upgrade 20.0.913 -> 20.0.950"),
    ("major upgrade", SERVING_913, "21.0.211", "upgrade", "20.0.913", "major upgrade"),
    ("downgrade", SERVING_913, "20.0.877", "downgrade", "20.0.913", "downgrades are refused"),
    ("stopped on the version", node("stopped", "20.0.913", active="inactive"), "20.0.913", "none", "20.0.913", ""),
    ("half-installed, asked for its target: completed", HALF_950, "20.0.950", "upgrade", "20.0.913", "completes it"),
    ("half-installed, asked for the version before: restored", HALF_950, "20.0.913", "restore", "20.0.913",
     "backup of 20.0.913 is put back"),
    ("half-installed and started by hand, site.yml on the version before", STARTED_HALF, "20.0.913", "restore",
     "20.0.913", "put back"),
    ("half-installed, asked for a third version", HALF_950, "20.0.970", "refuse", "20.0.913", "set manager_version to 20.0.950"),
    ("half-installed, no backup of the version before", node("partial", "20.0.913", "", {"from": "20.0.913", "to": "20.0.950"}),
     "20.0.913", "refuse", "20.0.913", "no backup"),
    ("first install cut short, run again", FIRST_INSTALL_CUT, "20.0.877", "install", "", "run again"),
    ("an installer still runs", node("installing", "20.0.913", installer=True), "20.0.950", "refuse", "20.0.913",
     "still runs"),
]


@pytest.mark.parametrize("label,state,wanted,action,before,words", ACTION_CASES, ids=[c[0] for c in ACTION_CASES])
def test_manager_action(label, state, wanted, action, before, words):
    decision = mn.manager_action(state, wanted)
    assert (decision["action"], decision["from"], decision["to"]) == (action, before, wanted), decision
    assert words in decision["reason"], decision["reason"]


RECOVERY_CASES = [
    ("serves it", SERVING_913, "20.0.913", "none"),
    ("stopped, whole", node("stopped", "20.0.913", active="inactive"), "20.0.913", "start"),
    ("unhealthy, whole", node("unhealthy", "20.0.913", "20.0.913", state="Offline (Database Unreachable)"), "20.0.913", "start"),
    ("stale journal of a finished install", node("stopped", "20.0.950", journal={"from": "20.0.913", "to": "20.0.950"},
                                                 stale=True, active="inactive"), "20.0.950", "start"),
    ("half-installed", HALF_950, "20.0.913", "restore"),
    ("upgraded but unhealthy, back to the version before", node("unhealthy", "20.0.950", "20.0.950", backups=["20.0.913"],
                                                                state="Offline (Lab Fault Injected)"), "20.0.913", "restore"),
    ("no backup", node("serving", "20.0.950", "20.0.950"), "20.0.913", "impossible"),
    ("an installer still runs", node("installing", "20.0.913", installer=True, backups=["20.0.913"]), "20.0.913", "impossible"),
]


@pytest.mark.parametrize("label,state,version,action", RECOVERY_CASES, ids=[c[0] for c in RECOVERY_CASES])
def test_manager_recovery(label, state, version, action):
    assert mn.manager_recovery(state, version)["action"] == action


@pytest.mark.parametrize("before,after,kind", [
    ("20.0.877", "20.0.913", "patch"), ("20.0.913", "20.0.913", "none"), ("20.0.950", "21.0.211", "major"),
    ("20.9.1", "20.10.0", "major"), ("21.0.211", "20.0.950", "downgrade"), ("20.0.950", "20.0.913", "downgrade"),
    # Numeric, not text: 20.0.1000 is newer than 20.0.999.
    ("20.0.999", "20.0.1000", "patch"),
])
def test_manager_upgrade_kind(before, after, kind):
    assert mn.manager_upgrade_kind(before, after) == kind


@pytest.mark.parametrize("value,ok", [("20.0.913", True), (" 20.0.913 ", True), ("20.0", False), ("20.0.913-1", False),
                                      ("", False), (None, False), ("v20.0.913", False)])
def test_manager_version_problem(value, ok):
    assert (mn.manager_version_problem(value) == "") is ok


@pytest.mark.parametrize("state,restarts_before,verdict", [
    (SERVING_913, 0, "ready"),
    (node("serving", "20.0.913", "20.0.877"), 0, "waiting"),  # answers, on another version
    (node("unhealthy", "20.0.913", "20.0.913", state="Offline (Starting)"), 0, "waiting"),
    (node("stopped", "20.0.913", active="inactive"), 0, "dead"),
    (node("stopped", "20.0.913", active="failed"), 0, "dead"),
    (node("unhealthy", "20.0.913", active="activating", restarts=5), 2, "crash-loop"),
    (node("unhealthy", "20.0.913", active="activating", restarts=4), 2, "waiting"),
    # The installer's own stop of dsm_s is not a dead service.
    (node("installing", "20.0.913", active="inactive", installer=True), 0, "waiting"),
])
def test_manager_ready(state, restarts_before, verdict):
    assert mn.manager_ready(state, "20.0.913", restarts_before) == verdict


@pytest.mark.parametrize("call", [
    lambda: mn.manager_action({"version_file": "20.0.913"}, "20.0.913"),
    lambda: mn.manager_action(SERVING_913, "latest"),
    lambda: mn.manager_recovery("serving", "20.0.913"),
    lambda: mn.manager_upgrade_kind("20.0", "20.0.913"),
])
def test_bad_input_names_the_problem(call):
    with pytest.raises(AnsibleFilterError, match="manager_"):
        call()
