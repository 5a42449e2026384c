"""teardown.yml removes the estate it is pointed at and nothing else survives but what an
operator keeps on purpose: the deployment bucket (installers, evidence) and a final snapshot of
every database. A non-lab estate is refused before the first AWS call unless confirmed by its
exact name; check mode deletes nothing; a second teardown changes nothing. The manager's login
secret is kept with the final snapshots: the database in them knows only that login.

The estate is the scenario's: a staging estate (so provisioning turned deletion protection on, as
outside the lab), converged, re-run, and read back by test_estate.py before this module takes it
down. The teardowns in order: the refusals, check mode, the real teardown (confirmed by name), the
second teardown (lab way). The verifier's environment points the lab inventory at the scenario's
emulator and state.
"""

import re
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import boto3
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))
from lab.harness.ansible_run import recap, run_playbook  # noqa: E402

LAB = ["-i", "inventories/lab"]
ESTATE = "dsm-lab"
BUCKET = f"{ESTATE}-deployment"
LOG_BUCKET = f"{ESTATE}-logs"
# Under Object Lock: the compliance evidence outlives the estate, whatever teardown_delete_bucket says.
EVIDENCE_BUCKET = f"{ESTATE}-evidence"
FINAL_SNAPSHOT = re.compile(rf"^{ESTATE}-db-final-(\d{{12}})$")


def _names(items, key):
    return sorted(item[key] for item in items)


def estate() -> dict[str, list[str]]:
    """Everything of the lab estate the emulated account still holds, by kind (empty kinds left out).

    Left out as AWS does: terminated instances (listed for about an hour) and VPC endpoints in
    state deleted. The scenario's emulator holds this estate alone, so "all of a kind" is the estate's.
    """
    ec2, rds, elbv2 = boto3.client("ec2"), boto3.client("rds"), boto3.client("elbv2")
    iam, route53 = boto3.client("iam"), boto3.client("route53")
    mine = [{"Name": "tag:Estate", "Values": [ESTATE]}]
    instances = [i for r in ec2.describe_instances(Filters=mine)["Reservations"] for i in r["Instances"]]
    terminated = {i["InstanceId"] for i in instances if i["State"]["Name"] == "terminated"}
    found = {
        "vpc": _names(ec2.describe_vpcs(Filters=mine)["Vpcs"], "VpcId"),
        "subnet": _names(ec2.describe_subnets(Filters=mine)["Subnets"], "SubnetId"),
        "route table": _names(ec2.describe_route_tables(Filters=mine)["RouteTables"], "RouteTableId"),
        "internet gateway": _names(ec2.describe_internet_gateways(Filters=mine)["InternetGateways"], "InternetGatewayId"),
        "vpc endpoint": _names([e for e in ec2.describe_vpc_endpoints()["VpcEndpoints"]
                                if e["State"].lower() != "deleted"], "VpcEndpointId"),
        "security group": _names(ec2.describe_security_groups(Filters=mine)["SecurityGroups"], "GroupId"),
        "instance": sorted({i["InstanceId"] for i in instances} - terminated),
        "volume": _names(ec2.describe_volumes(Filters=mine)["Volumes"], "VolumeId"),
        "launch template": _names(ec2.describe_launch_templates()["LaunchTemplates"], "LaunchTemplateName"),
        "auto scaling group": _names(boto3.client("autoscaling").describe_auto_scaling_groups()["AutoScalingGroups"],
                                     "AutoScalingGroupName"),
        "iam role": _names(iam.list_roles()["Roles"], "RoleName"),
        "instance profile": _names(iam.list_instance_profiles()["InstanceProfiles"], "InstanceProfileName"),
        "load balancer": _names(elbv2.describe_load_balancers()["LoadBalancers"], "LoadBalancerName"),
        "target group": _names(elbv2.describe_target_groups()["TargetGroups"], "TargetGroupName"),
        "database": _names(rds.describe_db_instances()["DBInstances"], "DBInstanceIdentifier"),
        "db subnet group": _names(rds.describe_db_subnet_groups()["DBSubnetGroups"], "DBSubnetGroupName"),
        "db snapshot": _names(rds.describe_db_snapshots()["DBSnapshots"], "DBSnapshotIdentifier"),
        "hosted zone": _names(route53.list_hosted_zones()["HostedZones"], "Name"),
        "health check": _names(route53.list_health_checks()["HealthChecks"], "Id"),
        "bucket": _names(boto3.client("s3").list_buckets()["Buckets"], "Name"),
    }
    # Whatever else carries the estate's tag, in case a kind above was forgotten.
    tagged = boto3.client("resourcegroupstaggingapi").get_resources(TagFilters=[{"Key": "Estate", "Values": [ESTATE]}])
    found["other tagged"] = sorted(
        arn for arn in (r["ResourceARN"] for r in tagged["ResourceTagMappingList"])
        if not arn.endswith(tuple(terminated))
        and not any(arn.endswith(name) or f"/{name}/" in arn for names in found.values() for name in names)
    )
    return {kind: names for kind, names in found.items() if names}


def protected() -> dict[str, bool]:
    """Deletion protection of the database and of each load balancer, by name."""
    rds, elbv2 = boto3.client("rds"), boto3.client("elbv2")
    found = {db["DBInstanceIdentifier"]: db["DeletionProtection"] for db in rds.describe_db_instances()["DBInstances"]}
    for lb in elbv2.describe_load_balancers()["LoadBalancers"]:
        attributes = elbv2.describe_load_balancer_attributes(LoadBalancerArn=lb["LoadBalancerArn"])["Attributes"]
        found[lb["LoadBalancerName"]] = {"Key": "deletion_protection.enabled", "Value": "true"} in attributes
    return found


REFUSALS = [
    ("production without confirmation", ["-e", "estate_environment=production"]),
    ("production confirmed with true", ["-e", "estate_environment=production", "-e", "teardown_confirm=true"]),
    ("another estate's name", ["-e", "estate_environment=production", "-e", "teardown_confirm=dsm-production"]),
]


@pytest.mark.parametrize("case, args", REFUSALS, ids=[c[0] for c in REFUSALS])
def test_a_non_lab_estate_is_refused_before_any_aws_call(case, args):
    before = estate()
    result = run_playbook("playbooks/teardown.yml", *LAB, *args, check=False)
    assert result.returncode != 0, f"{case}: teardown went ahead"
    assert f"teardown_confirm={ESTATE}" in result.stdout, f"{case}: the refusal does not say how to confirm:\n{result.stdout}"
    assert "Nothing was changed: no AWS call was made" in result.stdout
    # The refusal is the validation play's; the play that calls AWS never started.
    assert "PLAY [Tear down the estate" not in result.stdout, f"{case}: refused only after the teardown started"
    assert estate() == before


def test_check_mode_reports_the_teardown_and_deletes_nothing():
    before = estate()
    assert {"vpc", "database", "load balancer", "auto scaling group", "hosted zone"} <= before.keys()
    result = run_playbook("playbooks/teardown.yml", *LAB, "--check")
    assert recap(result)["localhost"]["changed"] > 0
    assert estate() == before


def test_teardown_leaves_only_the_buckets_and_the_final_snapshots():
    assert protected() == {f"{ESTATE}-db": True, **{f"{ESTATE}-{flow}": True for flow in ("console", "heartbeat", "relay")}}
    started = datetime.now(timezone.utc).replace(second=0, microsecond=0)
    run_playbook("playbooks/teardown.yml", *LAB, "-e", "estate_environment=staging",
                 "-e", f"teardown_confirm={ESTATE}")
    ended = datetime.now(timezone.utc)

    left = estate()
    snapshots = left.pop("db snapshot", [])
    kept_secrets = left.pop("other tagged", [])
    assert left == {"bucket": [BUCKET, EVIDENCE_BUCKET, LOG_BUCKET]}, f"left behind: {left}"
    # The Session Manager transfer bucket went; the manager's login secret stays with the snapshots.
    assert [arn.split(":secret:")[1].rsplit("-", 1)[0] for arn in kept_secrets] == [f"{ESTATE}/db-manager"], kept_secrets

    # One final snapshot of the one database, named for the minute it was taken, complete and tagged.
    (snapshot,) = snapshots
    taken = datetime.strptime(FINAL_SNAPSHOT.match(snapshot).group(1), "%Y%m%d%H%M").replace(tzinfo=timezone.utc)
    assert started <= taken <= ended + timedelta(minutes=1), (snapshot, started, ended)
    (described,) = boto3.client("rds").describe_db_snapshots(DBSnapshotIdentifier=snapshot)["DBSnapshots"]
    assert (described["Status"], described["SnapshotType"]) == ("available", "manual")
    assert described["DBInstanceIdentifier"] == f"{ESTATE}-db"
    assert {"Key": "Estate", "Value": ESTATE} in described["TagList"]

    # The bucket is kept with what it held: the installers and their manifest; the log bucket with the audit log.
    boto3.client("s3").head_object(Bucket=BUCKET, Key="manager/SHA256SUMS")
    shipped = boto3.client("s3").list_objects_v2(Bucket=LOG_BUCKET, Prefix=f"audit/{ESTATE}/")["Contents"]
    assert any(o["Key"].endswith("/change-window.jsonl") for o in shipped), shipped


def test_a_second_teardown_changes_nothing():
    before = estate()
    result = run_playbook("playbooks/teardown.yml", *LAB)
    counts = recap(result)["localhost"]
    assert (counts["changed"], counts["failed"]) == (0, 0), result.stdout
    assert estate() == before
