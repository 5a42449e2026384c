"""Unit tests for roles/aws_security_groups/library/aws_security_groups_endpoint_attachments.py (table-driven)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

MODULE = (Path(__file__).resolve().parents[2] / "roles" / "aws_security_groups" / "library"
          / "aws_security_groups_endpoint_attachments.py")
_spec = importlib.util.spec_from_file_location("aws_security_groups_endpoint_attachments", MODULE)
assert _spec is not None and _spec.loader is not None
attachments = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(attachments)


def endpoint(subnets, groups, private_dns=True):
    return {"SubnetIds": subnets, "Groups": [{"GroupId": g, "GroupName": g} for g in groups], "PrivateDnsEnabled": private_dns}


CASES = [
    ("as wanted", endpoint(["subnet-a", "subnet-b"], ["sg-e"]), {}),
    ("order does not matter", endpoint(["subnet-b", "subnet-a"], ["sg-e"]), {}),
    ("a new AZ's subnet", endpoint(["subnet-a"], ["sg-e"]), {"AddSubnetIds": ["subnet-b"]}),
    ("a subnet too many", endpoint(["subnet-a", "subnet-b", "subnet-c"], ["sg-e"]), {"RemoveSubnetIds": ["subnet-c"]}),
    ("a group swapped by hand", endpoint(["subnet-a", "subnet-b"], ["sg-nodes"]),
     {"AddSecurityGroupIds": ["sg-e"], "RemoveSecurityGroupIds": ["sg-nodes"]}),
    ("private DNS off", endpoint(["subnet-a", "subnet-b"], ["sg-e"], private_dns=False), {"PrivateDnsEnabled": True}),
    ("private DNS not reported", {"SubnetIds": ["subnet-a", "subnet-b"], "Groups": [{"GroupId": "sg-e"}]},
     {"PrivateDnsEnabled": True}),
]


@pytest.mark.parametrize("case, described, expected", CASES, ids=[c[0] for c in CASES])
def test_only_what_differs_is_modified(case, described, expected):
    assert attachments.modifications(described, ["subnet-a", "subnet-b"], ["sg-e"], True) == expected, case
