#!/usr/bin/python
# -*- coding: utf-8 -*-
"""Wait until every node group has an instance that is healthy in every target group."""

from __future__ import annotations

DOCUMENTATION = r"""
module: aws_nodes_group_health
short_description: Wait until each Auto Scaling group's node is healthy in every one of its target groups
description:
  - C(amazon.aws.autoscaling_group) with C(wait_for_instances) counts an instance healthy once one target group
    says so; a manager node is ready only when the console, heartbeat and relay target groups all do.
  - Polls DescribeAutoScalingGroups and DescribeTargetHealth until each group has an InService instance whose
    target is C(healthy) in every target group of the group, or fails after O(timeout) seconds naming, for each
    group still waiting, every instance and its state in each target group.
  - Changes nothing. In check mode it reads once and reports, without waiting.
options:
  names:
    description: Auto Scaling group names; each must have at least one target group.
    type: list
    elements: str
    required: true
  timeout:
    description: Most seconds to wait.
    type: int
    default: 1800
  delay:
    description: Seconds between two looks.
    type: int
    default: 15
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: The first node is healthy for every flow before the others are created
  aws_nodes_group_health:
    names: [dsm-production-node-1]
    timeout: 1800
    region: eu-west-1
"""

RETURN = r"""
healthy:
  description: For each group, the instance found healthy in every target group.
  type: dict
  returned: always
  sample: {"dsm-production-node-1": "i-0123456789abcdef0"}
waiting:
  description: For each group still waiting when the module returned, why (empty on success).
  type: dict
  returned: always
"""

import time

try:
    import botocore
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry


def assess(groups: list[dict], health: dict[str, list[dict]]) -> tuple[dict[str, str], dict[str, str]]:
    """({group: instance healthy everywhere}, {group: why not}) for described groups and target health.

    ``health`` maps a target group ARN to its DescribeTargetHealth descriptions.
    """
    healthy, waiting = {}, {}
    for group in groups:
        name, arns = group["AutoScalingGroupName"], group.get("TargetGroupARNs") or []
        if not arns:
            waiting[name] = "has no target group"
            continue
        states = {}
        for instance in group.get("Instances") or []:
            if instance.get("LifecycleState") != "InService":
                states[instance["InstanceId"]] = {"*": instance.get("LifecycleState", "unknown")}
                continue
            states[instance["InstanceId"]] = {
                arn: next((d["TargetHealth"]["State"] for d in health.get(arn, [])
                           if d["Target"]["Id"] == instance["InstanceId"]), "not registered")
                for arn in arns
            }
        ready = sorted(i for i, by_group in states.items() if by_group and all(s == "healthy" for s in by_group.values())
                       and "*" not in by_group)
        if ready:
            healthy[name] = ready[0]
        elif not states:
            waiting[name] = "has no instance yet"
        else:
            waiting[name] = "; ".join(
                f"{instance} " + ", ".join(f"{arn.split(':')[-1]} {state}" if arn != "*" else state
                                           for arn, state in sorted(by_group.items()))
                for instance, by_group in sorted(states.items()))
    return healthy, waiting


def main() -> None:
    """Poll the groups and their target groups until every node is healthy everywhere."""
    module = AnsibleAWSModule(
        argument_spec={
            "names": {"type": "list", "elements": "str", "required": True},
            "timeout": {"type": "int", "default": 1800},
            "delay": {"type": "int", "default": 15},
        },
        supports_check_mode=True,
    )
    names = module.params["names"]
    autoscaling = module.client("autoscaling", retry_decorator=AWSRetry.jittered_backoff())
    elbv2 = module.client("elbv2", retry_decorator=AWSRetry.jittered_backoff())
    deadline = time.monotonic() + module.params["timeout"]
    while True:
        try:
            groups = autoscaling.describe_auto_scaling_groups(aws_retry=True, AutoScalingGroupNames=names)[
                "AutoScalingGroups"]
            arns = sorted({arn for g in groups for arn in g.get("TargetGroupARNs") or []})
            health = {arn: elbv2.describe_target_health(aws_retry=True, TargetGroupArn=arn)["TargetHealthDescriptions"]
                      for arn in arns}
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as err:
            module.fail_json_aws(err, msg=f"Failed to read the health of {', '.join(names)}")
        missing = sorted(set(names) - {g["AutoScalingGroupName"] for g in groups})
        healthy, waiting = assess(groups, health)
        waiting.update({name: "does not exist" for name in missing})
        if not waiting or module.check_mode:
            module.exit_json(changed=False, healthy=healthy, waiting=waiting)
        if time.monotonic() >= deadline:
            module.fail_json(
                msg=f"Not every node is healthy in every target group after {module.params['timeout']} s: "
                + " | ".join(f"{name}: {why}" for name, why in sorted(waiting.items()))
                + ". A node that never turns healthy has not installed: read /var/log/dsm-bootstrap.log on it"
                " (aws ssm start-session --target <instance>).",
                healthy=healthy, waiting=waiting)
        time.sleep(module.params["delay"])


if __name__ == "__main__":
    main()
