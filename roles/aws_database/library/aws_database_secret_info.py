#!/usr/bin/python
# -*- coding: utf-8 -*-
"""Describe one AWS Secrets Manager secret: its ARN and name, never its value."""

from __future__ import annotations

DOCUMENTATION = r"""
module: aws_database_secret_info
short_description: Find an AWS Secrets Manager secret's ARN from its name or ARN
description:
  - Calls DescribeSecret, which never returns the secret value, and returns the secret's ARN and name.
  - amazon.aws 10 has a lookup for secret values but no module that returns a secret's ARN;
    the aws_database role needs the ARN for its aws_database_secret_arn fact.
  - A missing, deleted or unreadable secret is not an error here (RV(found) is false, RV(reason) says why),
    so the role can fail with a message that names its own variable.
options:
  secret_id:
    description: Name or ARN of the secret.
    type: str
    required: true
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Find the master secret
  aws_database_secret_info:
    secret_id: dsm-production/db-master
    region: eu-west-1
  register: secret
"""

RETURN = r"""
found:
  description: Whether the secret exists, is not scheduled for deletion, and could be described.
  type: bool
  returned: always
arn:
  description: ARN of the secret; empty when not found.
  type: str
  returned: always
  sample: arn:aws:secretsmanager:eu-west-1:111122223333:secret:dsm-production/db-master-AbCdEf
name:
  description: Name of the secret; empty when not found.
  type: str
  returned: always
reason:
  description: Why the secret was not found (not found, scheduled for deletion, access denied); empty when found.
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


def main() -> None:
    """Describe the secret and exit with found, arn, name and reason."""
    module = AnsibleAWSModule(
        argument_spec={"secret_id": {"type": "str", "required": True}},
        supports_check_mode=True,
    )
    client = module.client("secretsmanager", retry_decorator=AWSRetry.jittered_backoff())
    result = {"changed": False, "found": False, "arn": "", "name": "", "reason": ""}
    try:
        secret = client.describe_secret(aws_retry=True, SecretId=module.params["secret_id"])
    except is_boto3_error_code("ResourceNotFoundException"):
        result["reason"] = "not found"
    except is_boto3_error_code(["AccessDeniedException", "AccessDenied"]):  # pylint: disable=duplicate-except
        result["reason"] = "access denied (secretsmanager:DescribeSecret)"
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as err:  # pylint: disable=duplicate-except
        module.fail_json_aws(err, msg=f"Failed to describe secret {module.params['secret_id']}")
    else:
        result.update(arn=secret["ARN"], name=secret["Name"])
        if secret.get("DeletedDate"):
            result["reason"] = "scheduled for deletion"
        else:
            result["found"] = True
    module.exit_json(**result)


if __name__ == "__main__":
    main()
