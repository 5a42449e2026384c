"""Defaults that two roles must share, because they name the same thing."""

import json
from pathlib import Path

import pytest
import yaml

from lab.harness.ansible_run import run_playbook

ROLES = Path(__file__).resolve().parents[2] / "roles"


def defaults(role: str) -> dict:
    return yaml.safe_load((ROLES / role / "defaults" / "main.yml").read_text())


def test_the_audit_log_shipped_and_rated_is_the_one_the_change_window_writes():
    """ship_audit uploads, and the change-management controls read, the file change_window appends to: the one an
    inventory names with change_window_audit_log, else the same default, wherever $OPS_AUDIT_LOG moves it."""
    written = defaults("change_window")["change_window_audit_log"]
    assert "OPS_AUDIT_LOG" in written and written.startswith("{{ ") and written.endswith(" }}")
    follows = "{{ change_window_audit_log | default(" + written[3:-3] + ") }}"
    assert defaults("aws_logging")["aws_logging_audit_log"] == follows
    assert defaults("compliance")["compliance_audit_log"] == follows


SECURE_LOGGING = sorted((path.parts[-3], name) for path in ROLES.glob("*/defaults/main.yml")
                        for name in (yaml.safe_load(path.read_text()) or {}) if name.endswith("_secure_logging"))


def test_roles_hide_secrets_at_all():
    assert len(SECURE_LOGGING) >= 4


@pytest.mark.parametrize("role, name", SECURE_LOGGING)
def test_every_secure_logging_switch_follows_the_suites(role, name):
    """One switch for the suite (ops_secure_logging, run_inputs) turns every role's on or off; on when unset."""
    assert defaults(role)[name] == "{{ ops_secure_logging | default(true) }}"


# The service's facts (roles/dsm) and the role variables that must follow each of them.
SHARED = {
    "dsm_client_port": ["aws_load_balancers_listener_port", "aws_security_groups_lb_port", "haproxy_console_port",
                        "aws_dns_health_check_port"],
    "dsm_console_port": ["manager_port", "aws_load_balancers_console_port", "aws_security_groups_console_port",
                         "haproxy_backend_console_port"],
    "dsm_heartbeat_port": ["manager_heartbeat_port", "aws_load_balancers_heartbeat_port",
                           "aws_security_groups_heartbeat_port", "haproxy_heartbeat_port", "haproxy_backend_heartbeat_port"],
    "dsm_relay_port": ["aws_load_balancers_relay_port", "aws_security_groups_relay_port", "haproxy_relay_port",
                       "haproxy_backend_relay_port"],
    "dsm_deregistration_delay": ["aws_load_balancers_deregistration_delay"],
    "dsm_drain_timeout": ["lb_membership_drain_timeout"],
}
READERS = ["aws_dns", "aws_load_balancers", "aws_security_groups", "haproxy", "lb_membership", "manager"]
# The suite's values, and an estate's own: 8443 rather than 443 and so on, a 120 s delay.
OWN = {"dsm_client_port": 8443, "dsm_console_port": 14119, "dsm_heartbeat_port": 14120, "dsm_relay_port": 14122,
       "dsm_deregistration_delay": 120}


@pytest.mark.parametrize("given, expected", [
    ({}, {"dsm_client_port": 443, "dsm_console_port": 4119, "dsm_heartbeat_port": 4120, "dsm_relay_port": 4122,
          "dsm_deregistration_delay": 300, "dsm_drain_timeout": 330}),
    (OWN, {**OWN, "dsm_drain_timeout": 150}),  # the drain wait follows the delay: + 30 s
], ids=["suite defaults", "set once in the inventory"])
def test_the_services_ports_and_drain_timings_are_set_once_for_every_role(tmp_path, given, expected):
    """One inventory value moves every role that names the same port or timing: each role loads roles/dsm
    (meta dependencies) and defaults to it. Run for real, one play per role so that no other role's defaults stand
    in: with no value given, a role that forgets the dependency fails here."""
    plays = []
    for role in READERS:
        names = [name for followers in SHARED.values() for name in followers if name.startswith(f"{role}_")]
        plays.append(
            f"- hosts: localhost\n  connection: local\n  gather_facts: false\n  roles:\n    - {{role: {role}, when: false}}\n"
            f"  tasks:\n    - ansible.builtin.copy:\n        dest: {tmp_path}/{role}.json\n"
            "        content: \"{{ {" + ", ".join(f"'{n}': {n}" for n in names) + "} | to_json }}\"\n")
    play = tmp_path / "play.yml"
    play.write_text("".join(plays))
    run_playbook(play, "-e", json.dumps(given))
    values = {name: int(value) for role in READERS for name, value in json.loads((tmp_path / f"{role}.json").read_text()).items()}
    assert values == {name: expected[shared] for shared, followers in SHARED.items() for name in followers}


def test_no_role_but_dsm_writes_the_services_values_itself():
    for role in READERS:
        written = defaults(role)
        for shared, followers in SHARED.items():
            for name in followers:
                if name in written:
                    assert written[name] == "{{ %s }}" % shared, f"{role}: {name} is {written[name]!r}"


def test_the_schedulers_engine_is_pinned_like_the_controller():
    """The ops host's engine runs the same playbooks as the controller: each pin is requirements.txt's."""
    pins = dict(line.split("==", 1) for line in (ROLES.parent / "requirements.txt").read_text().split()
                if "==" in line and not line.startswith("#"))
    scheduler = defaults("scheduler")
    packages = [*scheduler["scheduler_python_packages"], *scheduler["scheduler_collections_packages"],
                *scheduler["scheduler_run_records_packages"]]
    assert len(packages) > 10
    for package in packages:
        name, version = package.split("==", 1)
        assert pins.get(name) == version, f"scheduler pins {package}, requirements.txt {name}=={pins.get(name)}"
