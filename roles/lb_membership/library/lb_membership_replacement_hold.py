#!/usr/bin/python
# -*- coding: utf-8 -*-
"""Hold or release Auto Scaling's health replacement of one instance's group."""

from __future__ import annotations

DOCUMENTATION = r"""
module: lb_membership_replacement_hold
short_description: Keep Auto Scaling from replacing a node while the runbook has it out of service
description:
  - Finds the Auto Scaling group of an instance (DescribeAutoScalingInstances); an instance in no
    group is left alone (C(group) is empty).
  - V(held) suspends O(processes) on the group (SuspendProcesses), so a node failing its load
    balancer health checks during an upgrade is not terminated and replaced.
  - The processes the runbook suspended are written in the group's tag O(tag_key) first, so
    V(released) resumes those and only those (ResumeProcesses), removes the tag, and leaves
    alone a process an operator suspended for another reason. A run stopped between the two
    (Ctrl-C, a lost controller) is released by the next run, which reads the tag.
  - Idempotent; supports check mode (reports the change, writes nothing).
options:
  instance_id:
    description: EC2 instance id of the node.
    type: str
    required: true
  state:
    description: V(held) while the node is out, V(released) when it is back or the run ends.
    type: str
    choices: [held, released]
    default: held
  processes:
    description:
      - The Auto Scaling processes to suspend while held.
      - V(HealthCheck) and V(ReplaceUnhealthy) are what would mark the node unhealthy and replace it.
    type: list
    elements: str
    default: [HealthCheck, ReplaceUnhealthy]
  tag_key:
    description: Group tag that records which processes the runbook holds.
    type: str
    default: "dsm-ops:held-processes"
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Auto Scaling does not replace the node while it is out
  lb_membership_replacement_hold:
    instance_id: i-0123456789abcdef0
    state: held
    region: eu-west-1
  delegate_to: localhost
"""

RETURN = r"""
group:
  description: The instance's Auto Scaling group; empty when it is in none.
  type: str
  returned: always
  sample: dsm-production-node-1
held:
  description: The processes the runbook holds suspended after the call.
  type: list
  elements: str
  returned: always
  sample: [HealthCheck, ReplaceUnhealthy]
suspended:
  description: Every process suspended on the group after the call, the runbook's and others'.
  type: list
  elements: str
  returned: always
  sample: [HealthCheck, ReplaceUnhealthy]
"""

try:
    import botocore
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry


def plan(state: str, wanted: list[str], suspended: set[str], held: set[str]) -> tuple[set[str], set[str], set[str]]:
    """(processes to suspend, processes to resume, processes held afterwards).

    held: the processes the tag says the runbook suspended. A process suspended by someone else
    (in ``suspended``, not in ``held``) is never claimed, so never resumed.
    """
    if state == "held":
        to_suspend = set(wanted) - suspended
        return to_suspend, set(), held | to_suspend
    return set(), held & suspended, set()


def main() -> None:
    module = AnsibleAWSModule(
        argument_spec={
            "instance_id": {"type": "str", "required": True},
            "state": {"type": "str", "choices": ["held", "released"], "default": "held"},
            "processes": {"type": "list", "elements": "str", "default": ["HealthCheck", "ReplaceUnhealthy"]},
            "tag_key": {"type": "str", "default": "dsm-ops:held-processes", "no_log": False},
        },
        supports_check_mode=True,
    )
    params = module.params
    client = module.client("autoscaling", retry_decorator=AWSRetry.jittered_backoff())
    try:
        instances = client.describe_auto_scaling_instances(aws_retry=True, InstanceIds=[params["instance_id"]])
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as err:
        module.fail_json_aws(err, msg=f"Failed to find the Auto Scaling group of {params['instance_id']}")
    if not instances["AutoScalingInstances"]:
        module.exit_json(changed=False, group="", held=[], suspended=[])
    name = instances["AutoScalingInstances"][0]["AutoScalingGroupName"]
    try:
        group = client.describe_auto_scaling_groups(aws_retry=True, AutoScalingGroupNames=[name])["AutoScalingGroups"][0]
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as err:
        module.fail_json_aws(err, msg=f"Failed to describe Auto Scaling group {name}")

    suspended = {p["ProcessName"] if isinstance(p, dict) else p for p in group.get("SuspendedProcesses", [])}
    tag = next((t["Value"] for t in group.get("Tags", []) if t["Key"] == params["tag_key"]), None)
    held = set(filter(None, (tag or "").split(",")))
    to_suspend, to_resume, held_after = plan(params["state"], params["processes"], suspended, held)
    tag_after = ",".join(sorted(held_after)) or None
    changed = bool(to_suspend or to_resume) or tag_after != tag

    if changed and not module.check_mode:
        tag_of = {"ResourceId": name, "ResourceType": "auto-scaling-group", "Key": params["tag_key"], "PropagateAtLaunch": False}
        try:
            # The claim is written before the suspension and removed after the resumption: a run that
            # stops in between leaves at most a claim on a process that is not suspended, which is harmless.
            if tag_after and tag_after != tag:
                client.create_or_update_tags(aws_retry=True, Tags=[{**tag_of, "Value": tag_after}])
            if to_suspend:
                client.suspend_processes(aws_retry=True, AutoScalingGroupName=name, ScalingProcesses=sorted(to_suspend))
            if to_resume:
                client.resume_processes(aws_retry=True, AutoScalingGroupName=name, ScalingProcesses=sorted(to_resume))
            if tag is not None and tag_after is None:
                client.delete_tags(aws_retry=True, Tags=[{**tag_of, "Value": tag}])
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as err:
            module.fail_json_aws(err, msg=f"Failed to {'suspend' if params['state'] == 'held' else 'resume'} "
                                          f"the health replacement of Auto Scaling group {name}")
    module.exit_json(changed=changed, group=name, held=sorted(held_after),
                     suspended=sorted((suspended | to_suspend) - to_resume))


if __name__ == "__main__":
    main()
