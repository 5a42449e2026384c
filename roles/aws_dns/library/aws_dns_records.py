#!/usr/bin/python
# -*- coding: utf-8 -*-
"""Make a set of DNS names hold exactly the wanted A records, in one Route 53 change batch."""

from __future__ import annotations

DOCUMENTATION = r"""
module: aws_dns_records
short_description: Exactly these A record sets for these names, changed in one atomic Route 53 batch
description:
  - For every name of O(records), the A record sets Route 53 holds become exactly the wanted ones - a plain alias, or a
    PRIMARY/SECONDARY failover pair - in a single ChangeResourceRecordSets call, which Route 53 applies atomically.
  - Route 53 refuses a failover record next to a plain record of the same name and type, and the other way round, so
    turning DNS failover on for a running estate (or off) must delete the old records and create the new ones in the
    same batch; one change after the other would fail, or leave the name unresolvable in between.
  - Record sets of other types, and other names, are never touched. Waits until the change is INSYNC when O(wait).
  - Supports check mode (reports the batch it would send).
options:
  hosted_zone_id:
    description: Id of the hosted zone, with or without the /hostedzone/ prefix.
    type: str
    required: true
  names:
    description: The DNS name of each flow, such as C({console: console.example.com}); each is managed whole.
    type: dict
    required: true
  targets:
    description: The load balancer of each flow, C({dns_name, zone_id}).
    type: dict
    required: true
  failover:
    description:
      - Left out - one plain alias per name. Given - a PRIMARY alias (C(<identifier_prefix>-primary)) guarded by
        C(health_check_id) and a SECONDARY (C(<identifier_prefix>-secondary)) per name, to C(secondary[flow]), an alias
        C({dns_name, zone_id}) or addresses C({values}) with C(ttl).
    type: dict
  wait:
    description: Wait until Route 53 reports the change INSYNC.
    type: bool
    default: false
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: console.example.com fails over to the standby region
  aws_dns_records:
    hosted_zone_id: Z0123456789
    names: {console: console.example.com}
    targets: {console: {dns_name: dsm-console-1.eu-west-1.elb.amazonaws.com, zone_id: Z32O12XQLNTSW2}}
    failover:
      identifier_prefix: dsm
      health_check_id: 0c4b5a2e-0000-0000-0000-000000000000
      ttl: 60
      secondary: {console: {values: [198.51.100.10]}}
"""

RETURN = r"""
changes:
  description: The change batch sent (or that would be sent in check mode); empty when the names already hold exactly the wanted records.
  type: list
  returned: always
"""

try:
    import botocore
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

# The fields that make a record set what it is; Route 53 adds nothing else to an A record we manage.
_FIELDS = ("Name", "Type", "SetIdentifier", "Failover", "TTL", "ResourceRecords", "AliasTarget", "HealthCheckId")


def fqdn(name: str) -> str:
    """Route 53's spelling: lower case, trailing dot."""
    return name.lower().rstrip(".") + "."


def normalise(record: dict) -> dict:
    """A record set reduced to the fields that matter, names and alias targets spelled as Route 53 does."""
    out = {key: record[key] for key in _FIELDS if record.get(key) not in (None, "", [])}
    out["Name"] = fqdn(out["Name"])
    if "AliasTarget" in out:
        alias = dict(out["AliasTarget"])
        alias["DNSName"] = fqdn(alias["DNSName"])
        alias["EvaluateTargetHealth"] = bool(alias.get("EvaluateTargetHealth"))
        out["AliasTarget"] = alias
    if "ResourceRecords" in out:
        out["ResourceRecords"] = sorted(out["ResourceRecords"], key=lambda r: r["Value"])
    return out


def wanted_records(names: dict, targets: dict, failover: dict | None) -> list[dict]:
    """The A record sets each flow's name must hold."""
    records = []
    for flow, name in sorted(names.items()):
        alias = {"HostedZoneId": targets[flow]["zone_id"], "DNSName": targets[flow]["dns_name"],
                 "EvaluateTargetHealth": True}
        if not failover:
            records.append({"Name": name, "Type": "A", "AliasTarget": alias})
            continue
        prefix = failover["identifier_prefix"]
        records.append({"Name": name, "Type": "A", "SetIdentifier": f"{prefix}-primary", "Failover": "PRIMARY",
                        "HealthCheckId": failover["health_check_id"], "AliasTarget": alias})
        standby = failover["secondary"][flow]
        secondary = {"Name": name, "Type": "A", "SetIdentifier": f"{prefix}-secondary", "Failover": "SECONDARY"}
        if "dns_name" in standby:
            secondary["AliasTarget"] = {"HostedZoneId": standby["zone_id"], "DNSName": standby["dns_name"],
                                        "EvaluateTargetHealth": True}
        else:
            secondary.update(TTL=int(failover["ttl"]), ResourceRecords=[{"Value": v} for v in standby["values"]])
        records.append(secondary)
    return records


def change_batch(existing: list[dict], wanted: list[dict]) -> list[dict]:
    """DELETE every A record set of the wanted names that has no place any more, UPSERT every wanted one that differs.

    A record set is identified by name, type and set identifier: one of those that stays is rewritten in place
    (UPSERT), one that goes is deleted exactly as Route 53 holds it. Deletions come first, and Route 53 applies
    the batch atomically.
    """
    wanted = [normalise(r) for r in wanted]
    names = {r["Name"] for r in wanted}
    have = [normalise(r) for r in existing if r.get("Type") == "A" and fqdn(r["Name"]) in names]
    keep = {(r["Name"], r["Type"], r.get("SetIdentifier")) for r in wanted}
    deletes = [{"Action": "DELETE", "ResourceRecordSet": r} for r in have
               if (r["Name"], r["Type"], r.get("SetIdentifier")) not in keep]
    creates = [{"Action": "UPSERT", "ResourceRecordSet": r} for r in wanted if r not in have]
    return deletes + creates


def main() -> None:
    """Read the names' record sets and send the one batch that makes them what is wanted."""
    module = AnsibleAWSModule(
        argument_spec={
            "hosted_zone_id": {"type": "str", "required": True},
            "names": {"type": "dict", "required": True},
            "targets": {"type": "dict", "required": True},
            "failover": {"type": "dict"},
            "wait": {"type": "bool", "default": False},
        },
        supports_check_mode=True,
    )
    zone = module.params["hosted_zone_id"].split("/")[-1]
    wanted = wanted_records(module.params["names"], module.params["targets"], module.params["failover"])
    client = module.client("route53", retry_decorator=AWSRetry.jittered_backoff())
    existing = []
    try:
        for name in sorted({fqdn(r["Name"]) for r in wanted}):
            paginator = client.get_paginator("list_resource_record_sets")
            for page in paginator.paginate(HostedZoneId=zone, StartRecordName=name, StartRecordType="A"):
                sets = page["ResourceRecordSets"]
                existing += [r for r in sets if fqdn(r["Name"]) == name]
                if sets and fqdn(sets[-1]["Name"]) != name:
                    break
        changes = change_batch(existing, wanted)
        if changes and not module.check_mode:
            answer = client.change_resource_record_sets(aws_retry=True, HostedZoneId=zone,
                                                        ChangeBatch={"Changes": changes})
            if module.params["wait"]:
                client.get_waiter("resource_record_sets_changed").wait(Id=answer["ChangeInfo"]["Id"])
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as err:
        module.fail_json_aws(err, msg=f"Failed to set the A records of {', '.join(sorted(module.params['names'].values()))}")
    module.exit_json(changed=bool(changes), changes=changes)


if __name__ == "__main__":
    main()
