"""The estate's monitoring and logging (aws_monitoring, aws_logging, as provision.yml runs them) as an operator relies on
them: every target group and database alarmed to the estate's topic, database events and node replacements sent
there, every load balancer and the VPC logging into a private, encrypted, TLS-only bucket that expires logs after
the inventory's retention, a CloudTrail trail, the runbook's audit log shipped after the run, and an evidence bucket
under S3 Object Lock that takes the compliance run's evidence bundle. Bad input is refused before any AWS call,
naming the variable; a re-run changes nothing.

What the emulator cannot show (alarms firing, logs delivered, e-mail confirmations) is in the roles' READMEs.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone

import boto3
import pytest
from botocore.exceptions import ClientError

from lab.harness.ansible_run import recap, run_playbook

LAB = ["-i", "inventories/lab"]
ESTATE = "dsm-lab"
LOG_BUCKET = f"{ESTATE}-logs"
RETENTION = 30  # inventories/lab/group_vars/all/estate.yml
EVIDENCE_BUCKET = f"{ESTATE}-evidence"
EVIDENCE_LOCK = {"Mode": "GOVERNANCE", "Days": 1}  # the same file
BUNDLE = ("compliance.json", "compliance.xml", "compliance.html", "SHA256SUMS")


def run_roles(env: dict, audit_log, *args: str):
    return run_playbook("tests/integration/playbooks/monitoring_logging.yml", *LAB, "-e", f"vpc_id={env['vpc_id']}",
                        "-e", f"db_identifier={ESTATE}-db", "-e", f"audit_log={audit_log}", *args, env=env["env"])


@pytest.fixture(scope="module")
def estate(prerequisites):
    """What the roles read, made as the other provisioning roles make it: the VPC, the three load balancers with
    their target groups, the database. The whole of provision.yml runs in test_least_privilege.py."""
    ec2, elbv2 = boto3.client("ec2"), boto3.client("elbv2")
    vpc = ec2.create_vpc(CidrBlock="10.40.0.0/16", TagSpecifications=[
        {"ResourceType": "vpc", "Tags": [{"Key": "Estate", "Value": ESTATE}]}])["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.40.{i}.0/24", AvailabilityZone=f"eu-west-1{az}")["Subnet"]["SubnetId"]
               for i, az in enumerate("ab")]
    for flow, kind, protocol, port in (("console", "application", "HTTPS", 4119), ("heartbeat", "network", "TCP", 4120),
                                       ("relay", "network", "TCP", 4122)):
        lb = elbv2.create_load_balancer(Name=f"{ESTATE}-{flow}", Subnets=subnets, Type=kind)["LoadBalancers"][0]
        group = elbv2.create_target_group(Name=f"{ESTATE}-{flow}", Protocol=protocol, Port=port, VpcId=vpc,
                                          TargetType="instance")["TargetGroups"][0]
        elbv2.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="TCP" if kind == "network" else "HTTP",
                              Port=443, DefaultActions=[{"Type": "forward", "TargetGroupArn": group["TargetGroupArn"]}])
    # The nodes' group, as aws_security_groups makes it: admits the console port from the load balancers only.
    lb_group = ec2.create_security_group(GroupName=f"{ESTATE}-lb", Description="lb", VpcId=vpc)["GroupId"]
    nodes = ec2.create_security_group(GroupName=f"{ESTATE}-nodes", Description="nodes", VpcId=vpc, TagSpecifications=[
        {"ResourceType": "security-group", "Tags": [{"Key": "Estate", "Value": ESTATE}]}])["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=nodes, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 4119, "ToPort": 4119, "UserIdGroupPairs": [{"GroupId": lb_group}]}])
    boto3.client("rds").create_db_instance(DBInstanceIdentifier=f"{ESTATE}-db", Engine="postgres",
                                           DBInstanceClass="db.m6g.large", AllocatedStorage=20, MasterUsername="dsm",
                                           MasterUserPassword="not-a-secret-0")
    return {"env": prerequisites, "vpc_id": vpc}


@pytest.fixture(scope="module")
def provisioned(estate, tmp_path_factory):
    """Check mode first (it reports the changes and makes none), then the apply."""
    audit_log = tmp_path_factory.mktemp("audit") / "change-window.jsonl"
    audit_log.write_text(json.dumps({"step": "run", "result": "done"}) + "\n")
    check = run_roles(estate, audit_log, "--check")
    assert recap(check)["localhost"]["changed"] > 0
    assert LOG_BUCKET not in [b["Name"] for b in boto3.client("s3").list_buckets()["Buckets"]]
    assert not boto3.client("sns").list_topics()["Topics"] and not boto3.client("cloudwatch").describe_alarms()["MetricAlarms"]
    run_roles(estate, audit_log)
    return {**estate, "audit_log": audit_log}


# The filters' own cases are in tests/unit/test_aws_monitoring_filters.py; here, that provision.yml stops on them.
BAD_INPUTS = [
    ("a retention of 0", {"aws_logging_retention_days": 0}, "aws_logging_retention_days"),
    ("an e-mail endpoint that is not an address",
     {"aws_monitoring_subscriptions": [{"protocol": "email", "endpoint": "ops-at-example.com"}]},
     "aws_monitoring_subscriptions[0].endpoint"),
    ("an evidence lock mode S3 does not know", {"aws_logging_evidence_lock_mode": "FOREVER"},
     "aws_logging_evidence_lock_mode"),
    ("evidence locked for no time", {"aws_logging_evidence_retention_days": 0}, "aws_logging_evidence_retention_days"),
]


@pytest.mark.parametrize("case, overrides, variable", BAD_INPUTS, ids=[c[0] for c in BAD_INPUTS])
def test_bad_input_fails_before_any_aws_call_naming_the_variable(prerequisites, case, overrides, variable):
    result = run_playbook("playbooks/provision.yml", *LAB, "-e", json.dumps(overrides), env=prerequisites, check=False)
    assert result.returncode != 0, f"{case}: provision accepted bad input"
    assert variable in result.stdout, f"{case}: the error does not name {variable}:\n{result.stdout[-3000:]}"
    assert "PLAY [Provision the estate]" not in result.stdout, f"{case}: failed only after provisioning started"
    assert LOG_BUCKET not in [b["Name"] for b in boto3.client("s3").list_buckets()["Buckets"]]


def topic_arn() -> str:
    (arn,) = [t["TopicArn"] for t in boto3.client("sns").list_topics()["Topics"] if t["TopicArn"].endswith(f":{ESTATE}-alerts")]
    return arn


def test_every_target_group_and_database_is_alarmed_to_the_estates_topic(provisioned):
    alarms = {a["AlarmName"]: a for a in boto3.client("cloudwatch").describe_alarms()["MetricAlarms"]}
    groups = {g["TargetGroupName"]: g for g in boto3.client("elbv2").describe_target_groups()["TargetGroups"]}
    databases = [d["DBInstanceIdentifier"] for d in boto3.client("rds").describe_db_instances()["DBInstances"]]
    assert groups and databases
    expected = {f"{g}-{kind}" for g in groups for kind in ("unhealthy-hosts", "healthy-hosts-low")}
    expected |= {f"{d}-{kind}" for d in databases for kind in ("cpu-high", "free-storage-low", "connections-high")}
    assert set(alarms) == expected
    for name, alarm in alarms.items():
        assert alarm["AlarmActions"] == [topic_arn()] and alarm["OKActions"] == [topic_arn()], name
    console = alarms[f"{ESTATE}-console-unhealthy-hosts"]
    dimensions = {d["Name"]: d["Value"] for d in console["Dimensions"]}
    assert console["Namespace"] == "AWS/ApplicationELB"
    assert groups[f"{ESTATE}-console"]["TargetGroupArn"].endswith(dimensions["TargetGroup"])
    assert dimensions["LoadBalancer"].startswith(f"app/{ESTATE}-console/")
    assert alarms[f"{ESTATE}-heartbeat-healthy-hosts-low"]["Namespace"] == "AWS/NetworkELB"


def test_database_events_and_node_replacements_reach_the_topic(provisioned):
    (subscription,) = boto3.client("rds").describe_event_subscriptions()["EventSubscriptionsList"]
    assert subscription["SnsTopicArn"] == topic_arn()
    assert sorted(subscription["EventCategoriesList"]) == ["failover", "low storage", "maintenance"]
    assert subscription["SourceIdsList"] == [f"{ESTATE}-db"]
    events = boto3.client("events")
    rule = events.describe_rule(Name=f"{ESTATE}-node-replaced")
    pattern = json.loads(rule["EventPattern"])
    assert pattern["source"] == ["aws.autoscaling"] and "EC2 Instance Terminate Successful" in pattern["detail-type"]
    assert pattern["detail"]["AutoScalingGroupName"] == [{"prefix": f"{ESTATE}-node-"}]
    assert [t["Arn"] for t in events.list_targets_by_rule(Rule=f"{ESTATE}-node-replaced")["Targets"]] == [topic_arn()]
    policy = json.loads(boto3.client("sns").get_topic_attributes(TopicArn=topic_arn())["Attributes"]["Policy"])
    assert {"events.amazonaws.com", "events.rds.amazonaws.com"} <= set(policy["Statement"][0]["Principal"]["Service"])


def test_the_log_bucket_is_private_encrypted_tls_only_and_keeps_the_retention(provisioned):
    s3 = boto3.client("s3")
    block = s3.get_public_access_block(Bucket=LOG_BUCKET)["PublicAccessBlockConfiguration"]
    assert all(block.values()) and len(block) == 4
    (rule,) = s3.get_bucket_encryption(Bucket=LOG_BUCKET)["ServerSideEncryptionConfiguration"]["Rules"]
    assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    policy = json.loads(s3.get_bucket_policy(Bucket=LOG_BUCKET)["Policy"])
    deny = [s for s in policy["Statement"] if s["Effect"] == "Deny"]
    assert deny and deny[0]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert not [s for s in policy["Statement"] if s["Effect"] == "Allow" and s["Principal"] == "*"]
    (lifecycle,) = s3.get_bucket_lifecycle_configuration(Bucket=LOG_BUCKET)["Rules"]
    assert lifecycle["Status"] == "Enabled" and lifecycle["Expiration"]["Days"] == RETENTION
    assert lifecycle["NoncurrentVersionExpiration"]["NoncurrentDays"] == RETENTION
    assert s3.get_bucket_versioning(Bucket=LOG_BUCKET)["Status"] == "Enabled"


def test_the_evidence_bucket_is_private_encrypted_tls_only_and_locks_every_object(provisioned):
    s3 = boto3.client("s3")
    lock = s3.get_object_lock_configuration(Bucket=EVIDENCE_BUCKET)["ObjectLockConfiguration"]
    assert lock == {"ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": EVIDENCE_LOCK}}, lock
    assert s3.get_bucket_versioning(Bucket=EVIDENCE_BUCKET)["Status"] == "Enabled"
    block = s3.get_public_access_block(Bucket=EVIDENCE_BUCKET)["PublicAccessBlockConfiguration"]
    assert all(block.values()) and len(block) == 4
    (rule,) = s3.get_bucket_encryption(Bucket=EVIDENCE_BUCKET)["ServerSideEncryptionConfiguration"]["Rules"]
    assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    (statement,) = json.loads(s3.get_bucket_policy(Bucket=EVIDENCE_BUCKET)["Policy"])["Statement"]
    assert (statement["Effect"], statement["Condition"]) == ("Deny", {"Bool": {"aws:SecureTransport": "false"}})


def test_load_balancers_vpc_and_api_calls_log_into_the_bucket(provisioned):
    elbv2, ec2 = boto3.client("elbv2"), boto3.client("ec2")
    for lb in elbv2.describe_load_balancers()["LoadBalancers"]:
        attributes = {a["Key"]: a["Value"] for a in
                      elbv2.describe_load_balancer_attributes(LoadBalancerArn=lb["LoadBalancerArn"])["Attributes"]}
        assert (attributes["access_logs.s3.enabled"], attributes["access_logs.s3.bucket"],
                attributes["access_logs.s3.prefix"]) == ("true", LOG_BUCKET, f"lb/{lb['LoadBalancerName']}")
    (vpc,) = ec2.describe_vpcs(Filters=[{"Name": "tag:Estate", "Values": [ESTATE]}])["Vpcs"]
    (flow,) = ec2.describe_flow_logs(Filters=[{"Name": "resource-id", "Values": [vpc["VpcId"]]}])["FlowLogs"]
    assert (flow["LogDestinationType"], flow["LogDestination"], flow["TrafficType"]) == (
        "s3", f"arn:aws:s3:::{LOG_BUCKET}/vpc-flow-logs", "ALL")
    (trail,) = boto3.client("cloudtrail").describe_trails()["trailList"]
    assert (trail["Name"], trail["S3BucketName"], trail["IsMultiRegionTrail"], trail["LogFileValidationEnabled"]) == (
        f"{ESTATE}-trail", LOG_BUCKET, True, True)
    assert boto3.client("cloudtrail").get_trail_status(Name=trail["TrailARN"])["IsLogging"]


def shipped() -> dict[str, bytes]:
    s3 = boto3.client("s3")
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=LOG_BUCKET, Prefix=f"audit/{ESTATE}/").get("Contents", [])]
    return {key: s3.get_object(Bucket=LOG_BUCKET, Key=key)["Body"].read() for key in keys}


def test_the_audit_log_is_shipped_after_the_run(provisioned):
    (key, body), = shipped().items()
    assert key.startswith(f"audit/{ESTATE}/") and key.endswith("/change-window.jsonl")
    assert body == provisioned["audit_log"].read_bytes(), "the shipped audit log is not the controller's"


def test_a_second_run_changes_nothing_and_ships_the_new_entries(provisioned):
    with provisioned["audit_log"].open("a") as log:
        log.write(json.dumps({"step": "run", "result": "done", "note": "second"}) + "\n")
    result = run_roles(provisioned, provisioned["audit_log"])
    assert recap(result)["localhost"]["changed"] == 0, result.stdout[-4000:]
    (body,) = shipped().values()
    assert body == provisioned["audit_log"].read_bytes()


def test_check_mode_on_the_built_estate_reports_no_change(provisioned):
    result = run_roles(provisioned, provisioned["audit_log"], "--check")
    assert recap(result)["localhost"]["changed"] == 0, result.stdout[-4000:]


# Compliance evidence of the same estate (playbooks/compliance.yml). The estate here has no nodes, node role,
# deployment or transfer bucket: those controls FAIL, which the negative tests below do not depend on.

def compliance(out_dir, identity: dict | None = None) -> tuple[dict, float, list[dict]]:
    """Run compliance.yml (with ``identity``: as that identity, IAM enforced); its JSON, wall time and the calls made."""
    import contextlib
    import time

    from tests.integration.least_privilege import calls, enforced, mark

    since, started = mark(), time.monotonic()
    with enforced() if identity else contextlib.nullcontext():
        run_playbook("playbooks/compliance.yml", *LAB, "-e", f"compliance_output_dir={out_dir}", env={**ENV, **(identity or {})})
    took = time.monotonic() - started
    (day,) = list(out_dir.iterdir())
    return json.loads((day / "compliance.json").read_text()), took, calls(since)


ENV: dict = {}
READ_ONLY = ("Describe", "List", "Get", "Head")


@pytest.fixture(scope="module")
def evidence(provisioned, tmp_path_factory):
    from tests.integration.least_privilege import render, user_with_policy

    ENV.update(provisioned["env"])
    out = tmp_path_factory.mktemp("evidence")
    # As the identity of docs/iam/controller-compliance.json, with IAM enforced: a call outside it is refused.
    report, took, made = compliance(out, user_with_policy("controller-compliance", render("controller-compliance")))
    return {"report": report, "took": took, "calls": made, "dir": next(out.iterdir())}


def test_the_compliance_run_is_read_only_fast_and_covers_the_register(evidence):
    writes = sorted({(c["action"], c["resource"]) for c in evidence["calls"]
                     if not c["action"].split(":")[1].startswith(READ_ONLY) and c["action"] != "sts:GetCallerIdentity"})
    # Its one write is its own record: the evidence bundle, into the evidence bucket.
    day = evidence["dir"].name
    assert evidence["calls"] and writes == sorted(
        ("s3:PutObject", f"arn:aws:s3:::{EVIDENCE_BUCKET}/evidence/{day}/{name}") for name in BUNDLE), (
        f"compliance.yml made mutating calls: {writes}")
    refused = sorted({c["action"] for c in evidence["calls"] if c["outcome"] == "denied"})
    assert not refused, f"outside docs/iam/controller-compliance.json: {refused}"
    # This estate has no deployment bucket, so no node settings to read; nothing else is unread, nothing denied.
    assert set(evidence["report"]["unread"]) <= {"node_settings_keys"}, evidence["report"]["unread"]
    assert "AccessDenied" not in json.dumps(evidence["report"]["unread"])
    assert evidence["took"] < 60, f"compliance run took {evidence['took']:.1f} s"
    summary = evidence["report"]["summary"]
    assert summary["controls"] >= 60 and summary["automated_share"] >= 0.75, summary
    assert set(summary["kinds"]) == {"inherited", "procedure", "automated"}
    results = {c["id"]: c for c in evidence["report"]["controls"]}
    for control in ("LOG-M1-01", "LOG-M1-02", "LOG-M1-03", "LOG-M1-04", "LOG-M2-01", "LOG-M2-02", "LOG-M2-07",
                    "LOG-M2-08", "NET-P2-01", "ENC-R1-03", "ENC-T1-04", "CHG-W1-04"):
        assert results[control]["status"] == "PASS", results[control]
    # The database of this estate is made without encryption (the emulator's default): FAIL, with the evidence.
    (finding,) = results["ENC-R1-01"]["evidence"]
    assert (results["ENC-R1-01"]["status"], finding["resource"], finding["observed"]) == ("FAIL", f"{ESTATE}-db", False)
    assert results["ENV-H1-01"]["status"] == "INHERITED" and results["ENV-H1-01"]["reference"].startswith("https://aws.amazon.com/")
    junit = (evidence["dir"] / "compliance.xml").read_text()
    failed = sum(1 for c in results.values() if c["status"] == "FAIL")
    assert f'failures="{failed}"' in junit and "<testcase" in junit

# Before the negative tests below, whose runs upload the day's bundle again.
def test_the_evidence_bundle_is_uploaded_with_its_manifest_and_locked(evidence):
    s3, day = boto3.client("s3"), evidence["dir"].name
    keys = {o["Key"] for o in s3.list_objects_v2(Bucket=EVIDENCE_BUCKET, Prefix=f"evidence/{day}/")["Contents"]}
    assert keys == {f"evidence/{day}/{name}" for name in BUNDLE}, keys
    bodies = {name: s3.get_object(Bucket=EVIDENCE_BUCKET, Key=f"evidence/{day}/{name}")["Body"].read() for name in BUNDLE}
    assert all(bodies[name] == (evidence["dir"] / name).read_bytes() for name in BUNDLE)
    # The manifest, as sha256sum writes it, holds the hash of each file as the bucket holds it.
    manifest = {name: digest for digest, name in (line.split("  ") for line in bodies["SHA256SUMS"].decode().splitlines())}
    assert manifest == {name: hashlib.sha256(bodies[name]).hexdigest() for name in BUNDLE[:3]}, manifest
    now = datetime.now(timezone.utc)
    for name in BUNDLE:
        head = s3.head_object(Bucket=EVIDENCE_BUCKET, Key=f"evidence/{day}/{name}")
        assert head["ObjectLockMode"] == EVIDENCE_LOCK["Mode"] and head["ObjectLockRetainUntilDate"] > now, (name, head)
    # A locked version cannot be deleted, not even by the account's own administrator (no governance bypass).
    version = s3.list_object_versions(Bucket=EVIDENCE_BUCKET, Prefix=f"evidence/{day}/SHA256SUMS")["Versions"][0]["VersionId"]
    with pytest.raises(ClientError, match="AccessDenied"):
        s3.delete_object(Bucket=EVIDENCE_BUCKET, Key=f"evidence/{day}/SHA256SUMS", VersionId=version)


def _open_22():
    ec2 = boto3.client("ec2")
    (vpc,) = ec2.describe_vpcs(Filters=[{"Name": "tag:Estate", "Values": [ESTATE]}])["Vpcs"]
    group = ec2.create_security_group(GroupName=f"{ESTATE}-stray", Description="stray", VpcId=vpc["VpcId"], TagSpecifications=[
        {"ResourceType": "security-group", "Tags": [{"Key": "Estate", "Value": ESTATE}]}])["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=group, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    return group, lambda: ec2.delete_security_group(GroupId=group)


def _no_bucket_encryption():
    s3 = boto3.client("s3")
    before = s3.get_bucket_encryption(Bucket=LOG_BUCKET)["ServerSideEncryptionConfiguration"]
    s3.delete_bucket_encryption(Bucket=LOG_BUCKET)
    return f"s3://{LOG_BUCKET}", lambda: s3.put_bucket_encryption(Bucket=LOG_BUCKET, ServerSideEncryptionConfiguration=before)


def _alarm_disabled():
    name = f"{ESTATE}-console-unhealthy-hosts"
    cloudwatch = boto3.client("cloudwatch")
    cloudwatch.disable_alarm_actions(AlarmNames=[name])
    return name, lambda: cloudwatch.enable_alarm_actions(AlarmNames=[name])


def _no_flow_logs():
    ec2 = boto3.client("ec2")
    (vpc,) = ec2.describe_vpcs(Filters=[{"Name": "tag:Estate", "Values": [ESTATE]}])["Vpcs"]
    (flow,) = ec2.describe_flow_logs(Filters=[{"Name": "resource-id", "Values": [vpc["VpcId"]]}])["FlowLogs"]
    ec2.delete_flow_logs(FlowLogIds=[flow["FlowLogId"]])
    return vpc["VpcId"], lambda: ec2.create_flow_logs(
        ResourceIds=[vpc["VpcId"]], ResourceType="VPC", TrafficType="ALL", LogDestinationType="s3",
        LogDestination=flow["LogDestination"])


# One break per family of checks; port 22 is in the register twice (perimeter and hardening), both rows FAIL.
BREAKS = [
    ("22 open to the internet", _open_22, {"NET-P1-01", "HRD-N1-02"}),
    ("log bucket without encryption", _no_bucket_encryption, {"ENC-R1-03"}),
    ("an alarm's actions disabled", _alarm_disabled, {"LOG-M2-02"}),
    ("no flow log", _no_flow_logs, {"NET-P2-01"}),
]


@pytest.mark.parametrize("case, brk, controls", BREAKS, ids=[b[0] for b in BREAKS])
def test_breaking_the_estate_fails_exactly_the_right_control_naming_the_resource(evidence, tmp_path, case, brk, controls):
    baseline = {c["id"]: c["status"] for c in evidence["report"]["controls"]}
    resource, restore = brk()
    try:
        report, _, _ = compliance(tmp_path)
    finally:
        restore()
    now = {c["id"]: c for c in report["controls"]}
    newly = {cid for cid, c in now.items() if c["status"] == "FAIL" and baseline[cid] != "FAIL"}
    assert newly == controls, f"{case}: {newly}"
    for cid in controls:
        assert any(resource in f["resource"] and not f["ok"] for f in now[cid]["evidence"]), now[cid]["evidence"]


def _png_pixels(path) -> tuple[int, int, set]:
    """Width, height and the set of colours of an 8-bit RGB(A) non-interlaced PNG (what Chromium writes)."""
    import struct
    import zlib

    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, header = 8, b"", None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        chunk = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", chunk)
        elif kind == b"IDAT":
            idat += chunk
        pos += 12 + length
    width, height, depth, colour = header[:4]
    assert depth == 8 and colour in (2, 6)
    bpp = 3 if colour == 2 else 4
    raw, stride, rows, prev = zlib.decompress(idat), width * bpp, [], bytearray(width * bpp)
    for y in range(height):
        kind, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b, c = prev[i], prev[i - bpp] if i >= bpp else 0
            if kind == 1:
                line[i] = (line[i] + a) & 255
            elif kind == 2:
                line[i] = (line[i] + b) & 255
            elif kind == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif kind == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(line)
        prev = line
    colours = {tuple(row[x * bpp:x * bpp + 3]) for row in rows[::4] for x in range(0, width, 4)}
    return width, height, colours


def test_the_html_report_renders_in_a_real_browser(evidence, tmp_path):
    import shutil
    import subprocess

    browser = shutil.which("chromium")
    if not browser:
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    page = (evidence["dir"] / "compliance.html").as_uri()
    flags = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", f"--user-data-dir={tmp_path / 'profile'}"]
    shot = tmp_path / "report.png"
    subprocess.run([*flags, f"--screenshot={shot}", "--window-size=1280,900", page], check=True, capture_output=True, timeout=120)
    width, height, colours = _png_pixels(shot)
    assert (width, height) == (1280, 900)
    # The summary is on the first screen: PASS green, FAIL red, INHERITED blue cells.
    assert {(0xd7, 0xf5, 0xdd), (0xfb, 0xd3, 0xd3), (0xe3, 0xe8, 0xf4)} <= colours
    # The rendered page: its totals and, with the filter set from the address, only FAIL rows shown.
    dom = subprocess.run([*flags, "--dump-dom", page + "#status=FAIL"], check=True, capture_output=True, text=True, timeout=120).stdout
    report = evidence["report"]
    assert f"{report['summary']['controls']} controls" in dom
    failing = [c["id"] for c in report["controls"] if c["status"] == "FAIL"]
    assert f'<span id="shown">{len(failing)}</span>' in dom
    import re
    shown = re.findall(r'<tr class="control" data-status="(\w+)" id="[^"]+"(?: style="")?>', dom)
    hidden = re.findall(r'<tr class="control" data-status="(\w+)" id="[^"]+" style="display: none;">', dom)
    assert set(shown) == {"FAIL"} and len(shown) == len(failing) and "PASS" in hidden

