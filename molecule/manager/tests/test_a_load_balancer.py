"""After the converge: what an operator checks on the load balancer in front of the nodes."""

from conftest import ALL_UP, LB_CONSOLE, LB_HEARTBEAT_PORT, LB_RELAY, NODES, lb_servers, lb_version

# docker exec directly: an order of magnitude faster than a module run per check.
testinfra_hosts = ["ansible://manager-lb"]


def test_every_node_is_up_in_the_three_backends(host):
    assert lb_servers(host) == ALL_UP


def test_console_ping_answers_through_the_load_balancer(host):
    code = host.check_output(f"curl -sk -o /dev/null -w '%{{http_code}}' {LB_CONSOLE}/rest/status/manager/ping")
    assert code == "200"


def test_console_is_served_by_every_node(host):
    # Round robin: two requests in a row reach both nodes.
    answers = [lb_version(host) for _ in range(4)]
    assert {answer["node"] for answer in answers} == set(NODES), answers
    assert {(answer["version"], answer["state"]) for answer in answers} == {("20.0.877", "Online")}


def test_heartbeat_answers_through_the_load_balancer(host):
    # TCP pass-through: the TLS handshake is the node's own, the lb only forwards it.
    answers = {
        host.check_output(f"openssl s_client -quiet -connect 127.0.0.1:{LB_HEARTBEAT_PORT} </dev/null 2>/dev/null")
        for _ in range(4)
    }
    assert answers == {f"OK {name} 20.0.877" for name in NODES}


def test_relay_answers_through_the_load_balancer(host):
    answers = {host.check_output(f"curl -sk {LB_RELAY}") for _ in range(4)}
    assert answers == {f"relay {name} 20.0.877" for name in NODES}
