"""The estate as an auditor reads it back from the AWS APIs after provision.yml.

Values come from inventories/lab/group_vars (the scenario links them); each test is one
control an auditor checks: who can reach what, on which port and protocol, with which
protection.
"""

import base64
import hashlib
import json

import boto3
import pytest

ESTATE = "dsm-lab"
REGION = "eu-west-1"
CLIENT_CIDRS = ["198.51.100.0/24"]
OPEN = {"0.0.0.0/0", "::/0"}


@pytest.fixture(scope="module")
def aws():
    return lambda service: boto3.client(service, region_name=REGION)


@pytest.fixture(scope="module")
def vpc(aws):
    vpcs = aws("ec2").describe_vpcs(Filters=[{"Name": "tag:Estate", "Values": [ESTATE]}])["Vpcs"]
    assert len(vpcs) == 1, vpcs
    return vpcs[0]


@pytest.fixture(scope="module")
def groups(aws, vpc):
    found = aws("ec2").describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [vpc["VpcId"]]}])["SecurityGroups"]
    return {g["GroupName"]: g for g in found}


def ingress(group):
    """{(protocol, from, to): {source, ...}} of a security group."""
    rules = {}
    for perm in group["IpPermissions"]:
        key = (perm["IpProtocol"], perm.get("FromPort"), perm.get("ToPort"))
        sources = {r["CidrIp"] for r in perm.get("IpRanges", [])}
        sources |= {r["CidrIpv6"] for r in perm.get("Ipv6Ranges", [])}
        sources |= {p["GroupId"] for p in perm.get("UserIdGroupPairs", [])}
        rules.setdefault(key, set()).update(sources)
    return rules


def test_private_subnets_in_two_azs_without_internet_route(aws, vpc):
    ec2 = aws("ec2")
    subnets = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc["VpcId"]]}])["Subnets"]
    tiers = {}
    for subnet in subnets:
        tier = {t["Key"]: t["Value"] for t in subnet.get("Tags", [])}.get("Tier")
        tiers.setdefault(tier, []).append(subnet)
    assert {s["AvailabilityZone"] for s in tiers["private"]} == {"eu-west-1a", "eu-west-1b"}
    assert {s["AvailabilityZone"] for s in tiers["public"]} == {"eu-west-1a", "eu-west-1b"}
    assert not any(s["MapPublicIpOnLaunch"] for s in tiers["private"])
    private_ids = {s["SubnetId"] for s in tiers["private"]}
    tables = ec2.describe_route_tables(Filters=[{"Name": "association.subnet-id", "Values": sorted(private_ids)}])
    for table in tables["RouteTables"]:
        assert not [r for r in table["Routes"] if r.get("GatewayId", "").startswith("igw-")], table["RouteTableId"]
    endpoints = ec2.describe_vpc_endpoints(Filters=[{"Name": "vpc-id", "Values": [vpc["VpcId"]]}])["VpcEndpoints"]
    s3 = [e for e in endpoints if e["ServiceName"] == f"com.amazonaws.{REGION}.s3"]
    assert s3 and s3[0]["VpcEndpointType"] == "Gateway"
    assert {t["RouteTableId"] for t in tables["RouteTables"]} <= set(s3[0]["RouteTableIds"])


def test_clients_reach_only_443_on_the_load_balancers(groups):
    assert ingress(groups[f"{ESTATE}-lb"]) == {("tcp", 443, 443): set(CLIENT_CIDRS)}


def test_nodes_accept_manager_ports_only_from_the_load_balancers_and_each_other(groups):
    lb, nodes = groups[f"{ESTATE}-lb"]["GroupId"], groups[f"{ESTATE}-nodes"]
    # NLBs carry no security group and do not preserve client IPs here: heartbeat, relay and
    # their HTTPS health checks come from the NLB addresses in the public subnets.
    nlb_sources = {"10.40.0.0/24", "10.40.1.0/24"}
    rules = ingress(nodes)
    assert rules.pop(("tcp", 4119, 4119)) == {lb} | nlb_sources
    assert rules.pop(("tcp", 4120, 4120)) == nlb_sources
    assert rules.pop(("tcp", 4122, 4122)) == nlb_sources
    assert rules.pop(("tcp", 4118, 4118)) == {nodes["GroupId"]}
    # What is left is administration from the configured admin CIDRs, never the internet.
    assert rules == {("tcp", 22, 22): {"10.40.0.0/16"}}


def test_database_accepts_its_port_only_from_the_nodes(groups):
    nodes = groups[f"{ESTATE}-nodes"]["GroupId"]
    assert ingress(groups[f"{ESTATE}-db"]) == {("tcp", 5432, 5432): {nodes}}


def test_nodes_reach_secrets_manager_privately_through_a_guarded_endpoint(aws, vpc, groups):
    # No NAT in the private subnets: without this endpoint a booting node cannot read its secrets.
    ec2 = aws("ec2")
    endpoints = [e for e in ec2.describe_vpc_endpoints(Filters=[
        {"Name": "vpc-id", "Values": [vpc["VpcId"]]},
        {"Name": "service-name", "Values": [f"com.amazonaws.{REGION}.secretsmanager"]}])["VpcEndpoints"]
        if e["State"].lower() != "deleted"]
    assert len(endpoints) == 1, endpoints
    (endpoint,) = endpoints
    assert endpoint["VpcEndpointType"] == "Interface"
    # The SDK's usual secretsmanager.<region>.amazonaws.com resolves to the endpoint inside the VPC.
    assert endpoint["PrivateDnsEnabled"] is True
    assert vpc_attribute(ec2, vpc, "enableDnsSupport") and vpc_attribute(ec2, vpc, "enableDnsHostnames")
    # One network interface in each AZ's private subnet, none in a public one.
    subnets = ec2.describe_subnets(SubnetIds=endpoint["SubnetIds"])["Subnets"]
    assert {tag["Value"] for s in subnets for tag in s["Tags"] if tag["Key"] == "Tier"} == {"private"}
    assert sorted(s["AvailabilityZone"] for s in subnets) == ["eu-west-1a", "eu-west-1b"]
    # Guarded by its own group, which admits HTTPS from the nodes and nothing else.
    guard = groups[f"{ESTATE}-endpoints"]
    assert [g["GroupId"] for g in endpoint["Groups"]] == [guard["GroupId"]]
    assert ingress(guard) == {("tcp", 443, 443): {groups[f"{ESTATE}-nodes"]["GroupId"]}}


def vpc_attribute(ec2, vpc, name):
    key = name[0].upper() + name[1:]
    return ec2.describe_vpc_attribute(VpcId=vpc["VpcId"], Attribute=name)[key]["Value"]


@pytest.fixture(scope="module")
def balancers(aws):
    elb = aws("elbv2")
    found = {lb["LoadBalancerName"]: lb for lb in elb.describe_load_balancers()["LoadBalancers"]}
    listeners = {name: elb.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"]
                 for name, lb in found.items()}
    groups = {tg["TargetGroupName"]: tg for tg in elb.describe_target_groups()["TargetGroups"]}
    return found, listeners, groups


def test_one_load_balancer_per_flow_all_on_443(balancers):
    found, listeners, _ = balancers
    flows = {name.removeprefix(f"{ESTATE}-"): lb for name, lb in found.items()}
    assert flows["console"]["Type"] == "application"
    assert flows["heartbeat"]["Type"] == flows["relay"]["Type"] == "network"
    assert all(lb["Scheme"] == "internet-facing" for lb in flows.values())
    protocols = {name.removeprefix(f"{ESTATE}-"): {(l["Port"], l["Protocol"]) for l in ls}
                 for name, ls in listeners.items()}
    assert protocols == {"console": {(443, "HTTPS")}, "heartbeat": {(443, "TCP")}, "relay": {(443, "TCP")}}


def test_console_terminates_tls_with_the_acm_certificate_and_tls12_policy(balancers):
    _, listeners, _ = balancers
    (console,) = listeners[f"{ESTATE}-console"]
    assert console["SslPolicy"].startswith("ELBSecurityPolicy-TLS13-1-2")
    assert console["Certificates"][0]["CertificateArn"].startswith(f"arn:aws:acm:{REGION}:")


def test_target_groups_forward_to_the_manager_ports_with_health_checks(balancers):
    _, _, groups = balancers
    console, heartbeat, relay = (groups[f"{ESTATE}-{flow}"] for flow in ("console", "heartbeat", "relay"))
    assert (console["Protocol"], console["Port"]) == ("HTTPS", 4119)
    assert (console["HealthCheckProtocol"], console["HealthCheckPath"]) == ("HTTPS", "/rest/status/manager/ping")
    assert console["Matcher"]["HttpCode"] == "200"
    assert (heartbeat["Protocol"], heartbeat["Port"]) == ("TCP", 4120)
    assert (relay["Protocol"], relay["Port"]) == ("TCP", 4122)
    for group in (console, heartbeat, relay):
        assert group["HealthCheckIntervalSeconds"] == 30
        assert (group["HealthyThresholdCount"], group["UnhealthyThresholdCount"]) == (3, 5)


def test_deregistration_delay_is_the_configured_one(aws, balancers):
    _, _, groups = balancers
    for group in groups.values():
        attributes = aws("elbv2").describe_target_group_attributes(TargetGroupArn=group["TargetGroupArn"])
        values = {a["Key"]: a["Value"] for a in attributes["Attributes"]}
        assert values["deregistration_delay.timeout_seconds"] == "300", group["TargetGroupName"]


def test_database_is_private_encrypted_multi_az_and_backed_up(aws, groups):
    (db,) = aws("rds").describe_db_instances()["DBInstances"]
    assert db["Engine"] == "postgres"
    assert db["MultiAZ"] and db["StorageEncrypted"] and not db["PubliclyAccessible"]
    assert db["BackupRetentionPeriod"] >= 7
    assert [g["VpcSecurityGroupId"] for g in db["VpcSecurityGroups"]] == [groups[f"{ESTATE}-db"]["GroupId"]]
    assert {s["SubnetAvailabilityZone"]["Name"] for s in db["DBSubnetGroup"]["Subnets"]} == {"eu-west-1a", "eu-west-1b"}
    # The lab may be thrown away; every other environment keeps deletion protection.
    assert db["DeletionProtection"] is False


def test_deployment_bucket_is_private_encrypted_versioned_and_tls_only(aws):
    s3, bucket = aws("s3"), f"{ESTATE}-deployment"
    block = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    assert all(block.values()) and len(block) == 4
    rules = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"]
    assert rules[0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] in {"AES256", "aws:kms"}
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    policy = json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])
    assert any(st["Effect"] == "Deny" and st["Condition"]["Bool"]["aws:SecureTransport"] in ("false", False)
               for st in policy["Statement"])


def test_installers_and_manifest_are_uploaded_with_their_checksums(aws):
    s3, bucket = aws("s3"), f"{ESTATE}-deployment"
    manifest = s3.get_object(Bucket=bucket, Key="manager/SHA256SUMS")["Body"].read().decode()
    sums = dict(reversed(line.split()) for line in manifest.splitlines())
    assert len(sums) >= 3
    for name, digest in sums.items():
        head = s3.head_object(Bucket=bucket, Key=f"manager/{name}")
        assert head["Metadata"]["sha256"] == digest, name


def test_nodes_bootstrap_from_the_bundle_and_settings_pinned_to_the_estate_version(aws):
    s3, bucket = aws("s3"), f"{ESTATE}-deployment"
    bundle = s3.get_object(Bucket=bucket, Key="bootstrap/bundle.tar.gz")
    assert bundle["Metadata"]["sha256"] == hashlib.sha256(bundle["Body"].read()).hexdigest()
    settings_object = s3.get_object(Bucket=bucket, Key="bootstrap/settings.json")
    text = settings_object["Body"].read()
    assert settings_object["Metadata"]["sha256"] == hashlib.sha256(text).hexdigest()
    settings = json.loads(text)
    # inventories/lab: the estate's manager_version, its bucket and secrets by id only.
    assert settings["manager_version"] == "20.0.877"
    assert (settings["manager_bucket"], settings["manager_s3_prefix"]) == (bucket, "manager")
    assert settings["bootstrap_db_secret_id"].startswith("arn:aws:secretsmanager:eu-west-1:")
    assert (settings["bootstrap_admin_secret_id"], settings["bootstrap_license_secret_id"]) == (f"{ESTATE}/admin", f"{ESTATE}/license")
    # Every node launched after the first one joins the database it installed.
    assert settings["manager_database_installed"] is True
    assert not [key for key in settings if key.endswith(("password", "license", "activation_code"))], settings
    user_data = base64.b64decode(aws("ec2").describe_launch_template_versions(
        LaunchTemplateName=f"{ESTATE}-node", Versions=["$Latest"])["LaunchTemplateVersions"][0]["LaunchTemplateData"]["UserData"]).decode()
    assert bucket in user_data and "bootstrap/bundle.tar.gz bootstrap/settings.json" in user_data, user_data


def test_nodes_launch_from_amazon_linux_with_imdsv2_and_no_public_ip(aws, groups):
    ec2 = aws("ec2")
    versions = ec2.describe_launch_template_versions(LaunchTemplateName=f"{ESTATE}-node", Versions=["$Latest"])
    data = versions["LaunchTemplateVersions"][0]["LaunchTemplateData"]
    assert data["MetadataOptions"]["HttpTokens"] == "required"
    (interface,) = data["NetworkInterfaces"]
    assert interface["AssociatePublicIpAddress"] is False
    assert interface["Groups"] == [groups[f"{ESTATE}-nodes"]["GroupId"]]
    assert data["IamInstanceProfile"]["Arn"].endswith(f"/{ESTATE}-node")
    assert data["UserData"]
    assert all(m["Ebs"]["Encrypted"] for m in data["BlockDeviceMappings"])


def test_auto_scaling_is_for_failover_only(aws, balancers):
    _, _, target_groups = balancers
    found = aws("autoscaling").describe_auto_scaling_groups()["AutoScalingGroups"]
    mine = [g for g in found if g["AutoScalingGroupName"].startswith(f"{ESTATE}-node-")]
    assert len(mine) == 3
    for group in mine:
        assert group["MinSize"] == group["MaxSize"] == group["DesiredCapacity"] == 1
        assert group["HealthCheckType"] == "ELB"
        # Launch before terminate: a replacement is healthy before the failed node goes.
        assert group["InstanceMaintenancePolicy"] == {"MinHealthyPercentage": 100, "MaxHealthyPercentage": 200}
        assert set(group["TargetGroupARNs"]) == {tg["TargetGroupArn"] for tg in target_groups.values()}
    assert {g["AvailabilityZones"][0] for g in mine} == {"eu-west-1a", "eu-west-1b"}


def test_node_role_reads_only_the_deployment_bucket_and_the_node_secrets(aws):
    iam = aws("iam")
    (name,) = iam.list_role_policies(RoleName=f"{ESTATE}-node")["PolicyNames"]
    document = iam.get_role_policy(RoleName=f"{ESTATE}-node", PolicyName=name)["PolicyDocument"]
    if isinstance(document, str):
        document = json.loads(document)
    actions, secrets = set(), set()
    for statement in document["Statement"]:
        assert statement["Effect"] == "Allow"
        resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        assert "*" not in resources
        for resource in resources:
            assert resource.startswith((f"arn:aws:s3:::{ESTATE}-deployment", "arn:aws:secretsmanager:")), resource
        actions |= set(statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]])
        secrets |= {r for r in resources if r.startswith("arn:aws:secretsmanager:")}
    assert actions <= {"s3:GetObject", "s3:ListBucket", "secretsmanager:GetSecretValue"}
    # The database login, and for a node that boots on its own the administrator password and the license.
    names = {arn.split(":secret:")[1] for arn in secrets}
    assert len(secrets) == 3, secrets
    assert {f"{ESTATE}/admin-??????", f"{ESTATE}/license-??????"} <= names, names
    assert all(":secretsmanager:eu-west-1:" in arn for arn in secrets), secrets
    assert iam.list_attached_role_policies(RoleName=f"{ESTATE}-node")["AttachedPolicies"] == []


def test_dns_names_alias_the_three_load_balancers(aws, balancers):
    found, _, _ = balancers
    route53 = aws("route53")
    zone = next(z for z in route53.list_hosted_zones()["HostedZones"] if z["Name"] == "dsm-lab.example.com.")
    records = route53.list_resource_record_sets(HostedZoneId=zone["Id"])["ResourceRecordSets"]
    aliases = {r["Name"]: r["AliasTarget"]["DNSName"].rstrip(".").lower() for r in records if "AliasTarget" in r}
    for flow in ("console", "heartbeat", "relay"):
        assert aliases[f"{flow}.dsm-lab.example.com."] == found[f"{ESTATE}-{flow}"]["DNSName"].lower()
