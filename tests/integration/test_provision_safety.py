"""provision.yml is safe to point at an account: bad input stops it before the first AWS
call, naming the variable, and check mode changes nothing."""

import json

import boto3
import pytest

from lab.harness.ansible_run import recap, run_playbook

LAB = ["-i", "inventories/lab"]


def estate_exists() -> dict[str, bool]:
    """What of the lab estate exists in the emulated account."""
    ec2 = boto3.client("ec2")
    vpcs = ec2.describe_vpcs(Filters=[{"Name": "tag:Estate", "Values": ["dsm-lab"]}])["Vpcs"]
    buckets = [b["Name"] for b in boto3.client("s3").list_buckets()["Buckets"]]
    databases = boto3.client("rds").describe_db_instances()["DBInstances"]
    balancers = boto3.client("elbv2").describe_load_balancers()["LoadBalancers"]
    return {"vpc": bool(vpcs), "bucket": "dsm-lab-deployment" in buckets,
            "database": bool(databases), "load balancer": bool(balancers)}


BAD_INPUTS = [
    ("unknown engine", {"aws_database_servers": [{"name": "db", "engine": "mysql", "instance_class": "db.m5.large"}]},
     "aws_database_servers"),
    ("missing database secret", {"aws_database_master_secret_id": None}, "aws_database_master_secret_id"),
    ("open CIDR for the nodes", {"aws_security_groups_admin_cidrs": ["0.0.0.0/0"]}, "aws_security_groups_admin_cidrs"),
    ("fewer than two AZs", {"aws_network_azs": ["eu-west-1a"], "aws_network_public_subnet_cidrs": ["10.40.0.0/24"],
                            "aws_network_private_subnet_cidrs": ["10.40.10.0/24"]}, "aws_network_azs"),
    ("malformed certificate ARN", {"aws_load_balancers_certificate_arn": "arn:aws:acm:eu-west-1:123:cert/x"},
     "aws_load_balancers_certificate_arn"),
    ("no region", {"estate_region": ""}, "estate_region"),
    ("a file to upload that SHA256SUMS does not list", {"aws_storage_extra_files": ["global-bundle.pem"]},
     "aws_storage_extra_files"),
    ("an unpinned database version", {"aws_database_servers": [{"name": "db", "engine": "postgres",
                                                                "instance_class": "db.m6g.large", "max_databases": 5}]},
     "aws_database_servers[0].engine_version"),
    ("RDS maintenance outside the change window",
     {"change_window_calendars": [{"name": "nightly", "type": "DEFAULT_CLOSED", "timezone": "UTC", "events": [
         {"summary": "w", "start": "2026-01-01T01:00:00", "end": "2026-01-01T05:00:00", "rrule": "FREQ=DAILY"}]}],
      "aws_database_maintenance_window": "sun:12:00-sun:12:30"}, "aws_database_maintenance_window"),
    ("a KMS alias where an ARN is needed", {"aws_storage_kms_key_id": "alias/dsm"}, "aws_storage_kms_key_id"),
    ("a node secret outside the estate's name", {"aws_nodes_admin_secret_id": "shared/admin"}, "aws_nodes_admin_secret_id"),
]


@pytest.mark.parametrize("case, overrides, variable", BAD_INPUTS, ids=[c[0] for c in BAD_INPUTS])
def test_bad_input_fails_before_any_aws_call_naming_the_variable(prerequisites, case, overrides, variable):
    result = run_playbook("playbooks/provision.yml", *LAB, "-e", json.dumps(overrides), env=prerequisites, check=False)
    assert result.returncode != 0, f"{case}: provision accepted bad input"
    assert variable in result.stdout, f"{case}: the error does not name {variable}:\n{result.stdout}"
    assert "PLAY [Provision the estate]" not in result.stdout, f"{case}: failed only after provisioning started"
    assert not any(estate_exists().values()), f"{case}: something was created"


def test_check_mode_reports_changes_and_creates_nothing(prerequisites):
    result = run_playbook("playbooks/provision.yml", *LAB, "--check", env=prerequisites)
    assert recap(result)["localhost"]["changed"] > 0
    assert estate_exists() == {"vpc": False, "bucket": False, "database": False, "load balancer": False}
