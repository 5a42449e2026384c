"""playbooks/health.yml, the hourly "is the estate healthy?" page, on the converged estate: it says so when every
node serves, and when one does not it fails naming that node, so the scheduled run notifies."""

from conftest import ALL_UP, LB, lb_servers, node, ping_status, playbook, wait_until


def test_a_healthy_estate_is_reported_healthy():
    output, recap = playbook("playbooks/health.yml")
    assert "healthy: rolling-node-1, rolling-node-2, rolling-node-3" in output, output[-3000:]
    assert all(counts["failed"] == 0 for counts in recap.values()), recap


def test_a_stopped_manager_fails_the_check_naming_the_node():
    host = node("rolling-node-2")
    host.check_output("systemctl stop dsm_s")
    try:
        output, _ = playbook("playbooks/health.yml", expect_failure=True)
    finally:
        host.check_output("systemctl start dsm_s")
    verdict = output.split("TASK [The estate is healthy]", 1)[1].split("PLAY RECAP", 1)[0]
    assert "rolling-node-2: the manager is stopped, not serving" in verdict, verdict
    assert "rolling-node-2: not in rotation" in verdict, verdict
    assert "rolling-node-1" not in verdict and "rolling-node-3" not in verdict, verdict
    wait_until(lambda: ping_status(host) == 200, 60, "dsm_s to answer its ping again")
    wait_until(lambda: lb_servers(node(LB)) == ALL_UP, 60, "every node UP in every backend")
