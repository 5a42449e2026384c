#!/usr/bin/python
# -*- coding: utf-8 -*-
"""Access logs of load balancers, written to one bucket under a prefix per load balancer."""

from __future__ import annotations

DOCUMENTATION = r"""
module: aws_logging_lb_access_logs
short_description: Access logs of these load balancers on, into a bucket, one prefix each
description:
  - Sets the attributes access_logs.s3.enabled, access_logs.s3.bucket and access_logs.s3.prefix of each named load
    balancer (application or network) to what is asked, when they differ (ModifyLoadBalancerAttributes); a load
    balancer not found is skipped and listed in RV(missing).
  - The aws_load_balancers role's modules leave these attributes alone (they pass no access_logs option), so the two
    roles do not undo each other.
  - A network load balancer writes access logs only for its TLS listeners; a TCP listener's flow is not logged by AWS.
  - Supports check mode (reports what it would set, calls nothing that writes).
options:
  names:
    description: Names of the load balancers.
    type: list
    elements: str
    required: true
  bucket:
    description: Bucket the logs go to; empty with O(enabled=false).
    type: str
    default: ""
  prefix:
    description: Key prefix; each load balancer writes under <prefix>/<its name>.
    type: str
    default: ""
  enabled:
    description: Whether access logs are written.
    type: bool
    default: true
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Access logs of the three flows go to the log bucket
  aws_logging_lb_access_logs:
    names: [dsm-console, dsm-heartbeat, dsm-relay]
    bucket: dsm-logs-111122223333
    prefix: lb
    region: eu-west-1
"""

RETURN = r"""
changed_names:
  description: Load balancers whose attributes were (or in check mode would be) set.
  type: list
  elements: str
  returned: always
missing:
  description: Load balancers of O(names) that do not exist.
  type: list
  elements: str
  returned: always
"""

try:
    import botocore
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry


def wanted_attributes(name: str, bucket: str, prefix: str, enabled: bool) -> dict[str, str]:
    """The access_logs.s3.* attributes of one load balancer; disabled leaves bucket and prefix empty."""
    if not enabled:
        return {"access_logs.s3.enabled": "false"}
    return {"access_logs.s3.enabled": "true", "access_logs.s3.bucket": bucket,
            "access_logs.s3.prefix": f"{prefix.strip('/')}/{name}" if prefix.strip("/") else name}


def differences(current: dict[str, str], wanted: dict[str, str]) -> dict[str, str]:
    """The attributes of wanted whose current value differs (a missing attribute counts as empty or false)."""
    return {key: value for key, value in wanted.items()
            if current.get(key, "false" if key.endswith("enabled") else "") != value}


def main() -> None:
    """Set the access log attributes of every named load balancer that exists."""
    module = AnsibleAWSModule(
        argument_spec={
            "names": {"type": "list", "elements": "str", "required": True},
            "bucket": {"type": "str", "default": ""},
            "prefix": {"type": "str", "default": ""},
            "enabled": {"type": "bool", "default": True},
        },
        supports_check_mode=True,
    )
    params = module.params
    if params["enabled"] and not params["bucket"]:
        module.fail_json(msg="bucket is empty: name the log bucket, or set enabled to false")
    client = module.client("elbv2", retry_decorator=AWSRetry.jittered_backoff())
    changed, missing = [], []
    for name in params["names"]:
        try:
            found = client.describe_load_balancers(aws_retry=True, Names=[name])["LoadBalancers"]
        except is_boto3_error_code("LoadBalancerNotFound"):
            found = []
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as err:  # pylint: disable=duplicate-except
            module.fail_json_aws(err, msg=f"Failed to describe load balancer {name}")
        if not found:
            missing.append(name)
            continue
        arn = found[0]["LoadBalancerArn"]
        try:
            current = {a["Key"]: a["Value"] for a in
                       client.describe_load_balancer_attributes(aws_retry=True, LoadBalancerArn=arn)["Attributes"]}
            delta = differences(current, wanted_attributes(name, params["bucket"], params["prefix"], params["enabled"]))
            if delta and not module.check_mode:
                client.modify_load_balancer_attributes(
                    aws_retry=True, LoadBalancerArn=arn, Attributes=[{"Key": k, "Value": v} for k, v in delta.items()])
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as err:
            module.fail_json_aws(err, msg=f"Failed to set the access logs of {name} (is the bucket policy in place?)")
        if delta:
            changed.append(name)
    module.exit_json(changed=bool(changed), changed_names=changed, missing=missing)


if __name__ == "__main__":
    main()
