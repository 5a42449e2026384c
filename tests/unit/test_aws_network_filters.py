"""Unit tests for roles/aws_network/filter_plugins/aws_network.py (table-driven)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

PLUGIN = Path(__file__).resolve().parents[2] / "roles" / "aws_network" / "filter_plugins" / "aws_network.py"
_spec = importlib.util.spec_from_file_location("aws_network_filters", PLUGIN)
assert _spec is not None and _spec.loader is not None
net = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(net)

PUBLIC = ["10.40.0.0/24", "10.40.1.0/24"]
PRIVATE = ["10.40.10.0/24", "10.40.11.0/24"]


@pytest.mark.parametrize("vpc, public, private, problems", [
    ("10.40.0.0/16", PUBLIC, PRIVATE, []),
    ("10.40.0.0/16", ["10.40.0.0/28"], ["10.40.255.0/24"], []),
    ("10.40.0.0", PUBLIC, PRIVATE, ["aws_network_cidr: '10.40.0.0' is not an IPv4 CIDR such as 10.40.0.0/16."]),
    ("10.40.0.0/16", [None], PRIVATE, ["aws_network_public_subnet_cidrs[0]: 'None' is not an IPv4 CIDR such as"
                                       " 10.40.0.0/16."]),
    ("10.40.0.0/16", PUBLIC, ["300.40.10.0/24"],
     ["aws_network_private_subnet_cidrs[0]: '300.40.10.0/24' is not an IPv4 CIDR (octets 0-255, prefix 0-32)."]),
    ("10.40.0.0/33", [], [], ["aws_network_cidr: '10.40.0.0/33' is not an IPv4 CIDR (octets 0-255, prefix 0-32)."]),
    ("10.40.0.1/16", [], [], ["aws_network_cidr: 10.40.0.1/16 has host bits set; write it as 10.40.0.0/16."]),
    ("10.40.0.0/16", ["10.40.1.7/24"], [], ["aws_network_public_subnet_cidrs[0]: 10.40.1.7/24 has host bits set;"
                                            " write it as 10.40.1.0/24."]),
    ("10.0.0.0/8", [], [], ["aws_network_cidr: 10.0.0.0/8 is a /8; AWS allows /16 to /28 for VPCs and subnets."]),
    ("10.40.0.0/16", ["10.40.0.0/29"], [], ["aws_network_public_subnet_cidrs[0]: 10.40.0.0/29 is a /29; AWS allows"
                                            " /16 to /28 for VPCs and subnets."]),
    ("10.40.0.0/16", ["10.41.0.0/24"], [], ["aws_network_public_subnet_cidrs[0]: 10.41.0.0/24 is not inside"
                                            " aws_network_cidr 10.40.0.0/16."]),
    ("10.40.0.0/16", ["10.40.0.0/23"], ["10.40.1.0/24"],
     ["aws_network_public_subnet_cidrs[0] (10.40.0.0/23) overlaps aws_network_private_subnet_cidrs[0]"
      " (10.40.1.0/24); give every subnet its own range."]),
    # A VPC that is not valid: the subnets are still checked against each other, not against it.
    ("10.40.0.1/16", ["10.41.0.0/24", "10.41.0.0/24"], [],
     ["aws_network_cidr: 10.40.0.1/16 has host bits set; write it as 10.40.0.0/16.",
      "aws_network_public_subnet_cidrs[0] (10.41.0.0/24) overlaps aws_network_public_subnet_cidrs[1] (10.41.0.0/24);"
      " give every subnet its own range."]),
    # Each variable's own problems first, then containment and overlaps.
    ("10.40.0.0/16", ["10.41.0.0/24", "bad"], ["10.41.0.0/24"],
     ["aws_network_public_subnet_cidrs[1]: 'bad' is not an IPv4 CIDR such as 10.40.0.0/16.",
      "aws_network_public_subnet_cidrs[0]: 10.41.0.0/24 is not inside aws_network_cidr 10.40.0.0/16.",
      "aws_network_public_subnet_cidrs[0] (10.41.0.0/24) overlaps aws_network_private_subnet_cidrs[0] (10.41.0.0/24);"
      " give every subnet its own range.",
      "aws_network_private_subnet_cidrs[0]: 10.41.0.0/24 is not inside aws_network_cidr 10.40.0.0/16."]),
])
def test_every_cidr_problem_names_the_variable_and_the_fix(vpc, public, private, problems):
    assert net.aws_network_cidr_problems(vpc, public, private) == problems
