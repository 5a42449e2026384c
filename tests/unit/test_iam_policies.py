"""Static checks of every policy the suite documents (docs/iam), where the emulator cannot look.

The emulator checks actions, and resources for S3 and IAM only, and treats every condition as met
(docs/iam/README.md). Here, without any AWS call:
- parliament (pinned in requirements.txt) reads each document as IAM would: unknown actions,
  resources that do not fit the action, condition keys that do not exist for the action, and
  the privilege-escalation patterns it knows. Its findings are refused but for the few kinds
  listed in ACCEPTED, each for the reason given there.
- the rules this suite's security rests on, which no linter knows: the node role can only be
  created or widened with its boundary, no wildcard action, nothing outside the estate.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from parliament import analyze_policy_string

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from tests.integration.least_privilege import IAM_DOCS, LAB_VALUES, render  # noqa: E402

POLICIES = sorted(p.stem for p in IAM_DOCS.glob("*.json") if p.stem != "recorded-calls")
CONTROLLER = [p for p in POLICIES if p.startswith("controller-")]
ESTATE = LAB_VALUES["Estate"]
BOUNDARY = f"arn:aws:iam::{LAB_VALUES['Account']}:policy/{ESTATE}-node-boundary"
# The estate's own buckets: the only ones a policy names.
BUCKETS = tuple(LAB_VALUES[key] for key in ("DeploymentBucket", "TransferBucket", "LogBucket", "EvidenceBucket"))
READ = ("Describe", "List", "Get")
# What could widen a role: allowed only on the node role, and only with the boundary. (Taking a policy away,
# as teardown does, only narrows it: the role has no Deny to lose.)
WIDENS_A_ROLE = {"iam:CreateRole", "iam:PutRolePolicy", "iam:AttachRolePolicy", "iam:PutRolePermissionsBoundary"}
# Never, for any controller: they would let it rewrite or drop the boundary, or make identities.
NEVER = {"iam:CreatePolicy", "iam:CreatePolicyVersion", "iam:SetDefaultPolicyVersion", "iam:DeletePolicy",
         "iam:DeleteRolePermissionsBoundary", "iam:CreateUser", "iam:CreateAccessKey", "iam:PutUserPolicy",
         "iam:AttachUserPolicy", "iam:PutGroupPolicy", "iam:AttachGroupPolicy", "iam:UpdateLoginProfile",
         "sts:AssumeRole"}


def statements(policy: dict):
    for statement in policy["Statement"]:
        actions = statement.get("Action", [])
        resources = statement.get("Resource", [])
        yield (statement, actions if isinstance(actions, list) else [actions],
               resources if isinstance(resources, list) else [resources])


def accepted(finding, policy: dict) -> bool:
    """Findings this suite accepts, each for a stated reason."""
    if finding.issue == "RESOURCE_STAR":
        # A statement on every resource is a read, or is bounded by a condition (the region, the Estate tag):
        # EC2 creations name no resource that exists yet.
        for action in finding.detail:
            holders = [s for s, actions, resources in statements(policy) if action in actions and resources == ["*"]]
            if not all(action.split(":")[1].startswith(READ) or "Condition" in s for s in holders):
                return False
        return True
    if finding.issue == "MISMATCHED_TYPE_BUT_USABLE":
        # iam:PermissionsBoundary with StringEquals, as AWS's own delegation example writes it.
        return "iam:PermissionsBoundary" in json.dumps(policy)
    if finding.issue == "RESOURCE_POLICY_PRIVILEGE_ESCALATION":
        # Provision writes the policies of the estate's own buckets, and nothing else's.
        return any(bucket in finding.detail for bucket in BUCKETS)
    return False


@pytest.mark.parametrize("name", POLICIES)
def test_parliament_finds_nothing_but_what_is_accepted(name):
    policy = render(name)
    found = analyze_policy_string(json.dumps(policy)).findings
    refused = [(f.issue, f.detail) for f in found if not accepted(f, policy)]
    assert not refused, f"docs/iam/{name}.json: {refused}"


@pytest.mark.parametrize("name", POLICIES)
def test_no_wildcard_action_and_no_negation(name):
    for statement, actions, _ in statements(render(name)):
        assert "NotAction" not in statement and "NotResource" not in statement, (name, statement["Sid"])
        if statement["Effect"] == "Allow":
            assert not [a for a in actions if a == "*" or a.endswith(":*")], (name, statement["Sid"])


@pytest.mark.parametrize("name", CONTROLLER)
def test_a_controller_widens_the_node_role_only_within_its_boundary(name):
    for statement, actions, resources in statements(render(name)):
        assert not set(actions) & NEVER, (name, statement["Sid"], set(actions) & NEVER)
        if set(actions) & WIDENS_A_ROLE:
            assert resources == [f"arn:aws:iam::{LAB_VALUES['Account']}:role/{ESTATE}-node"], (name, statement["Sid"])
            assert statement["Condition"] == {"StringEquals": {"iam:PermissionsBoundary": BOUNDARY}}, (name, statement["Sid"])


@pytest.mark.parametrize("name", CONTROLLER)
def test_a_controller_passes_and_touches_only_the_estates_roles(name):
    for statement, actions, resources in statements(render(name)):
        iam = [a for a in actions if a.startswith("iam:") and a != "iam:ListAccountAliases"]
        if not iam:
            continue
        for resource in resources:
            assert (resource.endswith((f":role/{ESTATE}-node", f":instance-profile/{ESTATE}-node"))
                    or ":role/aws-service-role/" in resource), (name, statement["Sid"], resource)


@pytest.mark.parametrize("name", POLICIES)
def test_buckets_and_secrets_are_the_estates_own(name):
    for statement, _, resources in statements(render(name)):
        for resource in resources:
            if resource.startswith("arn:aws:s3:::"):
                assert resource.split(":::")[1].split("/")[0] in BUCKETS, (name, statement["Sid"], resource)
            if ":secretsmanager:" in resource:
                assert resource.split(":secret:")[1].startswith((f"{ESTATE}/", LAB_VALUES["MasterSecret"])), (
                    name, statement["Sid"], resource)


def test_the_boundary_never_lets_a_node_read_the_master_secret():
    denies = [s for s, actions, resources in statements(render("node-boundary")) if s["Effect"] == "Deny"]
    assert any("secretsmanager:*" in s["Action"] and s["Resource"].endswith(f":secret:{LAB_VALUES['MasterSecret']}-??????")
               for s in denies)


def test_the_boundary_grants_a_node_nothing_that_manages_aws():
    allowed = {a for s, actions, _ in statements(render("node-boundary")) if s["Effect"] == "Allow" for a in actions}
    assert {a.split(":")[0] for a in allowed} == {"s3", "secretsmanager", "ssm", "ssmmessages", "ec2messages", "kms"}
    assert not [a for a in allowed if not a.split(":")[1].startswith(READ) and a.split(":")[0] in ("s3", "secretsmanager")]
    assert [a for a in allowed if a.startswith("ssm:")] == ["ssm:UpdateInstanceInformation"]


def test_an_unknown_placeholder_is_refused(tmp_path, monkeypatch):
    from tests.integration import least_privilege

    (tmp_path / "x.json").write_text('{"Resource": "arn:${Partition}:s3:::${Bukcet}"}')
    monkeypatch.setattr(least_privilege, "IAM_DOCS", tmp_path)
    with pytest.raises(AssertionError, match="Bukcet"):
        least_privilege.render("x")
