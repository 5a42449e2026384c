"""The rolling upgrade's plan, verdict and outcome (filter_plugins/rolling_upgrade_plan.py).

The estates are written out by hand as the manager role's status entry point reports each node;
the expected plans follow the runbook's rules (batches by AZ in inventory order, one version, every
node healthy, capacity), not the plugin's code."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from ansible.errors import AnsibleFilterError

PLUGIN = Path(__file__).resolve().parents[2] / "filter_plugins" / "rolling_upgrade_plan.py"
_spec = importlib.util.spec_from_file_location("rolling_upgrade_plan", PLUGIN)
assert _spec is not None and _spec.loader is not None
rup = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(rup)

OLD, NEW, MAJOR = "20.0.913", "20.0.950", "21.0.211"


def state(files, condition="serving", running=None, node_state="Online", journal=None):
    running = files if running is None and condition in ("serving", "unhealthy") else (running or "")
    return {"condition": condition, "version_file": files, "running_version": running, "node_state": node_state,
            "journal": journal, "summary": f"runs {running or 'nothing'} (files {files})", "backups": [OLD]}


def estate(*nodes):
    """(name, az, state or None for unreachable), in inventory order."""
    return [{"name": n, "az": az, "reachable": s is not None, "state": s or {}} for n, az, s in nodes]


THREE = estate(("n1", "a", state(OLD)), ("n2", "b", state(OLD)), ("n3", "a", state(OLD)))


def test_first_run_batches_by_az_in_inventory_order():
    run = rup.rolling_upgrade_plan(THREE, NEW, node_minutes=15)
    assert run["order"] == ["n1", "n3", "n2"]
    assert (run["kind"], run["from"], run["problems"], run["estimated_minutes"]) == ("patch", OLD, [], 45)


def test_a_continued_run_keeps_the_first_runs_order():
    """Stopped after n1: the AZ of the remaining first node (b) must not jump ahead of a."""
    continued = estate(("n1", "a", state(NEW)), ("n2", "b", state(OLD)), ("n3", "a", state(OLD)))
    assert rup.rolling_upgrade_plan(continued, NEW)["order"] == ["n3", "n2"]


def test_a_node_half_installed_towards_the_target_is_completed_first():
    half = state(OLD, "partial", journal={"from": OLD, "to": NEW})
    run = rup.rolling_upgrade_plan(estate(("n1", "a", state(NEW)), ("n2", "b", state(OLD)), ("n3", "a", half)), NEW)
    assert run["problems"] == []
    assert run["order"] == ["n3", "n2"] and run["to_complete"] == ["n3"]
    assert "complete the install a failed run left unfinished" in " ".join(rup.rolling_upgrade_plan_lines(run))


def test_a_stopped_node_is_started_not_refused():
    run = rup.rolling_upgrade_plan(estate(("n1", "a", state(OLD)), ("n2", "b", state(NEW, "stopped", node_state="")),
                                          ("n3", "a", state(OLD))), NEW)
    assert run["problems"] == [] and run["to_start"] == ["n2"] and run["order"] == ["n1", "n3"]


PROBLEMS = [
    ("unreachable", estate(("n1", "a", state(OLD)), ("n2", "b", None)), NEW, "n2 did not answer over its connection"),
    ("nothing installed", estate(("n1", "a", state(OLD)), ("n2", "b", state("", "absent"))), NEW,
     "n2 has no manager installed"),
    ("half-installed towards another version", estate(("n1", "a", state(OLD)),
                                                      ("n2", "b", state(OLD, "partial", journal={"from": OLD, "to": "20.0.970"}))),
     NEW, "n2 was left half-installed towards another version"),
    ("downgrade", estate(("n1", "a", state(NEW)), ("n2", "b", state(NEW))), OLD, "downgrades are refused"),
    ("two versions", estate(("n1", "a", state("20.0.877")), ("n2", "b", state(OLD))), NEW, "several versions"),
    ("unhealthy", estate(("n1", "a", state(OLD)), ("n2", "b", state(OLD, "unhealthy", node_state="Offline (Database Unreachable)"))),
     NEW, "not healthy: n2 (20.0.913: Offline (Database Unreachable))"),
    ("capacity", estate(("n1", "a", state(OLD)),), NEW, "would leave 0 node(s) serving"),
    ("installer running", estate(("n1", "a", state(OLD)), ("n2", "b", state(OLD, "installing"))), NEW, "still runs on n2"),
]


@pytest.mark.parametrize("label,nodes,target,words", PROBLEMS, ids=[p[0] for p in PROBLEMS])
def test_every_reason_not_to_start_is_named(label, nodes, target, words):
    problems = rup.rolling_upgrade_plan(nodes, target)["problems"]
    assert any(words in p for p in problems), problems


def test_capacity_of_zero_allows_a_planned_downtime():
    assert rup.rolling_upgrade_plan(estate(("n1", "a", state(OLD)),), NEW, min_in_service=0)["problems"] == []


def test_major_upgrade_names_the_migrating_node_and_tolerates_upgrade_required_once_it_began():
    run = rup.rolling_upgrade_plan(THREE, MAJOR, migration_minutes=30, node_minutes=15)
    assert (run["kind"], run["migrating_node"], run["estimated_minutes"]) == ("major", "n1", 75)
    continued = estate(("n1", "a", state(MAJOR)),
                       ("n2", "b", state(OLD, "unhealthy", node_state="Offline (Upgrade Required)")),
                       ("n3", "a", state(OLD, "unhealthy", node_state="Offline (Upgrade Required)")))
    run = rup.rolling_upgrade_plan(continued, MAJOR, min_in_service=1)
    assert run["problems"] == [] and run["schema_migrated"] and run["migrating_node"] == "" and run["order"] == ["n3", "n2"]


def test_nothing_to_do():
    run = rup.rolling_upgrade_plan(estate(("n1", "a", state(NEW)), ("n2", "b", state(NEW))), NEW)
    assert (run["order"], run["kind"]) == ([], "none")
    assert rup.rolling_upgrade_plan_lines(run) == [f"Every node already runs manager {NEW}: nothing to do."]


def test_batches_pair_every_node_with_its_watcher():
    assert rup.rolling_upgrade_plan(THREE, NEW)["batch"] == [
        {"name": "n1", "watched": ""}, {"name": "watcher-of-n1", "watched": "n1"},
        {"name": "n3", "watched": ""}, {"name": "watcher-of-n3", "watched": "n3"},
        {"name": "n2", "watched": ""}, {"name": "watcher-of-n2", "watched": "n2"}]


@pytest.mark.parametrize("target", ["latest", "", "20.0"])
def test_a_bad_target_is_refused(target):
    with pytest.raises(AnsibleFilterError, match="manager_version"):
        rup.rolling_upgrade_plan(THREE, target)


RUN = rup.rolling_upgrade_plan(THREE, NEW)
IN_EVERY_LB = {"text": "be_console UP, be_heartbeat UP, be_relay UP", "serving": True}
OUT = {"text": "be_console MAINT, be_heartbeat MAINT, be_relay MAINT", "serving": False}

VERDICTS = [
    ("rolled back and serving",
     {"node": "n3", "step": "upgrade", "failure": "x", "rollback": "restore", "state": state(OLD), "lb": IN_EVERY_LB},
     ["The upgrade of n3 to 20.0.950 failed and the node runs 20.0.913 again (rolled back from its backup), back in every "
      "load balancer", "Upgraded: n1. Not upgraded: n3, n2."], ["NOT"]),
    # The finding: the old runbook said "runs 20.0.913 again, back in the load balancer" about this node.
    ("half-installed, stopped, out of every backend",
     {"node": "n3", "step": "upgrade", "failure": "installer exited 1", "rollback": "",
      "state": state(OLD, "partial", journal={"from": OLD, "to": NEW}), "lb": OUT},
     ["n3 does NOT serve", "It was not rolled back.", "be_console MAINT"], ["runs 20.0.913 again", "back in every"]),
    ("rollback failed",
     {"node": "n3", "step": "upgrade", "failure": "x", "rollback": "failed too: no backup", "state": state(OLD, "stopped"),
      "lb": OUT}, ["The rollback to 20.0.913 failed too: no backup", "does NOT serve"], ["back in every"]),
    ("on the target but the health wait failed",
     {"node": "n3", "step": "register", "failure": "timeout", "rollback": "", "state": state(NEW), "lb": IN_EVERY_LB},
     ["n3 runs 20.0.950 and serves in every load balancer, but a step of its upgrade failed"], []),
    ("unreachable", {"node": "n2", "step": "upgrade", "failure": "the node became unreachable", "state": {}, "lb": {}},
     ["n2 became unreachable during its upgrade (last step: upgrade)", "bring n2 back"], ["runs 20.0.913 again"]),
    ("window closed before the node",
     {"node": "n3", "step": "gate", "failure": "CLOSED", "state": state(OLD), "lb": IN_EVERY_LB},
     ["The change window refused n3 before it was touched: it still runs 20.0.913"], []),
]


@pytest.mark.parametrize("label,stop,says,never", VERDICTS, ids=[v[0] for v in VERDICTS])
def test_the_verdict_says_what_was_read(label, stop, says, never):
    verdict = rup.rolling_upgrade_verdict(stop, RUN)
    for words in says:
        assert words in verdict, verdict
    for words in never:
        assert words not in verdict, verdict


def test_major_halt_gives_both_ways_of_recovery():
    run = rup.rolling_upgrade_plan(THREE, MAJOR)
    verdict = rup.rolling_upgrade_verdict({"node": "n1", "step": "upgrade", "failure": "x", "snapshots": ["pre-1"],
                                           "snapshot_method": "pg_dump", "db_name": "dsm",
                                           "state": state(OLD, "partial", journal={"from": OLD, "to": MAJOR}),
                                           "lb": OUT}, run)
    assert verdict.startswith("HALTED: n1 is not serving 21.0.211")
    assert "pre-1" in verdict and "pg_restore --clean --dbname=dsm" in verdict and "manager_recover_version=20.0.913" in verdict


def test_outcome_reads_each_node_and_counts_a_lost_node_as_behind():
    hosts = [{"inventory_hostname": "n1", "rolling_upgrade_end": {"state": state(NEW)}},
             {"inventory_hostname": "n2"},  # Ansible lost it earlier in the run
             {"inventory_hostname": "n3", "rolling_upgrade_end": {"state": state(OLD)}, "rolling_upgrade_stopped": "stop"}]
    outcome = rup.rolling_upgrade_outcome(hosts, RUN)
    assert outcome["behind"] == ["n2", "n3"] and outcome["stopped"] == ["stop"]
    assert outcome["lines"][1] == "n2: did not answer over its connection"
