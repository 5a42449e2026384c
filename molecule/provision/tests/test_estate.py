"""The estate as an auditor reads it back from the AWS APIs after provision.yml.

Values come from inventories/lab/group_vars (the scenario links them) and from the scenario's
host_vars/localhost.yml, which makes it a staging estate with target-group timings that differ
from the emulator's defaults; each test is one control an auditor checks: who can reach what,
on which port and protocol, with which protection.
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
    # Not sent at CreateSubnet: AWS and the emulator both default to false, and a role that turned it on is seen here.
    assert not any(s["MapPublicIpOnLaunch"] for s in tiers["private"])
    private_ids = {s["SubnetId"] for s in tiers["private"]}
    tables = ec2.describe_route_tables(Filters=[{"Name": "association.subnet-id", "Values": sorted(private_ids)}])
    for table in tables["RouteTables"]:
        assert not [r for r in table["Routes"] if r.get("GatewayId", "").startswith("igw-")], table["RouteTableId"]
    endpoints = ec2.describe_vpc_endpoints(Filters=[{"Name": "vpc-id", "Values": [vpc["VpcId"]]}])["VpcEndpoints"]
    s3 = [e for e in endpoints if e["ServiceName"] == f"com.amazonaws.{REGION}.s3"]
    assert s3 and s3[0]["VpcEndpointType"] == "Gateway"
    assert {t["RouteTableId"] for t in tables["RouteTables"]} <= set(s3[0]["RouteTableIds"])
    # Through it: this account's buckets, and Amazon Linux's package repositories; nobody else's.
    policy = {st["Sid"]: st for st in json.loads(s3[0]["PolicyDocument"])["Statement"]}
    assert policy["EstateBuckets"]["Condition"] == {"StringEquals": {"aws:ResourceAccount": "123456789012"}}
    assert policy["AmazonLinuxRepositories"]["Resource"] == f"arn:aws:s3:::al2023-repos-{REGION}-de612dc2/*"


def test_clients_reach_only_443_on_the_load_balancers(groups):
    assert ingress(groups[f"{ESTATE}-lb"]) == {("tcp", 443, 443): set(CLIENT_CIDRS)}
    assert ingress(groups[f"{ESTATE}-nlb"]) == {("tcp", 443, 443): set(CLIENT_CIDRS)}


def test_nodes_accept_manager_ports_only_from_the_load_balancers_and_each_other(groups):
    lb, nlb, nodes = groups[f"{ESTATE}-lb"]["GroupId"], groups[f"{ESTATE}-nlb"]["GroupId"], groups[f"{ESTATE}-nodes"]
    rules = ingress(nodes)
    # The console from the ALB, and the NLBs' HTTPS health checks of the manager.
    assert rules.pop(("tcp", 4119, 4119)) == {lb, nlb}
    # Heartbeat and relay only from the NLBs' own group: no subnet, no client CIDR.
    assert rules.pop(("tcp", 4120, 4120)) == {nlb}
    assert rules.pop(("tcp", 4122, 4122)) == {nlb}
    assert rules.pop(("tcp", 4118, 4118)) == {nodes["GroupId"]}
    # What is left is administration from the lab inventory's admin CIDRs (the lab keeps SSH), never the internet.
    assert rules == {("tcp", 22, 22): {"10.40.0.0/16"}}


def test_the_heartbeat_and_relay_nlbs_carry_their_security_group(aws, groups):
    found = {lb["LoadBalancerName"]: lb for lb in aws("elbv2").describe_load_balancers()["LoadBalancers"]}
    nlb = groups[f"{ESTATE}-nlb"]["GroupId"]
    assert found[f"{ESTATE}-heartbeat"]["SecurityGroups"] == [nlb]
    assert found[f"{ESTATE}-relay"]["SecurityGroups"] == [nlb]
    assert found[f"{ESTATE}-console"]["SecurityGroups"] == [groups[f"{ESTATE}-lb"]["GroupId"]]


def test_database_accepts_its_port_only_from_the_nodes(groups):
    nodes = groups[f"{ESTATE}-nodes"]["GroupId"]
    assert ingress(groups[f"{ESTATE}-db"]) == {("tcp", 5432, 5432): {nodes}}


def interface_endpoints(ec2, vpc):
    found = ec2.describe_vpc_endpoints(Filters=[{"Name": "vpc-id", "Values": [vpc["VpcId"]]}])["VpcEndpoints"]
    return {e["ServiceName"].rsplit(".", 1)[-1]: e for e in found
            if e["State"].lower() != "deleted" and e["VpcEndpointType"] == "Interface"}


@pytest.mark.parametrize("service", ["secretsmanager", "ssm", "ssmmessages", "ec2messages"])
def test_nodes_reach_secrets_and_session_manager_privately_through_guarded_endpoints(aws, vpc, groups, service):
    # No NAT in the private subnets: without these a booting node cannot read its secrets, and Ansible
    # cannot reach a node through Session Manager.
    ec2 = aws("ec2")
    endpoint = interface_endpoints(ec2, vpc)[service]
    # The SDK's usual <service>.<region>.amazonaws.com resolves to the endpoint inside the VPC.
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


def statements(endpoint):
    return json.loads(endpoint["PolicyDocument"])["Statement"]


def test_no_endpoint_lets_everything_through(aws, vpc):
    # The default endpoint policy allows every action on every account's resources: a way out for data.
    found = aws("ec2").describe_vpc_endpoints(Filters=[{"Name": "vpc-id", "Values": [vpc["VpcId"]]}])["VpcEndpoints"]
    assert len([e for e in found if e["State"].lower() != "deleted"]) == 5
    for endpoint in found:
        for statement in statements(endpoint):
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            assert not [a for a in actions if a == "*" or a.endswith(":*")], endpoint["ServiceName"]
            # Only this account's principals or resources, or AWS's own Amazon Linux repositories.
            assert statement.get("Condition") or "al2023-repos-" in statement["Resource"], endpoint["ServiceName"]


def test_the_secrets_endpoint_serves_this_account_only(aws, vpc):
    (statement,) = statements(interface_endpoints(aws("ec2"), vpc)["secretsmanager"])
    assert set(statement["Action"]) == {"secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"}
    assert statement["Condition"]["StringEquals"] == {"aws:PrincipalAccount": "123456789012",
                                                      "aws:ResourceAccount": "123456789012"}


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
        # The scenario's 10 s (host_vars), not the emulator's default 30 s.
        assert group["HealthCheckIntervalSeconds"] == 10
        assert (group["HealthyThresholdCount"], group["UnhealthyThresholdCount"]) == (3, 5)


def test_deregistration_delay_is_the_configured_one(aws, balancers):
    _, _, groups = balancers
    for group in groups.values():
        attributes = aws("elbv2").describe_target_group_attributes(TargetGroupArn=group["TargetGroupArn"])
        values = {a["Key"]: a["Value"] for a in attributes["Attributes"]}
        # The scenario's 120 s (host_vars), not the emulator's default 300 s.
        assert values["deregistration_delay.timeout_seconds"] == "120", group["TargetGroupName"]


def test_database_is_private_encrypted_multi_az_and_backed_up(aws, groups):
    (db,) = aws("rds").describe_db_instances()["DBInstances"]
    assert db["Engine"] == "postgres"
    # The VPC has an internet gateway: unless the role says false, AWS (and the lab emulator) makes it public.
    assert db["MultiAZ"] and db["StorageEncrypted"] and not db["PubliclyAccessible"]
    assert db["BackupRetentionPeriod"] >= 7
    assert [g["VpcSecurityGroupId"] for g in db["VpcSecurityGroups"]] == [groups[f"{ESTATE}-db"]["GroupId"]]
    assert {s["SubnetAvailabilityZone"]["Name"] for s in db["DBSubnetGroup"]["Subnets"]} == {"eu-west-1a", "eu-west-1b"}
    # A staging estate (host_vars): only the lab may be thrown away without lifting the protection first.
    assert db["DeletionProtection"] is True


def test_a_non_lab_estate_protects_its_load_balancers_from_deletion(aws, balancers):
    found, _, _ = balancers
    assert len(found) == 3
    for name, lb in found.items():
        attributes = aws("elbv2").describe_load_balancer_attributes(LoadBalancerArn=lb["LoadBalancerArn"])["Attributes"]
        assert {"Key": "deletion_protection.enabled", "Value": "true"} in attributes, name


def test_database_holds_the_managers_database_and_refuses_clear_text(aws):
    rds = aws("rds")
    (db,) = rds.describe_db_instances()["DBInstances"]
    # The database the installer expects, on the engine's port.
    assert (db["DBName"], db["Endpoint"]["Port"]) == ("dsm", 5432)
    (group,) = db["DBParameterGroups"]
    parameters = {p["ParameterName"]: p.get("ParameterValue")
                  for p in rds.describe_db_parameters(DBParameterGroupName=group["DBParameterGroupName"])["Parameters"]}
    assert parameters["rds.force_ssl"] == "1"


def test_rds_changes_the_database_only_when_the_runbook_says_and_inside_the_windows(aws):
    (db,) = aws("rds").describe_db_instances()["DBInstances"]
    # Minor versions move with the inventory's pin (the runbook), never on AWS's own schedule.
    assert db["AutoMinorVersionUpgrade"] is False and db["EngineVersion"] == "16.6"
    assert (db["PreferredMaintenanceWindow"], db["PreferredBackupWindow"]) == ("sun:03:00-sun:03:30", "02:00-02:30")


def test_the_manager_has_its_own_login_secret_not_the_master(aws):
    secret = json.loads(aws("secretsmanager").get_secret_value(SecretId=f"{ESTATE}/db-manager")["SecretString"])
    master = json.loads(aws("secretsmanager").get_secret_value(SecretId=f"{ESTATE}/db-master")["SecretString"])
    assert secret["username"] == "dsm" and secret["username"] != master["username"]
    assert len(secret["password"]) >= 32 and secret["password"] != master["password"]
    (db,) = aws("rds").describe_db_instances()["DBInstances"]
    assert (secret["host"], int(secret["port"]), secret["dbname"]) == (db["Endpoint"]["Address"], 5432, "dsm")


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
    # The manager's own login, never the master's.
    assert settings["bootstrap_db_secret_id"].startswith(f"arn:aws:secretsmanager:eu-west-1:123456789012:secret:{ESTATE}/db-manager-")
    assert (settings["manager_db_type"], settings["manager_db_port"], settings["manager_db_name"]) == ("PostgreSQL", 5432, "dsm")
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


def test_node_role_reads_only_the_deployment_bucket_and_its_own_secrets_and_answers_session_manager(aws):
    iam = aws("iam")
    (name,) = iam.list_role_policies(RoleName=f"{ESTATE}-node")["PolicyNames"]
    document = iam.get_role_policy(RoleName=f"{ESTATE}-node", PolicyName=name)["PolicyDocument"]
    if isinstance(document, str):
        document = json.loads(document)
    by_sid = {}
    for statement in document["Statement"]:
        assert statement["Effect"] == "Allow" and "Condition" not in statement
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        by_sid[statement["Sid"]] = (set(actions), resources)
    assert set(by_sid) == {"ReadDeploymentObjects", "FindDeploymentBucket", "ReadNodeSecrets", "SessionManager"}
    bucket = f"arn:aws:s3:::{ESTATE}-deployment"
    assert by_sid["ReadDeploymentObjects"] == ({"s3:GetObject", "s3:GetObjectTagging"},
                                               [f"{bucket}/bootstrap/*", f"{bucket}/manager/*"])
    # HeadBucket (s3_object's first call) needs ListBucket on the bucket itself, without a prefix.
    assert by_sid["FindDeploymentBucket"] == ({"s3:ListBucket", "s3:GetBucketOwnershipControls"}, [bucket])
    actions, secrets = by_sid["ReadNodeSecrets"]
    assert actions == {"secretsmanager:GetSecretValue"}
    names = {arn.split(":secret:")[1] for arn in secrets}
    # The manager's login, and for a node that boots on its own the administrator password and the license;
    # never the master secret.
    assert len(names) == 3 and {f"{ESTATE}/admin-??????", f"{ESTATE}/license-??????"} <= names, names
    assert [n for n in names if n.startswith(f"{ESTATE}/db-manager-")] and not [n for n in names if "db-master" in n]
    # Session Manager only: no parameters, documents or commands.
    actions, resources = by_sid["SessionManager"]
    assert {a.split(":")[0] for a in actions} == {"ssm", "ssmmessages", "ec2messages"}
    assert [a for a in actions if a.startswith("ssm:")] == ["ssm:UpdateInstanceInformation"]
    assert iam.list_attached_role_policies(RoleName=f"{ESTATE}-node")["AttachedPolicies"] == []


def test_node_role_is_bounded_by_the_documented_boundary(aws):
    role = aws("iam").get_role(RoleName=f"{ESTATE}-node")["Role"]
    assert role["PermissionsBoundary"]["PermissionsBoundaryArn"] == f"arn:aws:iam::123456789012:policy/{ESTATE}-node-boundary"


def test_the_session_manager_transfer_bucket_keeps_nothing(aws):
    s3, bucket = aws("s3"), f"{ESTATE}-ssm-transfer-123456789012"
    # Every module and its arguments pass through it: no versions, and whatever is left expires.
    assert s3.get_bucket_versioning(Bucket=bucket).get("Status") in (None, "Suspended")
    (rule,) = s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]
    assert rule["Status"] == "Enabled" and rule["Expiration"]["Days"] == 1
    assert all(s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"].values())
    policy = json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])
    assert any(st["Effect"] == "Deny" and st["Condition"]["Bool"]["aws:SecureTransport"] in ("false", False)
               for st in policy["Statement"])


def test_dns_names_alias_the_three_load_balancers(aws, balancers):
    found, _, _ = balancers
    route53 = aws("route53")
    zone = next(z for z in route53.list_hosted_zones()["HostedZones"] if z["Name"] == "dsm-lab.example.com.")
    records = route53.list_resource_record_sets(HostedZoneId=zone["Id"])["ResourceRecordSets"]
    aliases = {r["Name"]: r["AliasTarget"]["DNSName"].rstrip(".").lower() for r in records if "AliasTarget" in r}
    for flow in ("console", "heartbeat", "relay"):
        assert aliases[f"{flow}.dsm-lab.example.com."] == found[f"{ESTATE}-{flow}"]["DNSName"].lower()
