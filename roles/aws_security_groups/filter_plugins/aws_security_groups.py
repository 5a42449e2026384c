# -*- coding: utf-8 -*-
"""The networks the security groups admit, checked in one place."""

from __future__ import annotations

DOCUMENTATION = r"""
name: aws_security_groups_cidr_problems
short_description: Every problem of the client and admin CIDRs, one message each
description:
  - Checks C(aws_security_groups_client_cidrs) (who may reach the load balancers) and
    C(aws_security_groups_admin_cidrs) (who may reach the nodes over SSH) with Python's C(ipaddress), and returns
    one message per problem naming the variable, the item index and the fix. An empty list means all is well;
    C(tasks/validate.yml) asserts it is empty.
  - Each CIDR must be written C(a.b.c.d/n) (octets 0-255 without leading zeros, prefix 0-32) with no host bits set.
    The VPC is IPv4 only.
  - An admin CIDR shorter than /8 is refused first, whatever else is wrong with it: SSH to the nodes is never
    opened to the internet or close to it. Clients may be C(0.0.0.0/0) (an internet-facing estate).
positional: _input, admin_cidrs
options:
  _input:
    description: C(aws_security_groups_client_cidrs).
    type: list
    elements: str
    required: true
  admin_cidrs:
    description: C(aws_security_groups_admin_cidrs); empty for no SSH at all.
    type: list
    elements: str
    required: true
"""

EXAMPLES = r"""
- name: Client and admin CIDRs are valid, and the nodes are never open to the internet
  ansible.builtin.assert:
    that: __problems | length == 0
    fail_msg: "{{ __problems | join(' ') }}"
  vars:
    __problems: "{{ ['0.0.0.0/0'] | aws_security_groups_cidr_problems(['0.0.0.0/0']) }}"
# __problems:
#   - "aws_security_groups_admin_cidrs[0]: 0.0.0.0/0 would open SSH to the nodes to a /0 (...)"
"""

RETURN = r"""
_value:
  description: One message per problem, client CIDRs first, in item order; empty when all is well.
  type: list
  elements: str
  sample: ["aws_security_groups_client_cidrs[0]: 198.51.100.1/24 has host bits set; write it as 198.51.100.0/24."]
"""

import ipaddress
import re
from collections.abc import Sequence
from typing import Any

# The shape a CIDR must have before ipaddress judges its values.
_IPV4_CIDR = re.compile(r"^(\d{1,3}\.){3}\d{1,3}/\d{1,2}$")
_PREFIX_TEXT = re.compile(r"^\d{1,3}$")
# SSH is opened to nothing wider than a /8.
_WIDEST_ADMIN_PREFIX = 8


def _cidr_problem(label: str, cidr: Any, admin: bool) -> str | None:
    """Why one CIDR cannot be admitted, or None."""
    text = str(cidr)
    prefix_text = text.split("/")[-1]
    if admin and "/" in text and _PREFIX_TEXT.match(prefix_text) and int(prefix_text) < _WIDEST_ADMIN_PREFIX:
        return (f"{label}: {cidr} would open SSH to the nodes to a /{prefix_text} (the whole internet or close to it)."
                " List only the bastion or office networks, such as 198.51.100.0/24 (prefix /8 or longer), or leave"
                " aws_security_groups_admin_cidrs empty for no SSH at all.")
    if not isinstance(cidr, str) or not _IPV4_CIDR.match(cidr):
        return f"{label}: '{cidr}' is not an IPv4 CIDR such as 198.51.100.0/24 (the VPC is IPv4 only)."
    try:
        network = ipaddress.IPv4Network(cidr, strict=False)
    except ValueError:
        return f"{label}: '{cidr}' is not an IPv4 CIDR (octets 0-255, prefix 0-32)."
    if ipaddress.IPv4Interface(cidr).ip != network.network_address:
        return f"{label}: {cidr} has host bits set; write it as {network}."
    return None


def _items(cidrs: Any) -> list[Any]:
    return list(cidrs) if isinstance(cidrs, Sequence) and not isinstance(cidrs, (str, bytes)) else [cidrs]


def aws_security_groups_cidr_problems(client_cidrs: Any, admin_cidrs: Any) -> list[str]:
    """Every problem of the client and admin CIDRs, one message each, client CIDRs first."""
    problems: list[str] = []
    for var, cidrs, admin in (("aws_security_groups_client_cidrs", client_cidrs, False),
                              ("aws_security_groups_admin_cidrs", admin_cidrs, True)):
        for index, cidr in enumerate(_items(cidrs)):
            problem = _cidr_problem(f"{var}[{index}]", cidr, admin)
            if problem:
                problems.append(problem)
    return problems


class FilterModule:
    """Ansible entry point."""

    def filters(self) -> dict[str, Any]:
        """Map filter names to functions."""
        return {"aws_security_groups_cidr_problems": aws_security_groups_cidr_problems}
