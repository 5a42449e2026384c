"""Runs that must change nothing - the window closed, a plan-only run, check mode, a misspelt or a
malformed input, an upgrade to the version that runs - each refused or answered before anything
changes, and recorded in the audit log; and the service's own supervision on a converged node."""

import json
import textwrap
import time

from conftest import (ALL_UP, DB, LB, NEXT_OPENING, NODES, audit, audit_mark, calendars_closed, dumps, lb_servers, main_pid,
                      main_pids, node, ping_status, playbook, site, upgrade, versions, wait_until)


def test_closed_window_refuses_and_changes_nothing():
    pids, mark = main_pids(), audit_mark()
    output, recap = upgrade(*calendars_closed("-e", "manager_version=20.0.913"), expect_failure=True)

    assert "nightly-window" in output and NEXT_OPENING in output, output[-3000:]
    assert all(recap[name]["changed"] == 0 for name in NODES), recap
    assert main_pids() == pids and set(versions().values()) == {"20.0.877"}
    assert dumps() == [], "a snapshot was taken although the window is closed"
    assert lb_servers(node(LB)) == ALL_UP
    records = audit(mark)
    assert [r["decision"] for r in records if r["step"] == "gate"] == ["closed"], records
    # The refused run is recorded as refused, and its plan never as started.
    assert [(r["step"], r["result"]) for r in records if r["step"] != "gate"] == [("run", "refused")], records


def test_plan_only_prints_the_ordered_plan_and_changes_nothing():
    pids, mark = main_pids(), audit_mark()
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
    assert [(r["step"], r["result"]) for r in audit(mark) if r["step"] == "plan"] == [("plan", "planned")]


def test_check_mode_prints_the_plan_and_changes_nothing():
    pids = main_pids()
    output, recap = upgrade("-e", "manager_version=21.0.211", "--check")

    assert "(major, schema migration)" in output
    assert "rolling-node-1 20.0.877 -> 21.0.211: drain, upgrade (migrates the database schema" in output
    assert all(recap[name]["changed"] == 0 for name in NODES), recap
    assert main_pids() == pids and dumps() == []


def test_a_misspelt_variable_is_refused_naming_the_right_one():
    """-e manager_verison=... used to run with the inventory's version, change nothing, and audit "done"."""
    pids, mark = main_pids(), audit_mark()
    output, recap = upgrade("-e", "manager_verison=20.0.913", expect_failure=True)

    assert "Unknown variable(s) given with -e: manager_verison (did you mean manager_version?)" in output
    assert set(recap) == {"localhost"}, "a node was touched before the inputs were checked"
    assert main_pids() == pids
    assert [(r["step"], r["result"]) for r in audit(mark)] == [("inputs", "refused")]


def test_an_upgrade_that_changes_nothing_says_so_and_audits_a_no_op():
    pids, mark = main_pids(), audit_mark()
    output, recap = upgrade("-e", "manager_version=20.0.877")

    assert "Every node already runs manager 20.0.877: nothing to do." in output
    assert all(recap[name]["changed"] == 0 for name in NODES), recap
    assert main_pids() == pids and dumps() == []
    plan = [r for r in audit(mark) if r["step"] == "plan"]
    assert [r["result"] for r in plan] == ["no-op"], plan
    assert not [r for r in audit(mark) if r["step"] == "run" and r["result"] == "done"]


def test_a_malformed_calendar_is_refused_and_audited():
    mark = audit_mark()
    broken = [{"name": "broken", "type": "DEFAULT_SOMETIMES", "events": []}]
    output, _ = upgrade("-e", json.dumps({"change_window_calendars": broken}), "-e", "manager_version=20.0.913",
                        expect_failure=True)

    assert "broken" in output and "DEFAULT_SOMETIMES" in output
    records = audit(mark)
    assert [r["decision"] for r in records if r["step"] == "gate"] == ["error"], records
    assert ("run", "refused") in [(r["step"], r["result"]) for r in records]
    assert not [r for r in records if r["step"] == "plan"], "a refused run recorded a plan"


def test_site_refuses_a_closed_window_before_it_touches_a_node():
    pids, mark = main_pids(), audit_mark()
    output, recap = site(*calendars_closed(), expect_failure=True)
    assert "nightly-window" in output and NEXT_OPENING in output
    assert set(recap) == {"localhost"}, "a node was touched although the window is closed"
    assert main_pids() == pids
    assert [r["decision"] for r in audit(mark) if r["step"] == "gate"] == ["closed"]


def test_site_checks_every_input_before_its_first_change():
    """A wrong manager variable used to be refused only after the baseline, PostgreSQL and HAProxy
    plays had run: on a drifted estate they changed things first."""
    db = node(DB)
    db.check_output("timedatectl set-timezone Europe/Berlin")  # drift the baseline would correct
    try:
        output, recap = site("-e", "manager_db_secret_id=molecule-rolling/absent", expect_failure=True)
        assert "Secrets Manager secret molecule-rolling/absent (manager_db_secret_id) could not be read" in output
        assert db.check_output("timedatectl show --property Timezone --value") == "Europe/Berlin", \
            "the baseline ran before the manager's inputs were checked"
        assert all(counts["changed"] == 0 for counts in recap.values()), recap
    finally:
        db.check_output("timedatectl set-timezone Etc/UTC")


def test_a_killed_service_comes_back_by_itself():
    """SIGTERM used to be a clean exit to systemd (SuccessExitStatus=143): dsm_s stayed down."""
    host = node(NODES[2])
    before = main_pid(host)
    host.check_output(f"kill -TERM {before}")
    # Bounds for a busy 2-core machine (a JVM start took over 30 s there): the point is that it comes back.
    wait_until(lambda: main_pid(host) not in (0, before) and ping_status(host) == 200, 120,
             "dsm_s to come back and answer its ping after SIGTERM")
    wait_until(lambda: lb_servers(node(LB)) == ALL_UP, 60, "every node UP in every backend")


def test_a_readiness_wait_on_a_dead_service_fails_at_once(tmp_path):
    """The wait used to sit out manager_ready_timeout (600 s) on a service that would never start."""
    host = node(NODES[2])
    probe = tmp_path / "ready.yml"
    probe.write_text(textwrap.dedent(f"""\
        - hosts: {NODES[2]}
          become: true
          gather_facts: false
          tasks:
            - ansible.builtin.include_role:
                name: manager
                tasks_from: ready
              vars:
                manager_version: "20.0.877"
                manager_ready_timeout: 600
        """))
    host.check_output("systemctl stop dsm_s")
    try:
        started = time.monotonic()
        output, _ = playbook(str(probe), expect_failure=True)
        took = time.monotonic() - started
    finally:
        host.check_output("systemctl start dsm_s")
    assert "the service is not running and will not start by itself" in output, output[-3000:]
    assert took < 60, f"the wait took {took:.0f} s on a stopped service"
    wait_until(lambda: ping_status(host) == 200, 60, "dsm_s to answer its ping again")
    wait_until(lambda: lb_servers(node(LB)) == ALL_UP, 30, "every node UP in every backend")
