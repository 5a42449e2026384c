#!/usr/bin/python
# -*- coding: utf-8 -*-
"""VPC flow logs delivered to an S3 bucket."""

from __future__ import annotations

DOCUMENTATION = r"""
module: aws_logging_flow_logs
short_description: One flow log of a VPC into an S3 bucket
description:
  - Neither amazon.aws nor community.aws 10 has a module for flow logs. This one finds the flow logs of the VPC that
    deliver to the destination (DescribeFlowLogs) and creates one when there is none (CreateFlowLogs, delivery to S3 -
    no IAM role is needed for S3). A flow log cannot be modified: one of the VPC to the same destination with another
    traffic type is deleted and created again.
  - With state absent, deletes the VPC's flow logs to the destination.
  - Supports check mode.
options:
  vpc_id:
    description: The VPC.
    type: str
    required: true
  destination_arn:
    description: ARN of the bucket, with an optional key prefix (arn:aws:s3:::bucket/prefix).
    type: str
    required: true
  traffic_type:
    description: ACCEPT, REJECT or ALL.
    type: str
    default: ALL
    choices: [ACCEPT, REJECT, ALL]
  max_aggregation_interval:
    description: Seconds over which packets are aggregated into a record, 60 or 600.
    type: int
    default: 600
    choices: [60, 600]
  tags:
    description: Tags given at creation.
    type: dict
    default: {}
  state:
    description: present or absent.
    type: str
    default: present
    choices: [present, absent]
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: The VPC's traffic is logged to the log bucket
  aws_logging_flow_logs:
    vpc_id: vpc-0123
    destination_arn: arn:aws:s3:::dsm-logs-111122223333/vpc-flow-logs
    region: eu-west-1
"""

RETURN = r"""
flow_log_ids:
  description: The flow logs of the VPC to the destination after the run (empty in check mode before a creation).
  type: list
  elements: str
  returned: always
"""

from typing import Any

try:
    import botocore
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list


def plan(existing: list[dict[str, Any]], traffic_type: str, interval: int, state: str) -> tuple[list[str], bool]:
    """The flow log ids to delete, and whether to create one, for the VPC's flow logs to the destination."""
    if state == "absent":
        return [f["FlowLogId"] for f in existing], False
    matching = [f for f in existing if f.get("TrafficType") == traffic_type
                and int(f.get("MaxAggregationInterval", 600)) == interval]
    if matching:
        return [f["FlowLogId"] for f in existing if f not in matching[:1]], False
    return [f["FlowLogId"] for f in existing], True


def main() -> None:
    """Create, replace or delete the VPC's flow log to the bucket."""
    module = AnsibleAWSModule(
        argument_spec={
            "vpc_id": {"type": "str", "required": True},
            "destination_arn": {"type": "str", "required": True},
            "traffic_type": {"type": "str", "default": "ALL", "choices": ["ACCEPT", "REJECT", "ALL"]},
            "max_aggregation_interval": {"type": "int", "default": 600, "choices": [60, 600]},
            "tags": {"type": "dict", "default": {}},
            "state": {"type": "str", "default": "present", "choices": ["present", "absent"]},
        },
        supports_check_mode=True,
    )
    params = module.params
    client = module.client("ec2", retry_decorator=AWSRetry.jittered_backoff())
    try:
        logs = client.describe_flow_logs(aws_retry=True, Filters=[{"Name": "resource-id", "Values": [params["vpc_id"]]}])["FlowLogs"]
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as err:
        module.fail_json_aws(err, msg=f"Failed to describe the flow logs of {params['vpc_id']}")
    destination = params["destination_arn"].rstrip("/")
    existing = [f for f in logs if f.get("LogDestinationType") == "s3"
                and (f.get("LogDestination") or "").rstrip("/") == destination]
    delete, create = plan(existing, params["traffic_type"], params["max_aggregation_interval"], params["state"])
    kept = [f["FlowLogId"] for f in existing if f["FlowLogId"] not in delete]
    if module.check_mode or not (delete or create):
        module.exit_json(changed=bool(delete or create), flow_log_ids=kept)
    try:
        if delete:
            client.delete_flow_logs(aws_retry=True, FlowLogIds=delete)
        if create:
            tags = ansible_dict_to_boto3_tag_list(params["tags"])
            created = client.create_flow_logs(
                aws_retry=True, ResourceIds=[params["vpc_id"]], ResourceType="VPC", TrafficType=params["traffic_type"],
                LogDestinationType="s3", LogDestination=destination,
                MaxAggregationInterval=params["max_aggregation_interval"],
                **({"TagSpecifications": [{"ResourceType": "vpc-flow-log", "Tags": tags}]} if tags else {}))
            if created.get("Unsuccessful"):
                module.fail_json(msg=f"Flow log of {params['vpc_id']} not created: {created['Unsuccessful']}")
            kept += created["FlowLogIds"]
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as err:
        module.fail_json_aws(err, msg=f"Failed to set the flow log of {params['vpc_id']} to {destination}")
    module.exit_json(changed=True, flow_log_ids=kept)


if __name__ == "__main__":
    main()
