"""Every AWS call the suite makes is allowed by the policy it documents or creates, and no more.

The emulator enforces IAM (tests/integration/least_privilege.py), and each playbook runs as an
identity holding exactly its policy: the controller's per playbook (docs/iam/controller-*.json),
the node as its instance role (the role aws_nodes made, within docs/iam/node-boundary.json),
through STS credentials. A call the policy does not allow fails the run, and the test with it.

What the emulator checks: the action of every call, the resource of S3 and IAM calls, and the
node role's permissions boundary. What it does not: conditions and the resources of the other
services (tests/unit/test_iam_policies.py checks those statically), and iam:PassRole.

In order, in one emulated account: a missing permission on an empty account, provision,
provision again, the node, the runbooks' calls, missing permissions on a built estate, teardown.
The calls recorded per identity are compared with docs/iam/recorded-calls.json
(RECORD_IAM_CALLS=1 rewrites it, make iam-record).
"""

from __future__ import annotations

import collections
import json
import os

import boto3
import pytest

from tests.integration.least_privilege import (
    IAM_DOCS, LAB_VALUES, calls, denied, enforced, mark, render, role_credentials, user_with_policy, without,
)
from lab.harness.ansible_run import recap, run_playbook

LAB = ["-i", "inventories/lab"]
ESTATE = LAB_VALUES["Estate"]
RECORDED = IAM_DOCS / "recorded-calls.json"
# The runs recorded in docs/iam/recorded-calls.json, by label: {label: Counter of the actions allowed}.
_recorded: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)


@pytest.fixture(scope="module")
def account(prerequisites):
    """The operator's prerequisites (certificate, secrets, the node role's boundary) and one identity per policy."""
    identities = {name: user_with_policy(name, render(name)) for name in
                  ("controller-provision", "controller-teardown", "controller-site", "controller-rolling-upgrade")}
    yield prerequisites, identities
    if os.environ.get("RECORD_IAM_CALLS") == "1":
        RECORDED.write_text(json.dumps(
            {label: {"calls": sum(counts.values()), "actions": dict(sorted(counts.items()))}
             for label, counts in _recorded.items()}, indent=2) + "\n")


def run_as(identity_env, env, playbook, *args, check=True, record=None, label=None):
    """Run a playbook as one identity with IAM enforced; every call it made was allowed, or it says which.

    ``label``: the run's entry in docs/iam/recorded-calls.json, for the runs the suite documents.
    """
    since = mark()
    with enforced():
        result = run_playbook(playbook, *args, env={**env, **identity_env}, check=False)
    who = record or next(iter({c["identity"] for c in calls(since)} - {"testing"}), None)
    refused = denied(since, who) if who else []
    if check:
        assert result.returncode == 0 and not refused, (
            f"{playbook} as {who} failed; refused: {refused}\n{result.stdout[-6000:]}")
    if label:
        _recorded[label].update(c["action"] for c in calls(since, who) if c["outcome"] == "allowed")
    return result, refused


def test_a_missing_permission_stops_provisioning_before_anything_is_built(account):
    env, _ = account
    identity = user_with_policy("provision-without-createvpc", without(render("controller-provision"), "ec2:CreateVpc"))
    result, refused = run_as(identity, env, "playbooks/provision.yml", *LAB, check=False,
                             record="provision-without-createvpc")
    assert result.returncode != 0 and refused == ["ec2:CreateVpc"], result.stdout[-3000:]
    assert not boto3.client("ec2").describe_vpcs(Filters=[{"Name": "tag:Estate", "Values": [ESTATE]}])["Vpcs"]


def test_provision_runs_with_its_documented_policy(account):
    env, ids = account
    run_as(ids["controller-provision"], env, "playbooks/provision.yml", *LAB, label="provision.yml, first run")


def test_a_second_provision_changes_nothing_with_its_documented_policy(account):
    env, ids = account
    result, _ = run_as(ids["controller-provision"], env, "playbooks/provision.yml", *LAB,
                       label="provision.yml, a re-run that changes nothing")
    assert recap(result)["localhost"]["changed"] == 0, result.stdout[-3000:]


def test_everything_the_node_role_is_granted_lies_within_its_boundary(account):
    """The boundary caps the role: a grant it does not allow would be dead, or a sign the two drifted apart.

    Checked for every action and resource of the role's policy as provision made it, with the emulator's
    evaluator, including the Session Manager actions the emulator cannot call.
    """
    from moto.iam.access_control import IAMPolicy, PermissionResult

    iam = boto3.client("iam")
    (name,) = iam.list_role_policies(RoleName=f"{ESTATE}-node")["PolicyNames"]
    granted = iam.get_role_policy(RoleName=f"{ESTATE}-node", PolicyName=name)["PolicyDocument"]
    granted = json.loads(granted) if isinstance(granted, str) else granted
    boundary = IAMPolicy(json.dumps(render("node-boundary")))
    outside = []
    for statement in granted["Statement"]:
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        for action in actions:
            for resource in resources:
                # A pattern of the role's policy (a secret's -?????? suffix) stands for a resource it names.
                concrete = resource.replace("??????", "AbCdEf").replace("*", "x")
                if boundary.is_action_permitted(action, concrete) != PermissionResult.PERMITTED:
                    outside.append(f"{action} on {resource}")
    assert not outside, f"granted to the node role but outside docs/iam/node-boundary.json: {outside}"


@pytest.fixture(scope="module")
def node(account):
    """The node role's credentials, as an instance of the estate gets them."""
    return role_credentials(f"{ESTATE}-node")


def test_a_node_boots_with_its_instance_role(account, node):
    env, _ = account
    run_as(node, env, "tests/integration/playbooks/node_aws_calls.yml",
           "-e", f"bucket={LAB_VALUES['DeploymentBucket']}", "-e", "region=eu-west-1",
           label="a node at first boot (its instance role)")


def test_the_node_role_cannot_read_the_database_master_secret(node):
    client = boto3.client("secretsmanager", aws_access_key_id=node["AWS_ACCESS_KEY_ID"],
                          aws_secret_access_key=node["AWS_SECRET_ACCESS_KEY"],
                          aws_session_token=node["AWS_SESSION_TOKEN"], endpoint_url=os.environ["AWS_ENDPOINT_URL"])
    with enforced(), pytest.raises(client.exceptions.ClientError, match="AccessDenied"):
        client.get_secret_value(SecretId=LAB_VALUES["MasterSecret"])


def runbook_args(rolling: bool, snapshot: str = "before-upgrade") -> list[str]:
    """A stand-in node for one of the estate's instances, in the estate's target groups."""
    elbv2, autoscaling = boto3.client("elbv2"), boto3.client("autoscaling")
    groups = [g["TargetGroupArn"] for g in elbv2.describe_target_groups()["TargetGroups"]]
    instance = autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=[f"{ESTATE}-node-1"])[
        "AutoScalingGroups"][0]["Instances"][0]["InstanceId"]
    return ["-i", "node-1,", "-e", "@inventories/lab/group_vars/all/estate.yml", "-e", "@inventories/lab/group_vars/all/lab.yml",
            "-e", f"instance_id={instance}", "-e", json.dumps({"target_group_arns": groups}),
            "-e", f"bucket={LAB_VALUES['DeploymentBucket']}", "-e", "region=eu-west-1",
            "-e", f"rolling_upgrade={str(rolling).lower()}", "-e", f"snapshot_name={snapshot}"]


@pytest.mark.parametrize("identity, rolling", [("controller-site", False), ("controller-rolling-upgrade", True)])
def test_the_runbooks_aws_calls_run_with_their_documented_policy(account, identity, rolling):
    env, ids = account
    label = ("rolling_upgrade.yml on AWS: membership, installer, secrets, snapshot, re-pin" if rolling
             else "site.yml on AWS: membership, installer, secrets")
    since = mark()
    run_as(ids[identity], env, "tests/integration/playbooks/controller_runbook_aws_calls.yml", *runbook_args(rolling),
           label=label)
    if rolling:
        # The emulator runs no health checks and replaces nothing: the order of the calls is what shows that
        # Auto Scaling could not replace the node while it was out of its target groups.
        order = [c["action"] for c in calls(since, identity) if c["outcome"] == "allowed" and c["action"] in OUT_OF_SERVICE]
        assert order == OUT_OF_SERVICE, order
        group = boto3.client("autoscaling").describe_auto_scaling_groups(AutoScalingGroupNames=[f"{ESTATE}-node-1"])[
            "AutoScalingGroups"][0]
        assert not group["SuspendedProcesses"], "the node's health replacement was left suspended"
        assert "dsm-ops:held-processes" not in {t["Key"] for t in group["Tags"]}


# What a node's upgrade does on AWS, in this order: held out of Auto Scaling's health replacement (claimed
# by a tag first), out of its three target groups, back in, healthy, then released.
OUT_OF_SERVICE = ["autoscaling:CreateOrUpdateTags", "autoscaling:SuspendProcesses",
                  *["elasticloadbalancing:DeregisterTargets"] * 3, *["elasticloadbalancing:RegisterTargets"] * 3,
                  "autoscaling:ResumeProcesses", "autoscaling:DeleteTags"]


def settings(update: dict | None = None) -> dict:
    """The node settings in the bucket; with ``update``, rewritten as aws_storage writes them."""
    import hashlib

    s3, bucket, key = boto3.client("s3"), LAB_VALUES["DeploymentBucket"], "bootstrap/settings.json"
    current = json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
    if update:
        text = json.dumps({**current, **update}, indent=4, sort_keys=True) + "\n"
        s3.put_object(Bucket=bucket, Key=key, Body=text.encode(), Metadata={"sha256": hashlib.sha256(text.encode()).hexdigest()})
    return current


def test_a_failed_first_run_is_never_taken_for_an_installed_database(account):
    """As if the first run had died with node 1 not healthy for every flow: the next run creates no other node."""
    env, ids = account
    autoscaling, elbv2 = boto3.client("autoscaling"), boto3.client("elbv2")
    settings({"manager_database_installed": False})
    for index in (2, 3):
        autoscaling.delete_auto_scaling_group(AutoScalingGroupName=f"{ESTATE}-node-{index}", ForceDelete=True)
    node1 = autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=[f"{ESTATE}-node-1"])[
        "AutoScalingGroups"][0]["Instances"][0]["InstanceId"]
    heartbeat = elbv2.describe_target_groups(Names=[f"{ESTATE}-heartbeat"])["TargetGroups"][0]["TargetGroupArn"]
    # Healthy for the console and the relay, not for the heartbeat: what autoscaling_group's own wait accepts.
    elbv2.deregister_targets(TargetGroupArn=heartbeat, Targets=[{"Id": node1, "Port": 4120}])

    result, _ = run_as(ids["controller-provision"], env, "playbooks/provision.yml", *LAB,
                       "-e", "aws_nodes_wait_timeout=60", check=False)
    assert result.returncode != 0
    assert f"{ESTATE}-heartbeat" in result.stdout and "not registered" in result.stdout, result.stdout[-3000:]
    groups = {g["AutoScalingGroupName"] for g in autoscaling.describe_auto_scaling_groups()["AutoScalingGroups"]}
    assert groups == {f"{ESTATE}-node-1"}
    assert settings()["manager_database_installed"] is False

    # Healthy everywhere now: the database counts as installed and the other nodes follow.
    elbv2.register_targets(TargetGroupArn=heartbeat, Targets=[{"Id": node1, "Port": 4120}])
    run_as(ids["controller-provision"], env, "playbooks/provision.yml", *LAB)
    groups = {g["AutoScalingGroupName"] for g in autoscaling.describe_auto_scaling_groups()["AutoScalingGroups"]}
    assert groups == {f"{ESTATE}-node-{i}" for i in (1, 2, 3)}
    assert settings()["manager_database_installed"] is True


# Each removes one action the run needs, from the policy the suite documents or creates: the run fails, and
# the emulator names the action it refused.
MISSING = [
    ("provision re-run, the parameters of the database", "controller-provision", "rds:DescribeDBParameters"),
    ("node role, object tags (s3_object geturl)", "node-role", "s3:GetObjectTagging"),
    ("node boundary, the bucket itself (HeadBucket)", "node-boundary", "s3:ListBucket"),
    ("rolling upgrade, database snapshot", "controller-rolling-upgrade", "rds:CreateDBSnapshot"),
    # The last step of a site run: without it the run fails, saying the audit log stays on the controller.
    ("site, the audit log shipped to the log bucket", "controller-site", "s3:PutObject"),
    # The teardown's first deletion: refused there, it deletes nothing, and the documented teardown below still
    # removes a whole estate (a later refusal would leave it less to delete, and its record would lose those calls).
    ("teardown, the estate's alarms", "controller-teardown", "cloudwatch:DeleteAlarms"),
]


@pytest.mark.parametrize("case, policy, action", MISSING, ids=[m[0] for m in MISSING])
def test_a_missing_permission_fails_the_run_naming_the_action(account, case, policy, action):
    env, _ = account
    iam = boto3.client("iam")
    role = f"{ESTATE}-node"
    if policy == "node-role":
        (name,) = iam.list_role_policies(RoleName=role)["PolicyNames"]
        original = iam.get_role_policy(RoleName=role, PolicyName=name)["PolicyDocument"]
        original = json.loads(original) if isinstance(original, str) else original
        iam.put_role_policy(RoleName=role, PolicyName=name, PolicyDocument=json.dumps(without(original, action)))
        restore = lambda: iam.put_role_policy(RoleName=role, PolicyName=name, PolicyDocument=json.dumps(original))  # noqa: E731
    elif policy == "node-boundary":
        arn = f"arn:aws:iam::{LAB_VALUES['Account']}:policy/{ESTATE}-node-boundary"
        iam.create_policy_version(PolicyArn=arn, PolicyDocument=json.dumps(without(render("node-boundary"), action)),
                                  SetAsDefault=True)
        restore = lambda: [iam.set_default_policy_version(PolicyArn=arn, VersionId="v1"),  # noqa: E731
                           iam.delete_policy_version(PolicyArn=arn, VersionId="v2")]
    try:
        if policy.startswith("node"):
            identity, record = role_credentials(role), f"role/{role}"
            playbook, args = "tests/integration/playbooks/node_aws_calls.yml", [
                "-e", f"bucket={LAB_VALUES['DeploymentBucket']}", "-e", "region=eu-west-1"]
        else:
            record = f"{policy}-without-{action.replace(':', '-')}"
            identity = user_with_policy(record, without(render(policy), action))
            playbook, args = {
                "controller-provision": ("playbooks/provision.yml", LAB),
                "controller-teardown": ("playbooks/teardown.yml", LAB),
                # A snapshot name of its own: the runbook's snapshot exists already and would not be taken again.
                "controller-rolling-upgrade": ("tests/integration/playbooks/controller_runbook_aws_calls.yml",
                                               runbook_args(True, "without-permission")),
                "controller-site": ("tests/integration/playbooks/controller_runbook_aws_calls.yml", runbook_args(False)),
            }[policy]
        result, refused = run_as(identity, env, playbook, *args, check=False, record=record)
    finally:
        if policy.startswith("node"):
            restore()
    assert result.returncode != 0, f"{case}: the run went through without {action}"
    assert refused == [action], f"{case}: refused {refused}"
    if policy == "controller-teardown":
        assert boto3.client("cloudwatch").describe_alarms()["MetricAlarms"], f"{case}: alarms deleted without {action}"


def test_teardown_runs_with_its_documented_policy(account):
    env, ids = account
    run_as(ids["controller-teardown"], env, "playbooks/teardown.yml", *LAB, label="teardown.yml")
    assert not boto3.client("ec2").describe_vpcs(Filters=[{"Name": "tag:Estate", "Values": [ESTATE]}])["Vpcs"]


def test_the_calls_are_the_recorded_ones():
    """A new call, or one no longer made, shows here first: update the policy and the record together."""
    if os.environ.get("RECORD_IAM_CALLS") == "1":
        pytest.skip("recording")
    recorded = json.loads(RECORDED.read_text())
    assert set(_recorded) == set(recorded), "run the whole module: every documented run is compared"
    for label, counts in _recorded.items():
        have = set(recorded[label]["actions"])
        assert set(counts) == have, f"{label}: new {sorted(set(counts) - have)}, gone {sorted(have - set(counts))}"
