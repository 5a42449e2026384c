#!/usr/bin/python
# -*- coding: utf-8 -*-
"""Create a network load balancer with its security groups, or keep an existing one's groups as asked."""

from __future__ import annotations

DOCUMENTATION = r"""
module: aws_load_balancers_nlb_security_groups
short_description: A network load balancer that has exactly these security groups
description:
  - AWS attaches security groups to a network load balancer only when it is created (since August 2023);
    C(community.aws.elb_network_lb) 10.0.0 has no option for them. This module creates the NLB with its groups
    when it does not exist (CreateLoadBalancer with SecurityGroups), so that C(community.aws.elb_network_lb) then
    finds it and manages its listeners, attributes and tags as usual.
  - For an NLB that exists with security groups, sets exactly the groups asked for (SetSecurityGroups) when they differ.
  - For an NLB that exists without any, fails before any change, with the steps that replace it: AWS cannot add
    groups to it, and without them the nodes would have to admit the flow from whole subnets.
  - Supports check mode (reports what it would create or set, calls nothing that writes).
options:
  name:
    description: Name of the network load balancer.
    type: str
    required: true
  subnets:
    description: Subnets of the NLB, one per AZ (used only when it is created).
    type: list
    elements: str
    required: true
  scheme:
    description: internet-facing or internal (used only when it is created).
    type: str
    default: internet-facing
    choices: [internet-facing, internal]
  security_group_ids:
    description: Every security group the NLB must have; at least one.
    type: list
    elements: str
    required: true
  tags:
    description: Tags given at creation; C(community.aws.elb_network_lb) keeps them afterwards.
    type: dict
    default: {}
  replacement_hint:
    description: What else the operator must know to replace an NLB without groups (the flow it serves, its DNS name).
    type: str
    default: ""
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Heartbeat NLB exists with its security group
  aws_load_balancers_nlb_security_groups:
    name: dsm-production-heartbeat
    subnets: [subnet-0a, subnet-0b]
    security_group_ids: [sg-0nlb]
    region: eu-west-1
"""

RETURN = r"""
action:
  description: What was done (or would be in check mode) - created, set, none.
  type: str
  returned: always
load_balancer_arn:
  description: ARN of the NLB; empty when it is only about to be created (check mode).
  type: str
  returned: always
"""

try:
    import botocore
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list


def plan(existing: dict | None, wanted: list[str]) -> str:
    """create, set, none or refuse, for an NLB as described (None: it does not exist) and the groups wanted."""
    if existing is None:
        return "create"
    have = set(existing.get("SecurityGroups") or [])
    if not have:
        return "refuse"
    return "none" if have == set(wanted) else "set"


def refusal(name: str, arn: str, groups: list[str], hint: str) -> str:
    """The replacement steps an operator follows for an NLB created without security groups."""
    return (
        f"Network load balancer {name} exists without a security group, and AWS attaches security groups to an NLB only"
        f" when it is created: it cannot be given {', '.join(groups)}. Nothing was changed. Replace it, in a change"
        f" window: (1) aws elbv2 modify-load-balancer-attributes --load-balancer-arn {arn} --attributes"
        f" Key=deletion_protection.enabled,Value=false; (2) aws elbv2 delete-load-balancer --load-balancer-arn {arn}"
        f" (its listeners go with it; the target group and its registered nodes stay); (3) run playbooks/provision.yml"
        f" again: it creates {name} with the group, listens as before and points the flow's DNS name at the new NLB."
        f" Agents reconnect once the record's TTL has passed; the flow is down from (2) until the new NLB's targets are"
        f" healthy (a few minutes). {hint}"
    ).strip()


def main() -> None:
    """Create the NLB with its groups, set them, or refuse an NLB that has none."""
    module = AnsibleAWSModule(
        argument_spec={
            "name": {"type": "str", "required": True},
            "subnets": {"type": "list", "elements": "str", "required": True},
            "scheme": {"type": "str", "default": "internet-facing", "choices": ["internet-facing", "internal"]},
            "security_group_ids": {"type": "list", "elements": "str", "required": True},
            "tags": {"type": "dict", "default": {}},
            "replacement_hint": {"type": "str", "default": ""},
        },
        supports_check_mode=True,
    )
    name, groups = module.params["name"], module.params["security_group_ids"]
    if not groups:
        module.fail_json(msg=f"security_group_ids of {name} is empty: an NLB of the estate always has its group")
    client = module.client("elbv2", retry_decorator=AWSRetry.jittered_backoff())
    try:
        found = client.describe_load_balancers(aws_retry=True, Names=[name])["LoadBalancers"]
    except is_boto3_error_code("LoadBalancerNotFound"):
        found = []
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as err:  # pylint: disable=duplicate-except
        module.fail_json_aws(err, msg=f"Failed to describe load balancer {name}")
    existing = found[0] if found else None
    if existing is not None and existing.get("Type") != "network":
        module.fail_json(msg=f"{name} is a {existing.get('Type')} load balancer, not a network one: rename or delete it")
    action = plan(existing, groups)
    arn = existing["LoadBalancerArn"] if existing else ""
    if action == "refuse":
        module.fail_json(msg=refusal(name, arn, groups, module.params["replacement_hint"]), load_balancer_arn=arn)
    done = {"create": "created", "set": "set", "none": "none"}[action]
    if module.check_mode or action == "none":
        module.exit_json(changed=action != "none", action=done, load_balancer_arn=arn)
    try:
        if action == "create":
            tags = ansible_dict_to_boto3_tag_list(module.params["tags"])
            created = client.create_load_balancer(
                aws_retry=True, Name=name, Subnets=module.params["subnets"], SecurityGroups=groups,
                Scheme=module.params["scheme"], Type="network", IpAddressType="ipv4", **({"Tags": tags} if tags else {}),
            )
            arn = created["LoadBalancers"][0]["LoadBalancerArn"]
        else:
            client.set_security_groups(aws_retry=True, LoadBalancerArn=arn, SecurityGroups=groups)
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as err:
        module.fail_json_aws(err, msg=f"Failed to {'create' if action == 'create' else 'set the groups of'} {name}")
    module.exit_json(changed=True, action=done, load_balancer_arn=arn)


if __name__ == "__main__":
    main()
