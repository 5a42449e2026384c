#!/usr/bin/python
# -*- coding: utf-8 -*-
"""Read the estate for the compliance checks: read-only calls, one snapshot."""

from __future__ import annotations

DOCUMENTATION = r"""
module: compliance_estate
short_description: A read-only snapshot of an estate, the input of the compliance checks
description:
  - Reads what the automated controls of compliance/catalogue.yml look at - security groups, instances, the VPC and its
    flow logs, databases and their parameters, the estate's buckets, load balancers and their listeners and access logs,
    alarms, the alerts topic, the RDS event subscription, the node-replacement rule, CloudTrail trails, the node role,
    the launch templates, the shipped audit log, the node settings' keys.
  - Makes only Describe, List, Get and Head calls. A part that cannot be read is null in the snapshot, with the
    reason in RV(errors); the checks that need it then report ERROR, not FAIL.
  - Never changes anything, in check mode or not.
options:
  estate:
    description: The estate's name (Estate tag, prefix of names).
    type: str
    required: true
  buckets:
    description: The estate's buckets by role, for example {deployment, transfer, logs}.
    type: dict
    required: true
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Read the estate
  compliance_estate:
    estate: dsm-production
    buckets: {deployment: dsm-production-deployment, logs: dsm-production-logs-111122223333}
    region: eu-west-1
"""

RETURN = r"""
snapshot:
  description: What was read, by part.
  type: dict
  returned: always
errors:
  description: The parts that could not be read, with the reason.
  type: dict
  returned: always
"""

import json
from typing import Any, Callable

try:
    import botocore
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule


def _ingress(permission: dict[str, Any]) -> dict[str, Any]:
    return {"protocol": permission.get("IpProtocol"), "from": permission.get("FromPort"), "to": permission.get("ToPort"),
            "cidrs": [r["CidrIp"] for r in permission.get("IpRanges", [])] + [r["CidrIpv6"] for r in permission.get("Ipv6Ranges", [])],
            "groups": [g["GroupId"] for g in permission.get("UserIdGroupPairs", [])]}


def read(clients: dict[str, Any], estate: str, buckets: dict[str, str]) -> tuple[dict[str, Any], dict[str, str]]:
    """The snapshot and the errors, each part read on its own."""
    ec2, rds, s3, elbv2 = clients["ec2"], clients["rds"], clients["s3"], clients["elbv2"]
    mine = [{"Name": "tag:Estate", "Values": [estate]}]
    snapshot: dict[str, Any] = {"estate": estate}
    errors: dict[str, str] = {}

    def part(name: str, reader: Callable[[], Any]) -> None:
        try:
            snapshot[name] = reader()
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError, KeyError) as err:
            snapshot[name] = None
            errors[name] = str(err)

    part("security_groups", lambda: [
        {"id": g["GroupId"], "name": g["GroupName"], "vpc_id": g.get("VpcId"), "ingress": [_ingress(p) for p in g["IpPermissions"]]}
        for g in ec2.describe_security_groups(Filters=mine)["SecurityGroups"]])
    part("instances", lambda: [
        {"id": i["InstanceId"], "public_ip": i.get("PublicIpAddress", ""), "http_tokens": i.get("MetadataOptions", {}).get("HttpTokens", "")}
        for r in ec2.describe_instances(Filters=mine + [{"Name": "instance-state-name", "Values": ["pending", "running"]}])["Reservations"]
        for i in r["Instances"]])

    def vpcs() -> list[dict[str, Any]]:
        found = []
        for vpc in ec2.describe_vpcs(Filters=mine)["Vpcs"]:
            logs = ec2.describe_flow_logs(Filters=[{"Name": "resource-id", "Values": [vpc["VpcId"]]}])["FlowLogs"]
            found.append({"id": vpc["VpcId"], "flow_logs": [{"destination": f.get("LogDestination", ""), "traffic": f.get("TrafficType"),
                                                              "status": f.get("FlowLogStatus", "ACTIVE")} for f in logs]})
        return found
    part("vpcs", vpcs)

    def databases() -> list[dict[str, Any]]:
        found = []
        for db in rds.describe_db_instances()["DBInstances"]:
            if not db["DBInstanceIdentifier"].startswith(f"{estate}-"):
                continue
            force_ssl = None
            for group in db.get("DBParameterGroups", []):
                params = rds.describe_db_parameters(DBParameterGroupName=group["DBParameterGroupName"])["Parameters"]
                force_ssl = next((p.get("ParameterValue") for p in params if p["ParameterName"] == "rds.force_ssl"), force_ssl)
            found.append({"id": db["DBInstanceIdentifier"], "engine": db["Engine"], "encrypted": db.get("StorageEncrypted", False),
                          "public": db.get("PubliclyAccessible", False), "multi_az": db.get("MultiAZ", False),
                          "backup_retention": db.get("BackupRetentionPeriod", 0),
                          "auto_minor_version_upgrade": db.get("AutoMinorVersionUpgrade", True),
                          "deletion_protection": db.get("DeletionProtection", False), "force_ssl": force_ssl})
        return found
    part("databases", databases)

    def bucket(name: str) -> dict[str, Any]:
        try:
            s3.head_bucket(Bucket=name)
        except botocore.exceptions.ClientError:
            return {"name": name, "exists": False}
        info: dict[str, Any] = {"name": name, "exists": True}
        try:
            rules = s3.get_bucket_encryption(Bucket=name)["ServerSideEncryptionConfiguration"]["Rules"]
            info["encryption"] = rules[0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"]
        except botocore.exceptions.ClientError:
            info["encryption"] = ""
        try:
            block = s3.get_public_access_block(Bucket=name)["PublicAccessBlockConfiguration"]
            info["public_access_blocked"] = len(block) == 4 and all(block.values())
        except botocore.exceptions.ClientError:
            info["public_access_blocked"] = False
        try:
            policy = json.loads(s3.get_bucket_policy(Bucket=name)["Policy"])
            info["tls_only"] = any(s.get("Effect") == "Deny" and str(s.get("Condition", {}).get("Bool", {}).get("aws:SecureTransport", "")).lower() == "false"
                                   for s in policy.get("Statement", []))
        except botocore.exceptions.ClientError:
            info["tls_only"] = False
        info["versioning"] = s3.get_bucket_versioning(Bucket=name).get("Status", "")
        try:
            rules = s3.get_bucket_lifecycle_configuration(Bucket=name)["Rules"]
            info["expiration_days"] = [r["Expiration"]["Days"] for r in rules if r.get("Status") == "Enabled" and "Days" in r.get("Expiration", {})]
        except botocore.exceptions.ClientError:
            info["expiration_days"] = []
        return info
    part("buckets", lambda: {role: bucket(name) for role, name in buckets.items() if name})

    def balancers() -> list[dict[str, Any]]:
        found = []
        for lb in elbv2.describe_load_balancers()["LoadBalancers"]:
            if not lb["LoadBalancerName"].startswith(f"{estate}-"):
                continue
            attributes = {a["Key"]: a["Value"] for a in elbv2.describe_load_balancer_attributes(LoadBalancerArn=lb["LoadBalancerArn"])["Attributes"]}
            listeners = elbv2.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"]
            found.append({"name": lb["LoadBalancerName"], "type": lb["Type"],
                          "listeners": [{"port": li["Port"], "protocol": li["Protocol"], "ssl_policy": li.get("SslPolicy", "")} for li in listeners],
                          "access_logs": attributes.get("access_logs.s3.enabled") == "true",
                          "access_logs_bucket": attributes.get("access_logs.s3.bucket", "")})
        return found
    part("load_balancers", balancers)
    part("target_groups", lambda: [g["TargetGroupName"] for g in elbv2.describe_target_groups()["TargetGroups"]
                                   if g["TargetGroupName"].startswith(f"{estate}-")])
    part("alarms", lambda: [
        {"name": a["AlarmName"], "metric": a.get("MetricName"), "enabled": a.get("ActionsEnabled", False),
         "actions": a.get("AlarmActions", []), "dimensions": {d["Name"]: d["Value"] for d in a.get("Dimensions", [])}}
        for a in clients["cloudwatch"].describe_alarms(AlarmNamePrefix=f"{estate}-")["MetricAlarms"]])

    def topic() -> dict[str, Any]:
        arns = [t["TopicArn"] for t in clients["sns"].list_topics()["Topics"] if t["TopicArn"].endswith(f":{estate}-alerts")]
        if not arns:
            return {"arn": "", "subscriptions": 0}
        subs = clients["sns"].list_subscriptions_by_topic(TopicArn=arns[0])["Subscriptions"]
        return {"arn": arns[0], "subscriptions": len(subs)}
    part("topic", topic)
    part("rds_subscriptions", lambda: [
        {"name": s["CustSubscriptionId"], "enabled": s.get("Enabled", False), "categories": s.get("EventCategoriesList", []),
         "topic": s.get("SnsTopicArn", ""), "sources": s.get("SourceIdsList", [])}
        for s in rds.describe_event_subscriptions()["EventSubscriptionsList"] if s["CustSubscriptionId"].startswith(f"{estate}-")])

    def rule() -> dict[str, Any]:
        try:
            found = clients["events"].describe_rule(Name=f"{estate}-node-replaced")
        except clients["events"].exceptions.ResourceNotFoundException:
            return {"state": "MISSING", "targets": []}
        targets = clients["events"].list_targets_by_rule(Rule=f"{estate}-node-replaced")["Targets"]
        return {"state": found.get("State", ""), "targets": [t["Arn"] for t in targets]}
    part("node_rule", rule)

    def trails() -> list[dict[str, Any]]:
        found = []
        for trail in clients["cloudtrail"].describe_trails()["trailList"]:
            status = clients["cloudtrail"].get_trail_status(Name=trail["TrailARN"])
            found.append({"name": trail["Name"], "multi_region": trail.get("IsMultiRegionTrail", False),
                          "validation": trail.get("LogFileValidationEnabled", False), "logging": status.get("IsLogging", False),
                          "bucket": trail.get("S3BucketName", "")})
        return found
    part("trails", trails)

    def node_role() -> dict[str, Any]:
        iam = clients["iam"]
        try:
            role = iam.get_role(RoleName=f"{estate}-node")["Role"]
        except iam.exceptions.NoSuchEntityException:
            return {"exists": False}
        actions = []
        for name in iam.list_role_policies(RoleName=f"{estate}-node")["PolicyNames"]:
            document = iam.get_role_policy(RoleName=f"{estate}-node", PolicyName=name)["PolicyDocument"]
            document = json.loads(document) if isinstance(document, str) else document
            for statement in document.get("Statement", []):
                if statement.get("Effect") == "Allow":
                    action = statement.get("Action", [])
                    actions += action if isinstance(action, list) else [action]
        return {"exists": True, "boundary": role.get("PermissionsBoundary", {}).get("PermissionsBoundaryArn", ""),
                "attached": [p["PolicyName"] for p in iam.list_attached_role_policies(RoleName=f"{estate}-node")["AttachedPolicies"]],
                "actions": sorted(set(actions))}
    part("node_role", node_role)

    def templates() -> list[dict[str, Any]]:
        found = []
        for template in ec2.describe_launch_templates()["LaunchTemplates"]:
            if not template["LaunchTemplateName"].startswith(f"{estate}-"):
                continue
            version = ec2.describe_launch_template_versions(LaunchTemplateId=template["LaunchTemplateId"], Versions=["$Default"])["LaunchTemplateVersions"][0]
            data = version["LaunchTemplateData"]
            found.append({"name": template["LaunchTemplateName"], "http_tokens": data.get("MetadataOptions", {}).get("HttpTokens", ""),
                          "volumes_encrypted": [m.get("Ebs", {}).get("Encrypted", False) for m in data.get("BlockDeviceMappings", [])],
                          "image_id": data.get("ImageId", "")})
        return found
    part("launch_templates", templates)

    def shipped() -> list[str]:
        name = buckets.get("logs")
        if not name:
            return []
        return [o["Key"] for o in s3.list_objects_v2(Bucket=name, Prefix=f"audit/{estate}/").get("Contents", [])]
    part("audit_shipped", shipped)

    def settings() -> list[str]:
        name = buckets.get("deployment")
        body = s3.get_object(Bucket=name, Key="bootstrap/settings.json")["Body"].read()
        return sorted(json.loads(body))
    part("node_settings_keys", settings)
    return snapshot, errors


def main() -> None:
    """Read the estate and return the snapshot; nothing is written."""
    module = AnsibleAWSModule(argument_spec={"estate": {"type": "str", "required": True},
                                             "buckets": {"type": "dict", "required": True}},
                              supports_check_mode=True)
    clients = {name: module.client(name) for name in
               ("ec2", "rds", "s3", "elbv2", "cloudwatch", "sns", "events", "cloudtrail", "iam")}
    snapshot, errors = read(clients, module.params["estate"], module.params["buckets"])
    module.exit_json(changed=False, snapshot=snapshot, errors=errors)


if __name__ == "__main__":
    main()
