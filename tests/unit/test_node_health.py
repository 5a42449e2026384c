"""Health lines and load-balancer summaries (filter_plugins/node_health.py), and the manager nodes as
backend servers (filter_plugins/manager_backends.py)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from ansible.errors import AnsibleFilterError

FILTERS = Path(__file__).resolve().parents[2] / "filter_plugins"


def load(name):
    spec = importlib.util.spec_from_file_location(name, FILTERS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


health, backends = load("node_health"), load("manager_backends")


@pytest.mark.parametrize("rows,text,serving", [
    ([{"backend": "be_console", "status": "UP"}, {"backend": "be_relay", "status": "UP 1/2"}], "be_console UP, be_relay UP 1/2", True),
    ([{"backend": "be_console", "status": "UP"}, {"backend": "be_relay", "status": "MAINT"}], "be_console UP, be_relay MAINT", False),
    ([{"group": "dsm-console", "port": 4119, "state": "healthy"}, {"group": "dsm-relay", "state": "draining"}],
     "dsm-console healthy, dsm-relay draining", False),
    ([{"elb": "dsm-classic", "in_service": True}], "dsm-classic InService", True),
    # A classic ELB that has the node out of service: not serving, and said so.
    ([{"elb": "dsm-classic", "in_service": True}, {"elb": "dsm-classic-2", "in_service": False}],
     "dsm-classic InService, dsm-classic-2 OutOfService", False),
    ([], "not read", False),
])
def test_lb_membership_summary(rows, text, serving):
    assert health.lb_membership_summary(rows) == {"text": text, "serving": serving}


def test_node_health_lines_say_when_a_node_gave_no_reading():
    hosts = [{"inventory_hostname": "n1", "manager_node": {"summary": "runs 20.0.913 (files 20.0.913)"},
              "lb_membership_status": [{"backend": "be_console", "status": "UP"}]},
             {"inventory_hostname": "n2"}]
    assert health.node_health_lines(hosts) == ["n1: runs 20.0.913 (files 20.0.913) | be_console UP",
                                               "n2: no reading (did not answer) | not read"]


def test_backend_servers_take_the_address_the_node_registers_with():
    hosts = [{"inventory_hostname": "n1", "ansible_facts": {"default_ipv4": {"address": "10.0.0.11"}}},
             {"inventory_hostname": "n2", "manager_address": "10.9.9.9", "ansible_facts": {"default_ipv4": {"address": "10.0.0.12"}}}]
    assert backends.manager_backend_servers(hosts) == [{"name": "n1", "address": "10.0.0.11"},
                                                       {"name": "n2", "address": "10.9.9.9"}]


def test_a_node_without_an_address_is_named():
    with pytest.raises(AnsibleFilterError, match="no address for n3"):
        backends.manager_backend_servers([{"inventory_hostname": "n3", "ansible_facts": {}}])


HEALTHY = {"answers": True, "condition": "serving", "in_rotation": True, "rotation": "be_console UP", "database": True,
           "certificate_ok": True, "certificate_end": "notAfter=Nov 29 00:00:00 2036 GMT"}


@pytest.mark.parametrize("check,problems", [
    (HEALTHY, []),
    (None, ["n1: does not answer"]),
    ({**HEALTHY, "answers": False}, ["n1: does not answer"]),
    ({**HEALTHY, "condition": "stopped"}, ["n1: the manager is stopped, not serving"]),
    ({**HEALTHY, "in_rotation": False, "rotation": "be_console MAINT"}, ["n1: not in rotation (be_console MAINT)"]),
    ({**HEALTHY, "database": False}, ["n1: the database does not answer"]),
    ({**HEALTHY, "certificate_ok": False, "certificate_end": "notAfter=Dec  1 00:00:00 2026 GMT"},
     ["n1: the certificate expires within 30 days (notAfter=Dec  1 00:00:00 2026 GMT)"]),
    ({**HEALTHY, "condition": "unhealthy", "database": False},
     ["n1: the manager is unhealthy, not serving", "n1: the database does not answer"]),
])
def test_health_problems_name_the_node_and_what_is_wrong(check, problems):
    host = {"inventory_hostname": "n1"} if check is None else {"inventory_hostname": "n1", "health_check": check}
    assert health.health_problems([host]) == problems
