#!/usr/bin/python
# -*- coding: utf-8 -*-
"""Converge the subnets, security groups, private DNS and policy of an existing VPC endpoint."""

from __future__ import annotations

DOCUMENTATION = r"""
module: aws_security_groups_endpoint_attachments
short_description: Set the subnets, security groups, private DNS and policy of a VPC endpoint
description:
  - Reads the endpoint with DescribeVpcEndpoints and calls ModifyVpcEndpoint with only what differs
    from the subnets, security groups, private DNS setting and endpoint policy asked for.
  - C(amazon.aws.ec2_vpc_endpoint) 10.1.2 creates an endpoint but never changes one that exists, so a
    subnet added with a new AZ, a group swapped by hand or a policy widened by hand would stay as it is.
  - A policy is set only where the service supports endpoint policies (DescribeVpcEndpointServices,
    VpcEndpointPolicySupported); elsewhere AWS allows everything through the endpoint whatever is set, and
    RV(policy_supported) says so.
  - Fails on an endpoint in state deleting or deleted, which C(amazon.aws.ec2_vpc_endpoint) still matches.
  - Supports check mode (reports the change, calls nothing that writes).
options:
  vpc_endpoint_id:
    description: Id of the endpoint; it must exist.
    type: str
    required: true
  subnet_ids:
    description:
      - Interface endpoints - every subnet the endpoint must have a network interface in (one per AZ); others are removed.
      - Left out for a gateway endpoint.
    type: list
    elements: str
  security_group_ids:
    description: Interface endpoints - every security group of the endpoint's network interfaces; others are removed.
    type: list
    elements: str
  private_dns_enabled:
    description: Interface endpoints - whether the service's public name resolves to the endpoint inside the VPC.
    type: bool
  policy:
    description: The endpoint policy document; left out, the policy is not managed.
    type: dict
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Secrets Manager endpoint in both private subnets, guarded by its group and its policy
  aws_security_groups_endpoint_attachments:
    vpc_endpoint_id: vpce-0123456789abcdef0
    subnet_ids: [subnet-0a, subnet-0b]
    security_group_ids: [sg-0e]
    private_dns_enabled: true
    policy: "{{ lookup('ansible.builtin.template', 'secretsmanager-endpoint.json.j2') | from_json }}"
    region: eu-west-1
"""

RETURN = r"""
modifications:
  description: The ModifyVpcEndpoint arguments sent (or that would be sent in check mode); empty when nothing differs.
  type: dict
  returned: always
  sample: {"AddSubnetIds": ["subnet-0c"]}
policy_supported:
  description: Whether the endpoint's service takes an endpoint policy.
  type: bool
  returned: always
"""

import json

try:
    import botocore
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry


def _policy(document) -> dict | None:
    """A policy document as a dict, whether given as a dict or as AWS returns it (a JSON string)."""
    if not document:
        return None
    return json.loads(document) if isinstance(document, str) else document


def modifications(endpoint: dict, subnets: list[str] | None, groups: list[str] | None,
                  private_dns: bool | None, policy: dict | None = None) -> dict:
    """ModifyVpcEndpoint arguments that turn the described endpoint into the wanted one ({} if none).

    None for a setting leaves it alone (a gateway endpoint has no subnets, groups or private DNS).
    """
    changes: dict = {}
    if subnets is not None:
        have_subnets = set(endpoint.get("SubnetIds") or [])
        changes["AddSubnetIds"] = sorted(set(subnets) - have_subnets)
        changes["RemoveSubnetIds"] = sorted(have_subnets - set(subnets))
    if groups is not None:
        have_groups = {g["GroupId"] for g in endpoint.get("Groups") or []}
        changes["AddSecurityGroupIds"] = sorted(set(groups) - have_groups)
        changes["RemoveSecurityGroupIds"] = sorted(have_groups - set(groups))
    changes = {key: value for key, value in changes.items() if value}
    if private_dns is not None and bool(endpoint.get("PrivateDnsEnabled")) != private_dns:
        changes["PrivateDnsEnabled"] = private_dns
    if policy is not None and _policy(endpoint.get("PolicyDocument")) != policy:
        changes["PolicyDocument"] = json.dumps(policy, sort_keys=True)
    return changes


def main() -> None:
    """Compare the endpoint with the wanted attachments and modify it when they differ."""
    module = AnsibleAWSModule(
        argument_spec={
            "vpc_endpoint_id": {"type": "str", "required": True},
            "subnet_ids": {"type": "list", "elements": "str"},
            "security_group_ids": {"type": "list", "elements": "str"},
            "private_dns_enabled": {"type": "bool"},
            "policy": {"type": "dict"},
        },
        supports_check_mode=True,
    )
    endpoint_id = module.params["vpc_endpoint_id"]
    client = module.client("ec2", retry_decorator=AWSRetry.jittered_backoff())
    try:
        found = client.describe_vpc_endpoints(aws_retry=True, VpcEndpointIds=[endpoint_id])["VpcEndpoints"]
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as err:
        module.fail_json_aws(err, msg=f"Failed to describe VPC endpoint {endpoint_id}")
    if not found:
        module.fail_json(msg=f"VPC endpoint {endpoint_id} does not exist")
    # ec2_vpc_endpoint matches an endpoint AWS still lists after its deletion and creates none.
    if found[0].get("State", "").lower() in ("deleting", "deleted"):
        module.fail_json(msg=f"VPC endpoint {endpoint_id} ({found[0].get('ServiceName')}) is {found[0]['State'].lower()}"
                         " and AWS still lists it, so no new one was created: run again once it is no longer listed"
                         " (a few minutes).")
    policy = module.params["policy"]
    supported = True
    if policy is not None:
        try:
            services = client.describe_vpc_endpoint_services(
                aws_retry=True, ServiceNames=[found[0]["ServiceName"]])["ServiceDetails"]
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as err:
            module.fail_json_aws(err, msg=f"Failed to describe the endpoint service {found[0]['ServiceName']}")
        supported = bool(services and services[0].get("VpcEndpointPolicySupported"))
        if not supported:
            policy = None
    changes = modifications(found[0], module.params["subnet_ids"], module.params["security_group_ids"],
                            module.params["private_dns_enabled"], policy)
    if changes and not module.check_mode:
        try:
            client.modify_vpc_endpoint(aws_retry=True, VpcEndpointId=endpoint_id, **changes)
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as err:
            module.fail_json_aws(err, msg=f"Failed to modify VPC endpoint {endpoint_id}")
    module.exit_json(changed=bool(changes), modifications=changes, policy_supported=supported)


if __name__ == "__main__":
    main()
