#!/usr/bin/python
# -*- coding: utf-8 -*-
"""Let Auto Scaling use a customer-managed KMS key for the nodes' encrypted volumes."""

from __future__ import annotations

DOCUMENTATION = r"""
module: aws_nodes_kms_grant
short_description: A KMS grant for the Auto Scaling service-linked role on the nodes' volume key
description:
  - Auto Scaling launches the nodes with its service-linked role AWSServiceRoleForAutoScaling. With a
    customer-managed key for the EBS volumes, that role needs the key - through the key policy or a grant - or every
    launch fails (Amazon EC2 Auto Scaling User Guide, "Required AWS KMS key policy for use with encrypted volumes").
    This module gives it a grant, leaving the key policy alone.
  - Creates the service-linked role first when the account has none yet (CreateServiceLinkedRole), since a grant
    needs an existing grantee.
  - Idempotent by grant name (ListGrants); a grant of that name with other operations is retired and made again.
  - Supports check mode.
options:
  key_arn:
    description: ARN of the customer-managed key.
    type: str
    required: true
  name:
    description: Name of the grant, unique for the key.
    type: str
    required: true
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Auto Scaling may use the volume key
  aws_nodes_kms_grant:
    key_arn: arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab
    name: dsm-production-node-volumes
    region: eu-west-1
"""

RETURN = r"""
grantee:
  description: The service-linked role given the grant.
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

SERVICE = "autoscaling.amazonaws.com"
ROLE = "AWSServiceRoleForAutoScaling"
# What the Auto Scaling User Guide lists for a grant to its service-linked role.
OPERATIONS = sorted(["Encrypt", "Decrypt", "ReEncryptFrom", "ReEncryptTo", "GenerateDataKey",
                     "GenerateDataKeyWithoutPlaintext", "DescribeKey", "CreateGrant"])


def grant_state(grants: list[dict], name: str, grantee: str) -> str:
    """present, stale (same name, other grantee or operations) or missing."""
    mine = [g for g in grants if g.get("Name") == name]
    if not mine:
        return "missing"
    if any(g.get("GranteePrincipal") == grantee and sorted(g.get("Operations") or []) == OPERATIONS for g in mine):
        return "present"
    return "stale"


def main() -> None:
    """Make sure the service-linked role exists and holds the grant."""
    module = AnsibleAWSModule(
        argument_spec={"key_arn": {"type": "str", "required": True}, "name": {"type": "str", "required": True}},
        supports_check_mode=True,
    )
    key, name = module.params["key_arn"], module.params["name"]
    partition, account = key.split(":")[1], key.split(":")[4]
    grantee = f"arn:{partition}:iam::{account}:role/aws-service-role/{SERVICE}/{ROLE}"
    iam = module.client("iam", retry_decorator=AWSRetry.jittered_backoff())
    kms = module.client("kms", retry_decorator=AWSRetry.jittered_backoff())
    changed = False
    try:
        iam.get_role(aws_retry=True, RoleName=ROLE)
    except is_boto3_error_code("NoSuchEntity"):
        changed = True
        if not module.check_mode:
            try:
                iam.create_service_linked_role(aws_retry=True, AWSServiceName=SERVICE)
            except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as err:
                module.fail_json_aws(err, msg=f"Failed to create the service-linked role {ROLE}")
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as err:  # pylint: disable=duplicate-except
        module.fail_json_aws(err, msg=f"Failed to read the service-linked role {ROLE}")
    try:
        grants = kms.list_grants(aws_retry=True, KeyId=key)["Grants"]
        state = grant_state(grants, name, grantee)
        if state != "present":
            changed = True
            if not module.check_mode:
                for stale in (g for g in grants if g.get("Name") == name):
                    kms.retire_grant(aws_retry=True, KeyId=key, GrantId=stale["GrantId"])
                kms.create_grant(aws_retry=True, KeyId=key, GranteePrincipal=grantee, Operations=OPERATIONS, Name=name)
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as err:
        module.fail_json_aws(err, msg=f"Failed to grant {ROLE} the use of {key}")
    module.exit_json(changed=changed, grantee=grantee)


if __name__ == "__main__":
    main()
