"""The lab's AWS emulator answers the collections the playbooks use."""

import boto3

from lab.harness.ansible_run import recap, run_playbook

PLAY = """
- name: A bucket in the emulated account
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Deployment bucket exists
      amazon.aws.s3_bucket:
        name: harness-check-bucket
        region: eu-west-1
        versioning: true
"""


def test_collections_reach_the_emulator_and_respect_check_mode(aws_env, tmp_path):
    playbook = tmp_path / "bucket.yml"
    playbook.write_text(PLAY)
    s3 = boto3.client("s3")

    # s3_bucket has no check mode support: Ansible skips it, and nothing may be created.
    run_playbook(playbook, "--check")
    assert s3.list_buckets()["Buckets"] == []

    applied = run_playbook(playbook)
    assert recap(applied)["localhost"]["changed"] == 1
    assert s3.get_bucket_versioning(Bucket="harness-check-bucket")["Status"] == "Enabled"

    again = run_playbook(playbook)
    assert recap(again)["localhost"]["changed"] == 0


def test_each_module_starts_from_an_empty_account(aws_env):
    # The bucket made by the test above is gone only if the next module's reset works;
    # within this module it must still be there, proving state is shared, not per-call.
    assert [b["Name"] for b in boto3.client("s3").list_buckets()["Buckets"]] == ["harness-check-bucket"]


def test_a_database_created_without_publicly_accessible_is_public_where_aws_makes_it_so(aws_env):
    """CreateDBInstance's documented default: in a subnet group whose VPC has an internet gateway, an instance
    created without PubliclyAccessible is public. The emulator must not hide a role that forgets to say false."""
    ec2, rds = boto3.client("ec2"), boto3.client("rds")
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.9.{i}.0/24", AvailabilityZone=f"eu-west-1{az}")["Subnet"]["SubnetId"]
               for i, az in enumerate("ab")]
    rds.create_db_subnet_group(DBSubnetGroupName="harness", DBSubnetGroupDescription="harness", SubnetIds=subnets)

    def create(name, **extra):
        return rds.create_db_instance(DBInstanceIdentifier=name, DBInstanceClass="db.t3.micro", Engine="postgres",
                                      AllocatedStorage=20, MasterUsername="harness", MasterUserPassword="harness-pw-1",
                                      DBSubnetGroupName="harness", **extra)["DBInstance"]["PubliclyAccessible"]

    assert create("no-gateway") is False
    gateway = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=gateway, VpcId=vpc)
    assert create("unsaid") is True
    assert create("said-private", PubliclyAccessible=False) is False
