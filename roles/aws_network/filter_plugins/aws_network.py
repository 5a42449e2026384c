# -*- coding: utf-8 -*-
"""The estate's VPC and subnet CIDRs, checked in one place."""

from __future__ import annotations

DOCUMENTATION = r"""
name: aws_network_cidr_problems
short_description: Every problem of the VPC and subnet CIDRs, one message each
description:
  - Checks C(aws_network_cidr), C(aws_network_public_subnet_cidrs) and C(aws_network_private_subnet_cidrs) as AWS
    takes them, with Python's C(ipaddress), and returns one message per problem, naming the variable (and the item
    index) and the fix. An empty list means all is well; C(tasks/validate.yml) asserts it is empty.
  - Each CIDR must be written C(a.b.c.d/n) (octets 0-255 without leading zeros, prefix 0-32), with no host bits set,
    and be a /16 to /28, the sizes AWS allows for VPCs and subnets.
  - Every subnet must lie inside the VPC, and no two subnets may overlap.
positional: _input, public_cidrs, private_cidrs
options:
  _input:
    description: The VPC CIDR, C(aws_network_cidr).
    type: str
    required: true
  public_cidrs:
    description: C(aws_network_public_subnet_cidrs), one per availability zone.
    type: list
    elements: str
    required: true
  private_cidrs:
    description: C(aws_network_private_subnet_cidrs), one per availability zone.
    type: list
    elements: str
    required: true
"""

EXAMPLES = r"""
- name: CIDRs are valid, inside the VPC and do not overlap
  ansible.builtin.assert:
    that: __problems | length == 0
    fail_msg: "{{ __problems | join(' ') }}"
  vars:
    __problems: "{{ '10.40.0.0/16' | aws_network_cidr_problems(['10.40.0.0/24', '10.40.1.0/24'], ['10.40.1.0/24']) }}"
# __problems:
#   - aws_network_public_subnet_cidrs[1] (10.40.1.0/24) overlaps aws_network_private_subnet_cidrs[0] (10.40.1.0/24);
#     give every subnet its own range.
"""

RETURN = r"""
_value:
  description: One message per problem, in the order of the variables and their items; empty when all is well.
  type: list
  elements: str
  sample: ["aws_network_cidr: 10.40.0.1/16 has host bits set; write it as 10.40.0.0/16."]
"""

import ipaddress
import re
from collections.abc import Sequence
from typing import Any

# The shape a CIDR must have before ipaddress judges its values.
_IPV4_CIDR = re.compile(r"^(\d{1,3}\.){3}\d{1,3}/\d{1,2}$")
# Sizes AWS allows for a VPC and for a subnet.
_SMALLEST_PREFIX, _LARGEST_PREFIX = 16, 28


def _network(label: str, cidr: Any, problems: list[str]) -> ipaddress.IPv4Network | None:
    """The CIDR as a network, or None after adding why it is not one AWS takes."""
    if not isinstance(cidr, str) or not _IPV4_CIDR.match(cidr):
        problems.append(f"{label}: '{cidr}' is not an IPv4 CIDR such as 10.40.0.0/16.")
        return None
    try:
        network = ipaddress.IPv4Network(cidr, strict=False)
    except ValueError:
        problems.append(f"{label}: '{cidr}' is not an IPv4 CIDR (octets 0-255, prefix 0-32).")
        return None
    if ipaddress.IPv4Interface(cidr).ip != network.network_address:
        problems.append(f"{label}: {cidr} has host bits set; write it as {network}.")
        return None
    if not _SMALLEST_PREFIX <= network.prefixlen <= _LARGEST_PREFIX:
        problems.append(f"{label}: {cidr} is a /{network.prefixlen}; AWS allows /16 to /28 for VPCs and subnets.")
        return None
    return network


def _items(cidrs: Any) -> list[Any]:
    return list(cidrs) if isinstance(cidrs, Sequence) and not isinstance(cidrs, (str, bytes)) else [cidrs]


def aws_network_cidr_problems(vpc_cidr: Any, public_cidrs: Any, private_cidrs: Any) -> list[str]:
    """Every problem of the VPC and subnet CIDRs: shape, host bits, size, inside the VPC, overlaps."""
    problems: list[str] = []
    vpc = _network("aws_network_cidr", vpc_cidr, problems)
    subnets: list[tuple[str, str, ipaddress.IPv4Network]] = []
    for var, cidrs in (("aws_network_public_subnet_cidrs", public_cidrs),
                       ("aws_network_private_subnet_cidrs", private_cidrs)):
        for index, cidr in enumerate(_items(cidrs)):
            label = f"{var}[{index}]"
            network = _network(label, cidr, problems)
            if network is not None:
                subnets.append((label, cidr, network))
    for position, (label, cidr, network) in enumerate(subnets):
        if vpc is not None and not network.subnet_of(vpc):
            problems.append(f"{label}: {cidr} is not inside aws_network_cidr {vpc_cidr}.")
        for other_label, other_cidr, other in subnets[position + 1:]:
            if network.overlaps(other):
                problems.append(f"{label} ({cidr}) overlaps {other_label} ({other_cidr}); give every subnet its own"
                                " range.")
    return problems


class FilterModule:
    """Ansible entry point."""

    def filters(self) -> dict[str, Any]:
        """Map filter names to functions."""
        return {"aws_network_cidr_problems": aws_network_cidr_problems}
