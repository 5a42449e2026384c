"""Unit tests for roles/aws_security_groups/filter_plugins/aws_security_groups.py (table-driven)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

PLUGIN = (Path(__file__).resolve().parents[2] / "roles" / "aws_security_groups" / "filter_plugins"
          / "aws_security_groups.py")
_spec = importlib.util.spec_from_file_location("aws_security_groups_filters", PLUGIN)
assert _spec is not None and _spec.loader is not None
sg = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(sg)

SSH_ADVICE = (" (the whole internet or close to it). List only the bastion or office networks, such as 198.51.100.0/24"
              " (prefix /8 or longer), or leave aws_security_groups_admin_cidrs empty for no SSH at all.")


@pytest.mark.parametrize("clients, admins, problems", [
    (["0.0.0.0/0"], [], []),
    (["198.51.100.0/24", "203.0.113.0/24"], ["10.0.0.0/8", "198.51.100.7/32"], []),
    # The nodes are never open to the internet over SSH; clients may be.
    (["0.0.0.0/0"], ["0.0.0.0/0"], ["aws_security_groups_admin_cidrs[0]: 0.0.0.0/0 would open SSH to the nodes to a /0"
                                    + SSH_ADVICE]),
    ([], ["1.2.3.4/7"], ["aws_security_groups_admin_cidrs[0]: 1.2.3.4/7 would open SSH to the nodes to a /7"
                         + SSH_ADVICE]),
    (["198.51.100.0"], [], ["aws_security_groups_client_cidrs[0]: '198.51.100.0' is not an IPv4 CIDR such as"
                            " 198.51.100.0/24 (the VPC is IPv4 only)."]),
    (["2001:db8::/32"], [], ["aws_security_groups_client_cidrs[0]: '2001:db8::/32' is not an IPv4 CIDR such as"
                             " 198.51.100.0/24 (the VPC is IPv4 only)."]),
    ([], [None], ["aws_security_groups_admin_cidrs[0]: 'None' is not an IPv4 CIDR such as 198.51.100.0/24"
                  " (the VPC is IPv4 only)."]),
    (["198.51.100.0/40"], [], ["aws_security_groups_client_cidrs[0]: '198.51.100.0/40' is not an IPv4 CIDR"
                               " (octets 0-255, prefix 0-32)."]),
    (["198.51.100.7/24"], ["10.1.2.3/8"],
     ["aws_security_groups_client_cidrs[0]: 198.51.100.7/24 has host bits set; write it as 198.51.100.0/24.",
      "aws_security_groups_admin_cidrs[0]: 10.1.2.3/8 has host bits set; write it as 10.0.0.0/8."]),
])
def test_every_cidr_problem_names_the_variable_and_the_fix(clients, admins, problems):
    assert sg.aws_security_groups_cidr_problems(clients, admins) == problems
