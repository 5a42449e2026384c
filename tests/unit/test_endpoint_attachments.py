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


POLICY = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                                                  "Resource": "*"}]}


@pytest.mark.parametrize("case, described, expected", [
    ("same policy, as AWS returns it (a JSON string)", {"PolicyDocument": '{"Version": "2012-10-17", "Statement": '
     '[{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "*"}]}'}, {}),
    ("the default full-access policy", {"PolicyDocument": '{"Statement": [{"Action": "*", "Effect": "Allow", '
     '"Principal": "*", "Resource": "*"}]}'}, {"PolicyDocument": "set"}),
    ("no policy reported", {}, {"PolicyDocument": "set"}),
])
def test_a_widened_endpoint_policy_is_set_back(case, described, expected):
    changes = attachments.modifications(described, None, None, None, POLICY)
    assert set(changes) == set(expected), case
    if expected:
        assert attachments.json.loads(changes["PolicyDocument"]) == POLICY


def test_a_gateway_endpoint_has_only_its_policy_managed():
    # No subnets, groups or private DNS on a gateway endpoint: None leaves them alone.
    assert attachments.modifications({"RouteTableIds": ["rtb-1"]}, None, None, None, None) == {}
