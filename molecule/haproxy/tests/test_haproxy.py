"""What an operator checks on the load balancer: service, config, the three flows, health."""

import os

import testinfra.utils.ansible_runner

from lab.harness.lab_nodes import lb_servers, lb_stat  # the checkout's root is on the path (conftest.py)

testinfra_hosts = testinfra.utils.ansible_runner.AnsibleRunner(
    os.environ["MOLECULE_INVENTORY_FILE"]
).get_hosts("load_balancers")

BACKENDS = ("be_console", "be_heartbeat", "be_relay")
NODES = ("haproxy-node-1", "haproxy-node-2")


def test_haproxy_runs_and_starts_at_boot(host):
    service = host.service("haproxy")
    assert service.is_running
    assert service.is_enabled


def test_config_is_valid(host):
    assert host.run("haproxy -c -q -f /etc/haproxy/haproxy.cfg").rc == 0


def test_console_answers_through_tls_offload(host):
    out = host.check_output(
        "curl -sk -w ' %{http_code}' https://127.0.0.1:443/rest/status/manager/ping"
    )
    assert out.startswith("online haproxy-node-") and out.endswith(" 200")
    # The client sees the load balancer's certificate, not a node's: TLS ends here.
    subject = host.check_output(
        "echo | openssl s_client -connect 127.0.0.1:443 2>/dev/null | openssl x509 -noout -subject"
    )
    assert "haproxy-lb" in subject


def test_console_is_balanced_over_both_nodes(host):
    answers = {
        host.check_output("curl -sk https://127.0.0.1:443/rest/status/manager/ping") for _ in range(4)
    }
    assert answers == {f"online {node}" for node in NODES}


def test_heartbeat_and_relay_are_tcp_pass_through(host):
    # The stand-in answers in clear text on 4120/4122: no TLS at the load balancer for these flows.
    for port, flow in ((4120, "heartbeat"), (4122, "relay")):
        banner = host.check_output(
            f"python3 -c 'import socket; print(socket.create_connection((\"127.0.0.1\", {port}), 5).recv(100).decode())'"
        )
        assert banner.startswith(f"{flow} haproxy-node-")


def test_every_server_is_up_in_the_three_backends(host):
    assert lb_servers(host) == {(backend, node): "UP" for backend in BACKENDS for node in NODES}


def test_health_checks_use_the_lab_cadence(host):
    rows = list(lb_stat(host).values())
    assert {(row["check_rise"], row["check_fall"]) for row in rows} == {("2", "2")}
    # Every flow checks the console's ping, so a node leaves the three flows together.
    # "* " marks a check in progress.
    assert {row["check_status"].lstrip("* ") for row in rows} == {"L7OK"}
    assert "inter 2s" in host.file("/etc/haproxy/haproxy.cfg").content_string
