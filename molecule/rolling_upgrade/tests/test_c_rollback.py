"""A node that fails its health check after the upgrade: the run halts, that node is rolled back and
serves again, the others keep serving; the re-run continues with the nodes not upgraded."""

from conftest import (ALL_UP, FAULT_FILE, LB, NODES, audit, audit_mark, console_load, lb_servers, main_pids, node,
                      pinned_version, upgrade, versions)

FAILING = NODES[1]  # second in the plan: one node already upgraded, one not yet touched


def test_unhealthy_node_is_rolled_back_and_the_run_halts():
    node(FAILING).check_output(f"mkdir -p /etc/dsm-lab && echo 20.0.950 > {FAULT_FILE}")
    pids, mark = main_pids(), audit_mark()
    with console_load() as load:
        output, _ = upgrade("-e", "manager_version=20.0.950", expect_failure=True)
    report = load.report

    assert versions() == {NODES[0]: "20.0.950", FAILING: "20.0.913", NODES[2]: "20.0.913"}
    assert main_pids()[NODES[2]] == pids[NODES[2]], "the node after the failing one was touched"
    assert node(FAILING).service("dsm_s").is_running
    assert lb_servers(node(LB)) == ALL_UP, "membership not restored"
    assert pinned_version() == "20.0.913", "re-pinned although not every node runs 20.0.950"
    assert report.failed == [], (report.failed[:10], report.slowest())
    stop = output[output.find("Run stopped on a node"):][:6000]
    assert (f"The upgrade of {FAILING} to 20.0.950 failed and the node runs 20.0.913 again (rolled back from its backup), "
            "back in every load balancer") in stop, output[-6000:]
    # What was read on the node after the rollback, as the verdict says it.
    assert f"{FAILING} now: runs 20.0.913 (files 20.0.913), dsm_s active, ping 200 Online" in stop
    assert "be_console UP, be_heartbeat UP, be_relay UP" in stop
    assert "it continues with the nodes not on 20.0.950" in output
    assert node(FAILING).file("/opt/dsm.failed/version").content_string.strip() == "20.0.950"
    results = [(r["host"], r["step"], r["result"]) for r in audit(mark) if r["step"] in ("node", "rollback", "run")]
    assert results == [(NODES[0], "node", "started"), (NODES[0], "node", "ok"), (FAILING, "node", "started"),
                       (FAILING, "node", "failed"), (FAILING, "rollback", "rolled-back"), (NODES[0], "run", "failed")]


def test_rerun_continues_with_the_nodes_not_upgraded_in_the_first_runs_order():
    node(FAILING).check_output(f"rm -f {FAULT_FILE}")
    pids, mark = main_pids(), audit_mark()
    output, recap = upgrade("-e", "manager_version=20.0.950")

    # The plan's order (lab-a before lab-b), not one worked out again from the nodes that remain.
    started = [r["host"] for r in audit(mark) if (r["step"], r["result"]) == ("node", "started")]
    assert started == [FAILING, NODES[2]], started
    assert versions() == {name: "20.0.950" for name in NODES}
    assert main_pids()[NODES[0]] == pids[NODES[0]], "the node already upgraded was touched again"
    assert f"Already on 20.0.950 (untouched): {NODES[0]}" in output
    assert lb_servers(node(LB)) == ALL_UP
    assert pinned_version() == "20.0.950"
