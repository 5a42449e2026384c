"""Runs that must change nothing: the window closed, a plan-only run, check mode."""

from conftest import (ALL_UP, LB, NEXT_OPENING, NODES, audit, audit_mark, calendars_closed, dumps, lb_servers, main_pids,
                      node, upgrade, versions)


def test_closed_window_refuses_and_changes_nothing():
    pids, mark = main_pids(), audit_mark()
    output, recap = upgrade(*calendars_closed("-e", "manager_version=20.0.913"), expect_failure=True)

    assert "nightly-window" in output and NEXT_OPENING in output, output[-3000:]
    assert all(recap[name]["changed"] == 0 for name in NODES), recap
    assert main_pids() == pids and set(versions().values()) == {"20.0.877"}
    assert dumps() == [], "a snapshot was taken although the window is closed"
    assert lb_servers(node(LB)) == ALL_UP
    gates = [r for r in audit(mark) if r["step"] == "gate"]
    assert [r["decision"] for r in gates] == ["closed"], gates


def test_plan_only_prints_the_ordered_plan_and_changes_nothing():
    pids = main_pids()
    output, recap = upgrade("-e", "manager_version=20.0.913", "-e", "plan_only=true")

    plan = output[output.index("Rolling upgrade 20.0.877 -> 20.0.913"):]
    assert "patch, no schema change" in plan
    # Batches by AZ in plan order: lab-a (node-1, node-3), then lab-b (node-2).
    positions = [plan.index(f"batch {az}: {name}") for az, name in
                 (("lab-a", "rolling-node-1"), ("lab-a", "rolling-node-3"), ("lab-b", "rolling-node-2"))]
    assert positions == sorted(positions), plan[:2000]
    assert "expected 6 min" in plan
    assert all(recap[name]["changed"] == 0 for name in NODES), recap
    assert main_pids() == pids and dumps() == []


def test_check_mode_prints_the_plan_and_changes_nothing():
    pids = main_pids()
    output, recap = upgrade("-e", "manager_version=21.0.211", "--check")

    assert "(major, schema migration)" in output
    assert "rolling-node-1 20.0.877 -> 21.0.211: drain, upgrade (migrates the database schema" in output
    assert all(recap[name]["changed"] == 0 for name in NODES), recap
    assert main_pids() == pids and dumps() == []
