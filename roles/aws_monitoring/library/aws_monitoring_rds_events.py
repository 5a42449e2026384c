#!/usr/bin/python
# -*- coding: utf-8 -*-
"""An RDS event subscription that sends the estate's database events to its SNS topic."""

from __future__ import annotations

DOCUMENTATION = r"""
module: aws_monitoring_rds_events
short_description: An RDS event subscription with exactly these sources, categories and topic
description:
  - Neither amazon.aws nor community.aws 10 has a module for RDS event subscriptions. This one creates the
    subscription when it is missing (CreateEventSubscription), and otherwise changes only what differs - the topic,
    the categories or the enabled switch (ModifyEventSubscription), the source identifiers
    (AddSourceIdentifierToSubscription, RemoveSourceIdentifierFromSubscription).
  - With state absent, deletes it (DeleteEventSubscription).
  - Supports check mode (reports what it would do, calls nothing that writes).
options:
  name:
    description: Name of the subscription.
    type: str
    required: true
  topic_arn:
    description: ARN of the SNS topic the events go to (required when present).
    type: str
  source_type:
    description: Type of the sources.
    type: str
    default: db-instance
  source_ids:
    description: Identifiers of the sources; an empty list means every source of the type in the account and region.
    type: list
    elements: str
    default: []
  event_categories:
    description: Event categories, for example failover, maintenance, low storage.
    type: list
    elements: str
    default: []
  enabled:
    description: Whether events are sent.
    type: bool
    default: true
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
- name: Database events go to the estate's topic
  aws_monitoring_rds_events:
    name: dsm-production-db-events
    topic_arn: arn:aws:sns:eu-west-1:111122223333:dsm-production-alerts
    source_ids: [dsm-production-db]
    event_categories: [failover, maintenance, low storage]
    region: eu-west-1
"""

RETURN = r"""
actions:
  description: What was done, or would be in check mode - create, modify, add <id>, remove <id>, delete.
  type: list
  elements: str
  returned: always
"""

from typing import Any

try:
    import botocore
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list


def plan(existing: dict[str, Any] | None, wanted: dict[str, Any]) -> list[str]:
    """The calls that make an existing subscription (None: none) what is wanted; state absent in wanted deletes."""
    if wanted["state"] == "absent":
        return ["delete"] if existing else []
    if existing is None:
        return ["create"]
    actions = []
    if (existing.get("SnsTopicArn") != wanted["topic_arn"]
            or sorted(existing.get("EventCategoriesList") or []) != sorted(wanted["event_categories"])
            or bool(existing.get("Enabled")) != wanted["enabled"]
            or existing.get("SourceType") != wanted["source_type"]):
        actions.append("modify")
    have = set(existing.get("SourceIdsList") or [])
    actions += [f"add {s}" for s in sorted(set(wanted["source_ids"]) - have)]
    actions += [f"remove {s}" for s in sorted(have - set(wanted["source_ids"]))]
    return actions


def main() -> None:
    """Create, modify or delete the subscription."""
    module = AnsibleAWSModule(
        argument_spec={
            "name": {"type": "str", "required": True},
            "topic_arn": {"type": "str"},
            "source_type": {"type": "str", "default": "db-instance"},
            "source_ids": {"type": "list", "elements": "str", "default": []},
            "event_categories": {"type": "list", "elements": "str", "default": []},
            "enabled": {"type": "bool", "default": True},
            "tags": {"type": "dict", "default": {}},
            "state": {"type": "str", "default": "present", "choices": ["present", "absent"]},
        },
        required_if=[("state", "present", ["topic_arn"])],
        supports_check_mode=True,
    )
    params, name = module.params, module.params["name"]
    client = module.client("rds", retry_decorator=AWSRetry.jittered_backoff())
    try:
        found = client.describe_event_subscriptions(aws_retry=True, SubscriptionName=name)["EventSubscriptionsList"]
    except is_boto3_error_code("SubscriptionNotFound"):
        found = []
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as err:  # pylint: disable=duplicate-except
        module.fail_json_aws(err, msg=f"Failed to describe RDS event subscription {name}")
    actions = plan(found[0] if found else None, params)
    if module.check_mode or not actions:
        module.exit_json(changed=bool(actions), actions=actions)
    try:
        for action in actions:
            verb, _, source = action.partition(" ")
            if verb == "create":
                tags = ansible_dict_to_boto3_tag_list(params["tags"])
                client.create_event_subscription(
                    aws_retry=True, SubscriptionName=name, SnsTopicArn=params["topic_arn"],
                    SourceType=params["source_type"], EventCategories=params["event_categories"],
                    SourceIds=params["source_ids"], Enabled=params["enabled"], **({"Tags": tags} if tags else {}))
            elif verb == "modify":
                client.modify_event_subscription(
                    aws_retry=True, SubscriptionName=name, SnsTopicArn=params["topic_arn"],
                    SourceType=params["source_type"], EventCategories=params["event_categories"],
                    Enabled=params["enabled"])
            elif verb == "add":
                client.add_source_identifier_to_subscription(aws_retry=True, SubscriptionName=name, SourceIdentifier=source)
            elif verb == "remove":
                client.remove_source_identifier_from_subscription(aws_retry=True, SubscriptionName=name,
                                                                  SourceIdentifier=source)
            else:
                client.delete_event_subscription(aws_retry=True, SubscriptionName=name)
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as err:
        module.fail_json_aws(err, msg=f"Failed to {action} RDS event subscription {name}")
    module.exit_json(changed=True, actions=actions)


if __name__ == "__main__":
    main()
