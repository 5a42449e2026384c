"""The roles' own AWS modules against the emulator, each for the behaviour an operator relies on:
a failover switch in one batch, an NLB without a security group refused, a grant on a volume key."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import boto3
import pytest

REPO = Path(__file__).resolve().parents[2]
REGION = "eu-west-1"


def module(role: str, name: str, args: dict, check: bool = True) -> dict:
    """Run one of a role's modules as Ansible runs it; its JSON result."""
    result = subprocess.run(
        [str(Path(sys.executable).parent / "ansible"), "localhost", "-c", "local", "-m", name, "-a", json.dumps(args),
         "-e", f"ansible_python_interpreter={sys.executable}", "-o"],
        cwd=REPO, capture_output=True, text=True, timeout=300,
        env={**__import__("os").environ, "ANSIBLE_LIBRARY": str(REPO / "roles" / role / "library"),
             "ANSIBLE_CONFIG": str(REPO / "ansible.cfg"), "ANSIBLE_LOAD_CALLBACK_PLUGINS": "0"},
    )
    line = next((l for l in result.stdout.splitlines() if l.startswith("localhost |")), "")
    status, _, output = line.partition("=>")
    answer = json.loads(output) if output.strip().startswith("{") else {"msg": result.stdout + result.stderr}
    answer["failed"] = "FAILED" in status or not output.strip().startswith("{")
    if check:
        assert not answer.get("failed"), answer
    return answer


@pytest.fixture(scope="module")
def network(aws_env):
    ec2 = boto3.client("ec2", region_name=REGION)
    vpc = ec2.create_vpc(CidrBlock="10.60.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.60.{i}.0/24", AvailabilityZone=f"{REGION}{az}")["Subnet"]["SubnetId"]
               for i, az in enumerate("ab")]
    group = ec2.create_security_group(GroupName="est-nlb", Description="nlb", VpcId=vpc)["GroupId"]
    return {"vpc": vpc, "subnets": subnets, "group": group}


def test_an_nlb_is_created_with_its_group_and_keeps_it(network):
    args = {"name": "est-heartbeat", "subnets": network["subnets"], "security_group_ids": [network["group"]], "region": REGION}
    assert module("aws_load_balancers", "aws_load_balancers_nlb_security_groups", args)["action"] == "created"
    (nlb,) = boto3.client("elbv2", region_name=REGION).describe_load_balancers(Names=["est-heartbeat"])["LoadBalancers"]
    assert (nlb["Type"], nlb["SecurityGroups"]) == ("network", [network["group"]])
    again = module("aws_load_balancers", "aws_load_balancers_nlb_security_groups", args)
    assert (again["changed"], again["action"]) == (False, "none")


def test_an_nlb_made_without_a_group_is_refused_with_the_replacement_steps(network):
    elbv2 = boto3.client("elbv2", region_name=REGION)
    arn = elbv2.create_load_balancer(Name="est-relay", Subnets=network["subnets"], Type="network")["LoadBalancers"][0][
        "LoadBalancerArn"]
    answer = module("aws_load_balancers", "aws_load_balancers_nlb_security_groups",
                    {"name": "est-relay", "subnets": network["subnets"], "security_group_ids": [network["group"]],
                     "region": REGION}, check=False)
    assert answer.get("failed")
    assert "only when it is created" in answer["msg"] and f"delete-load-balancer --load-balancer-arn {arn}" in answer["msg"]
    assert "Nothing was changed" in answer["msg"]
    (nlb,) = elbv2.describe_load_balancers(Names=["est-relay"])["LoadBalancers"]
    assert nlb["SecurityGroups"] == []


@pytest.fixture(scope="module")
def zone(aws_env):
    route53 = boto3.client("route53")
    zone_id = route53.create_hosted_zone(Name="est.example.com", CallerReference="est")["HostedZone"]["Id"].split("/")[-1]
    return zone_id


def records(zone_id: str) -> dict[str, str]:
    sets = boto3.client("route53").list_resource_record_sets(HostedZoneId=zone_id)["ResourceRecordSets"]
    return {r.get("SetIdentifier", "plain"): r.get("Failover", "") for r in sets if r["Name"] == "console.est.example.com."}


def test_dns_failover_is_switched_on_and_off_for_a_running_estate_in_one_batch(zone):
    base = {"hosted_zone_id": zone, "names": {"console": "console.est.example.com"}, "region": REGION,
            "targets": {"console": {"dns_name": "est-console-1.eu-west-1.elb.amazonaws.com", "zone_id": "Z32O12XQLNTSW2"}}}
    failover = {"identifier_prefix": "est", "health_check_id": "7b2d39b6-0000-4000-8000-000000000000", "ttl": 60,
                "secondary": {"console": {"values": ["198.51.100.10"]}}}
    module("aws_dns", "aws_dns_records", base)
    assert records(zone) == {"plain": ""}
    switched = module("aws_dns", "aws_dns_records", {**base, "failover": failover})
    # The plain alias goes and the pair comes in the same change: Route 53 applies a batch atomically.
    assert [c["Action"] for c in switched["changes"]] == ["DELETE", "UPSERT", "UPSERT"]
    assert records(zone) == {"est-primary": "PRIMARY", "est-secondary": "SECONDARY"}
    assert module("aws_dns", "aws_dns_records", {**base, "failover": failover})["changed"] is False
    module("aws_dns", "aws_dns_records", base)
    assert records(zone) == {"plain": ""}


def test_auto_scaling_gets_a_grant_on_the_volume_key(aws_env):
    key = boto3.client("kms", region_name=REGION).create_key(Description="volumes")["KeyMetadata"]["Arn"]
    first = module("aws_nodes", "aws_nodes_kms_grant", {"key_arn": key, "name": "est-node-volumes", "region": REGION})
    assert first["changed"] and first["grantee"].endswith(
        ":role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling")
    (grant,) = boto3.client("kms", region_name=REGION).list_grants(KeyId=key)["Grants"]
    assert grant["GranteePrincipal"] == first["grantee"] and "CreateGrant" in grant["Operations"]
    assert module("aws_nodes", "aws_nodes_kms_grant", {"key_arn": key, "name": "est-node-volumes", "region": REGION})[
        "changed"] is False
