#!/usr/bin/python
# -*- coding: utf-8 -*-
"""Set the instance maintenance policy of one Auto Scaling group."""

from __future__ import annotations

DOCUMENTATION = r"""
module: aws_nodes_instance_maintenance
short_description: Set the instance maintenance policy of an Auto Scaling group
description:
  - Reads the group with DescribeAutoScalingGroups and calls UpdateAutoScalingGroup with only
    C(InstanceMaintenancePolicy) when the group's policy differs from the one asked for.
  - C(amazon.aws.autoscaling_group) 10.1.2 has no option for the policy; the aws_nodes role needs
    launch before terminate (100-200 %) so a one-node group never drops to zero during a replacement.
  - Supports check mode (reports the change, calls nothing that writes).
options:
  name:
    description: Name of the Auto Scaling group; it must exist.
    type: str
    required: true
  min_healthy_percentage:
    description:
      - Lower bound of healthy capacity, in percent of the desired capacity, during an instance replacement.
      - 100 with O(max_healthy_percentage=200) launches the new instance before terminating the old one.
    type: int
    default: 100
  max_healthy_percentage:
    description: Upper bound of capacity, in percent of the desired capacity, during an instance replacement.
    type: int
    default: 200
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Node 1 launches its replacement before terminating it
  aws_nodes_instance_maintenance:
    name: dsm-production-node-1
    region: eu-west-1
    min_healthy_percentage: 100
    max_healthy_percentage: 200
"""

RETURN = r"""
instance_maintenance_policy:
  description: The group's policy after the call (the wanted one in check mode).
  type: dict
  returned: always
  sample: {"MinHealthyPercentage": 100, "MaxHealthyPercentage": 200}
previous_policy:
  description: The group's policy before the call; empty when it had none.
  type: dict
  returned: always
  sample: {}
"""

try:
    import botocore
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry


def main() -> None:
    """Compare the group's policy with the wanted one and update it when they differ."""
    module = AnsibleAWSModule(
        argument_spec={
            "name": {"type": "str", "required": True},
            "min_healthy_percentage": {"type": "int", "default": 100},
            "max_healthy_percentage": {"type": "int", "default": 200},
        },
        supports_check_mode=True,
    )
    name = module.params["name"]
    wanted = {
        "MinHealthyPercentage": module.params["min_healthy_percentage"],
        "MaxHealthyPercentage": module.params["max_healthy_percentage"],
    }
    client = module.client("autoscaling", retry_decorator=AWSRetry.jittered_backoff())
    try:
        groups = client.describe_auto_scaling_groups(aws_retry=True, AutoScalingGroupNames=[name])["AutoScalingGroups"]
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as err:
        module.fail_json_aws(err, msg=f"Failed to describe Auto Scaling group {name}")
    if not groups:
        module.fail_json(msg=f"Auto Scaling group {name} does not exist")
    current = groups[0].get("InstanceMaintenancePolicy") or {}
    have = {key: current.get(key) for key in wanted}
    changed = have != wanted
    if changed and not module.check_mode:
        try:
            client.update_auto_scaling_group(aws_retry=True, AutoScalingGroupName=name, InstanceMaintenancePolicy=wanted)
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as err:
            module.fail_json_aws(err, msg=f"Failed to set the instance maintenance policy of {name}")
    module.exit_json(changed=changed, instance_maintenance_policy=wanted, previous_policy=current)


if __name__ == "__main__":
    main()
