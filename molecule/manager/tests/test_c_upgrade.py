"""The patch upgrade to 20.0.913: one node at a time, no secret in a -vvv log, every node back in
the load balancer, then no change."""

from conftest import (ADMIN_PASSWORD, ALL_UP, DB_PASSWORD, LB, LICENSE, NODES, converge, lb_servers, lb_version, main_pid,
                      node, ping_status, scenario_container, status)


def _journal(host) -> list[tuple[float, str]]:
    lines = host.check_output("journalctl -u dsm_s -o short-unix --no-pager").splitlines()
    return [(float(line.split()[0]), line) for line in lines if line[:1].isdigit()]


def test_upgrade_runs_one_node_at_a_time_and_logs_no_secret():
    hosts = {name: node(name) for name in NODES}
    before = {name: main_pid(host) for name, host in hosts.items()}
    output, recap = converge("-vvv", "-e", "manager_version=20.0.913")

    # The run did install (so the secrets were handled), at the highest verbosity (Ansible names the container).
    assert "Manager-Linux-20.0.913.x64.sh" in output and f"<{scenario_container('manager-node-2')}> ESTABLISH" in output
    # Presigned URLs carry credentials: SigV4 (X-Amz-*) or SigV2 (Signature=, AWSAccessKeyId=).
    for secret in (DB_PASSWORD, ADMIN_PASSWORD, LICENSE, "X-Amz-Signature", "X-Amz-Credential", "Signature=", "AWSAccessKeyId="):
        assert secret not in output, f"{secret} is in the -vvv output"
    for name, host in hosts.items():
        assert recap[name]["changed"] > 0
        assert main_pid(host) != before[name]
        assert ping_status(host) == 200
        answer = status(host)
        assert (answer["version"], answer["state"]) == ("20.0.913", "Online"), answer

    # node-1 was upgraded and back Online before node-2 was stopped for its own upgrade.
    first_online = min(t for t, line in _journal(hosts["manager-node-1"])
                       if "-> Online" in line and t > _started(hosts["manager-node-1"]))
    second_stop = max(t for t, line in _journal(hosts["manager-node-2"]) if "Stopping" in line)
    assert first_online < second_stop

    # The run waited for each node to be UP again in every backend: clients reach the new version.
    lb = node(LB)
    assert lb_servers(lb) == ALL_UP
    answers = [lb_version(lb) for _ in range(4)]
    assert {(answer["node"], answer["version"]) for answer in answers} == {(name, "20.0.913") for name in NODES}, answers


def _started(host) -> float:
    """When the 20.0.913 service started on the host."""
    return max(t for t, line in _journal(host) if "manager 20.0.913" in line)


def test_rerun_on_the_new_version_changes_nothing():
    _, recap = converge("-e", "manager_version=20.0.913")
    for name in NODES:
        assert recap[name]["changed"] == 0, recap
