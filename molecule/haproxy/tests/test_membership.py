"""lb_membership against the lb's runtime API, as a rolling runbook uses it: take a node out
gracefully, keep it out across reloads, bring it back, and say why when a wait times out."""

import os

import testinfra.utils.ansible_runner

from conftest import BACKENDS, LB, actions, scenario_node, wait_until

testinfra_hosts = testinfra.utils.ansible_runner.AnsibleRunner(
    os.environ["MOLECULE_INVENTORY_FILE"]
).get_hosts("load_balancers")

NODE1, NODE2 = "haproxy-node-1", "haproxy-node-2"
ALL_UP = dict.fromkeys(BACKENDS, "UP")
ALL_MAINT = dict.fromkeys(BACKENDS, "MAINT")


def console_answers(lb, times=4):
    return {lb.check_output("curl -sk https://127.0.0.1:443/rest/status/manager/ping") for _ in range(times)}


def flow_banner(lb, port):
    return lb.check_output(
        f"python3 -c 'import socket; print(socket.create_connection((\"127.0.0.1\", {port}), 5).recv(100).decode())'"
    )


def test_deregister_takes_the_node_out_of_every_flow(all_nodes_in_service, membership, runtime, lb):
    # Check mode reports the change and makes none.
    _, recap = membership("--limit", NODE1, *actions("deregister"), "--check")
    assert recap[NODE1]["changed"] > 0
    assert runtime.status(NODE1) == ALL_UP

    _, recap = membership("--limit", NODE1, *actions("deregister"))
    assert recap[NODE1]["changed"] > 0
    assert runtime.status(NODE1) == ALL_MAINT
    assert runtime.status(NODE2) == ALL_UP
    # Clients keep being served, by the other node only.
    assert console_answers(lb) == {f"online {NODE2}"}
    assert flow_banner(lb, 4120) == f"heartbeat {NODE2}"
    assert flow_banner(lb, 4122) == f"relay {NODE2}"

    _, recap = membership("--limit", NODE1, *actions("deregister"))
    assert recap[NODE1]["changed"] == 0


def test_register_brings_the_node_back(all_nodes_in_service, membership, runtime, lb):
    membership("--limit", NODE1, *actions("deregister"))
    # A node held out never turns healthy: wait_healthy says so at once instead of timing out.
    output, _ = membership("--limit", NODE1, *actions("wait_healthy"), expect_failure=True)
    assert "register it first" in output

    _, recap = membership("--limit", NODE1, *actions("register", "wait_healthy"))
    assert recap[NODE1]["changed"] > 0
    assert runtime.status(NODE1) == ALL_UP
    assert console_answers(lb) == {f"online {NODE1}", f"online {NODE2}"}

    _, recap = membership("--limit", NODE1, *actions("register"))
    assert recap[NODE1]["changed"] == 0


def test_drained_servers_stay_drained_across_reloads(all_nodes_in_service, membership, converge, runtime, lb):
    # A re-run that changes nothing does not reload at all (the idempotence step shows no change).
    membership("--limit", NODE1, *actions("deregister"))
    runtime.command(f"set server be_relay/{NODE2} state drain")  # an operator's own change
    expected = {NODE1: ALL_MAINT, NODE2: {**ALL_UP, "be_relay": "DRAIN"}}
    config = lb.file("/etc/haproxy/haproxy.cfg")
    # Any value but the current one, so the test can run again on the same instances.
    timeout = "12s" if "timeout http-request 11s" in config.content_string else "11s"
    change = ("--limit", LB, "--tags", "haproxy-config", "-e", f"haproxy_timeout_http_request={timeout}")
    try:
        lb.check_output("systemctl reload haproxy")
        assert {node: runtime.status(node) for node in expected} == expected

        # Check mode reports the config change and neither writes nor reloads.
        worker = runtime.command("show info").split("Pid: ")[1].split()[0]
        _, recap = converge(*change, "--check")
        assert recap[LB]["changed"] > 0
        assert f"timeout http-request {timeout}" not in config.content_string
        assert runtime.command("show info").split("Pid: ")[1].split()[0] == worker

        # A config change reloads through the role's handler; the new process loads the saved state.
        _, recap = converge(*change)
        assert recap[LB]["changed"] > 0
        assert f"timeout http-request {timeout}" in config.content_string
        assert runtime.command("show info").split("Pid: ")[1].split()[0] != worker
        assert {node: runtime.status(node) for node in expected} == expected
    finally:
        runtime.command(f"set server be_relay/{NODE2} state ready")


def test_drain_waits_for_open_connections_and_names_them(all_nodes_in_service, membership, runtime, lb):
    # Four relay connections held open from the lb: round robin gives node-1 two of them.
    lb.check_output(
        "nohup python3 -c 'import os, socket, time\n"
        "open(\"/tmp/held.pid\", \"w\").write(str(os.getpid()))\n"
        "held = [socket.create_connection((\"127.0.0.1\", 4122), 5) for _ in range(4)]\n"
        "open(\"/tmp/held\", \"w\").write(\"\".join(s.recv(100).decode() for s in held))\n"
        "time.sleep(120)' >/dev/null 2>&1 &"
    )
    try:
        wait_until(lambda: lb.file("/tmp/held").exists and f"relay {NODE1}" in lb.file("/tmp/held").content_string,
                   20, f"the held relay connection to reach {NODE1}")

        output, _ = membership(
            "--limit", NODE1, *actions("deregister"), "-e", "lb_membership_drain_timeout=3", expect_failure=True
        )
        assert "still has connections after 3 s" in output
        assert f"{LB}/be_relay: 2 sessions" in output
        # Left drained (no new connections), not in maintenance: the runbook decides what next.
        assert runtime.status(NODE1)["be_relay"] == "DRAIN"

        _, recap = membership(
            "--limit", NODE1, *actions("deregister"),
            "-e", "lb_membership_drain_timeout=2", "-e", "lb_membership_drain_timeout_fatal=false",
        )
        assert recap[NODE1]["changed"] > 0
        assert runtime.status(NODE1) == ALL_MAINT
        # Maintenance stops new connections; the open ones are not cut.
        assert runtime.servers()[("be_relay", NODE1)]["scur"] == "2"
    finally:
        lb.run("kill $(cat /tmp/held.pid); rm -f /tmp/held /tmp/held.pid")


def test_wait_healthy_names_the_failing_check(all_nodes_in_service, membership, runtime):
    node1 = scenario_node(NODE1)
    node1.check_output("systemctl stop standin-manager")
    try:
        wait_until(lambda: runtime.status(NODE1)["be_console"].startswith("DOWN"), 20, f"{NODE1} DOWN in be_console")
        output, _ = membership(
            "--limit", NODE1, *actions("wait_healthy"), "-e", "lb_membership_healthy_timeout=2", expect_failure=True
        )
        assert "is not UP in every backend after 2 s" in output
        assert f"{LB}/be_console: DOWN" in output
        assert "Connection refused" in output
    finally:
        node1.check_output("systemctl start standin-manager")
    membership("--limit", NODE1, *actions("wait_healthy"))
    assert runtime.status(NODE1) == ALL_UP
