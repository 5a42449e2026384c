"""Filters of the aws_monitoring role: the estate's alarms from what was built, and checks of the inputs."""

from __future__ import annotations

import re
from typing import Any

from ansible.errors import AnsibleFilterError

DOCUMENTATION = r"""
name: monitoring_alarms
short_description: The CloudWatch alarms of an estate, from its target groups and databases
description:
  - For every target group, an alarm on unhealthy hosts (any, for the evaluation periods) and one on healthy hosts
    below the minimum (missing data counts as breaching - a group without a load balancer reports nothing).
  - For every database instance, alarms on CPU, free storage and connections.
  - Each alarm is a mapping of C(amazon.aws.cloudwatch_metric_alarm)'s options, notifying the topic on ALARM and OK.
  - The dimensions of a target group's metrics are the ARN suffixes (targetgroup/..., app/... or net/...) of the group
    and of its load balancer; the namespace follows the group's protocol (TCP, TLS, UDP, TCP_UDP - only a network load
    balancer forwards to those - else an application load balancer's).
options:
  _input:
    description: Target groups as C(community.aws.elb_target_group_info) returns them (target_group_arn,
      target_group_name, protocol, load_balancer_arns).
    type: list
    elements: dict
    required: true
  databases:
    description: DB instance identifiers.
    type: list
    elements: str
  topic_arn:
    description: ARN of the SNS topic every alarm notifies.
    type: str
  estate:
    description: The estate's name, prefix of every alarm name.
    type: str
  thresholds:
    description: healthy_hosts_min, db_cpu_percent, db_free_storage_gib, db_connections_max, period, evaluation_periods.
    type: dict
"""

EXAMPLES = r"""
- name: Alarms are composed
  ansible.builtin.set_fact:
    alarms: "{{ target_groups | monitoring_alarms(['dsm-db'], topic_arn, 'dsm', thresholds) }}"
"""

RETURN = r"""
_value:
  description: One mapping per alarm (name, namespace, metric_name, statistic, comparison, threshold, period,
    evaluation_periods, dimensions, treat_missing_data, description, alarm_actions, ok_actions).
  type: list
  elements: dict
"""

_THRESHOLD_KEYS = ("healthy_hosts_min", "db_cpu_percent", "db_free_storage_gib", "db_connections_max", "period",
                   "evaluation_periods")
_TG_ARN = re.compile(r"^arn:aws[a-z-]*:elasticloadbalancing:[^:]+:\d{12}:(targetgroup/[^/]+/[0-9a-f]+)$")
_LB_ARN = re.compile(r"^arn:aws[a-z-]*:elasticloadbalancing:[^:]+:\d{12}:loadbalancer/((app|net)/[^/]+/[0-9a-f]+)$")
_NETWORK_PROTOCOLS = {"TCP", "TLS", "UDP", "TCP_UDP"}
_EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
                    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$")
_HTTPS = re.compile(r"^https://[A-Za-z0-9.-]+(:\d{1,5})?(/\S*)?$")


def _alarm(name: str, topic_arn: str, **fields: Any) -> dict[str, Any]:
    return {"name": name, "alarm_actions": [topic_arn], "ok_actions": [topic_arn], **fields}


def monitoring_alarms(target_groups: list[dict[str, Any]], databases: list[str], topic_arn: str, estate: str,
                      thresholds: dict[str, Any]) -> list[dict[str, Any]]:
    """The estate's alarms: two per target group behind a load balancer, three per database instance."""
    missing = [key for key in _THRESHOLD_KEYS if key not in thresholds]
    if missing:
        raise AnsibleFilterError(f"monitoring_alarms: thresholds lack {', '.join(missing)}")
    period, evaluations = int(thresholds["period"]), int(thresholds["evaluation_periods"])
    alarms: list[dict[str, Any]] = []
    for group in sorted(target_groups, key=lambda g: g.get("target_group_name", "")):
        tg_match = _TG_ARN.match(group.get("target_group_arn", ""))
        if not tg_match:
            raise AnsibleFilterError(f"monitoring_alarms: {group.get('target_group_arn')!r} is not a target group ARN")
        lbs = group.get("load_balancer_arns") or []
        if not lbs:
            # No load balancer, no metrics: the group is not in service yet (check mode, or a half-built estate).
            continue
        lb_match = _LB_ARN.match(lbs[0])
        if not lb_match:
            raise AnsibleFilterError(f"monitoring_alarms: {lbs[0]!r} is not a load balancer ARN")
        name = group["target_group_name"]
        network = group.get("protocol", "").upper() in _NETWORK_PROTOCOLS if group.get("protocol") else lb_match.group(2) == "net"
        common = {"namespace": "AWS/NetworkELB" if network else "AWS/ApplicationELB", "period": period, "evaluation_periods": evaluations,
                  "dimensions": {"TargetGroup": tg_match.group(1), "LoadBalancer": lb_match.group(1)}}
        alarms.append(_alarm(
            f"{name}-unhealthy-hosts", topic_arn, metric_name="UnHealthyHostCount", statistic="Maximum",
            comparison="GreaterThanThreshold", threshold=0.0, treat_missing_data="notBreaching",
            description=f"A target of {name} fails its health check.", **common))
        alarms.append(_alarm(
            f"{name}-healthy-hosts-low", topic_arn, metric_name="HealthyHostCount", statistic="Minimum",
            comparison="LessThanThreshold", threshold=float(thresholds["healthy_hosts_min"]),
            treat_missing_data="breaching",
            description=f"{name} has fewer than {thresholds['healthy_hosts_min']} healthy targets.", **common))
    free_bytes = float(thresholds["db_free_storage_gib"]) * 1024 ** 3
    for db in sorted(databases):
        common = {"namespace": "AWS/RDS", "period": period, "evaluation_periods": evaluations,
                  "dimensions": {"DBInstanceIdentifier": db}, "treat_missing_data": "missing"}
        alarms.append(_alarm(
            f"{db}-cpu-high", topic_arn, metric_name="CPUUtilization", statistic="Average",
            comparison="GreaterThanThreshold", threshold=float(thresholds["db_cpu_percent"]),
            description=f"{db}: CPU above {thresholds['db_cpu_percent']} %.", **common))
        alarms.append(_alarm(
            f"{db}-free-storage-low", topic_arn, metric_name="FreeStorageSpace", statistic="Minimum",
            comparison="LessThanThreshold", threshold=free_bytes,
            description=f"{db}: less than {thresholds['db_free_storage_gib']} GiB of storage free.", **common))
        alarms.append(_alarm(
            f"{db}-connections-high", topic_arn, metric_name="DatabaseConnections", statistic="Maximum",
            comparison="GreaterThanThreshold", threshold=float(thresholds["db_connections_max"]),
            description=f"{db}: more than {thresholds['db_connections_max']} connections.", **common))
    return alarms


def monitoring_subscription_errors(subscriptions: Any, variable: str = "aws_monitoring_subscriptions") -> list[str]:
    """What is wrong with each subscription, naming it as <variable>[i].<key>; empty when all are valid.

    A subscription is {protocol: email | https | sqs, endpoint}: an e-mail address, an https URL, an SQS queue ARN.
    """
    if not isinstance(subscriptions, list):
        return [f"{variable} must be a list of {{protocol, endpoint}}, got {type(subscriptions).__name__}"]
    errors: list[str] = []
    for index, item in enumerate(subscriptions):
        where = f"{variable}[{index}]"
        if not isinstance(item, dict):
            errors.append(f"{where} must be a mapping with protocol and endpoint")
            continue
        protocol, endpoint = item.get("protocol"), item.get("endpoint")
        if protocol not in ("email", "https", "sqs"):
            errors.append(f"{where}.protocol {protocol!r} must be email, https or sqs")
            continue
        if not isinstance(endpoint, str) or not endpoint:
            errors.append(f"{where}.endpoint is missing")
        elif protocol == "email" and not _EMAIL.match(endpoint):
            errors.append(f"{where}.endpoint {endpoint!r} is not an e-mail address")
        elif protocol == "https" and not _HTTPS.match(endpoint):
            errors.append(f"{where}.endpoint {endpoint!r} is not an https:// URL")
        elif protocol == "sqs" and not re.match(r"^arn:aws[a-z-]*:sqs:[a-z0-9-]+:\d{12}:[A-Za-z0-9_.-]+$", endpoint):
            errors.append(f"{where}.endpoint {endpoint!r} is not an SQS queue ARN")
    return errors


class FilterModule:
    """aws_monitoring filters."""

    def filters(self) -> dict[str, Any]:
        return {"monitoring_alarms": monitoring_alarms, "monitoring_subscription_errors": monitoring_subscription_errors}
