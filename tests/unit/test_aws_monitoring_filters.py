"""Unit tests for roles/aws_monitoring/filter_plugins/aws_monitoring.py and the role modules' decisions (table-driven)."""

from __future__ import annotations

import importlib.util
import sys
import types
from pathlib import Path

import pytest
from ansible.errors import AnsibleFilterError

ROLES = Path(__file__).resolve().parents[2] / "roles"


def load(path: Path, name: str) -> types.ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


mon = load(ROLES / "aws_monitoring" / "filter_plugins" / "aws_monitoring.py", "aws_monitoring_filters")
rds_events = load(ROLES / "aws_monitoring" / "library" / "aws_monitoring_rds_events.py", "aws_monitoring_rds_events")
access_logs = load(ROLES / "aws_logging" / "library" / "aws_logging_lb_access_logs.py", "aws_logging_lb_access_logs")
flow_logs = load(ROLES / "aws_logging" / "library" / "aws_logging_flow_logs.py", "aws_logging_flow_logs")

ACCOUNT = "111122223333"
TOPIC = f"arn:aws:sns:eu-west-1:{ACCOUNT}:dsm-alerts"
THRESHOLDS = {"healthy_hosts_min": 2, "db_cpu_percent": 80, "db_free_storage_gib": 10, "db_connections_max": 300,
              "period": 60, "evaluation_periods": 5}


def group(name: str, kind: str | None, protocol: str | None = None) -> dict:
    arn = f"arn:aws:elasticloadbalancing:eu-west-1:{ACCOUNT}:targetgroup/{name}/0123456789abcdef"
    lbs = [f"arn:aws:elasticloadbalancing:eu-west-1:{ACCOUNT}:loadbalancer/{kind}/{name}/fedcba9876543210"] if kind else []
    return {"target_group_name": name, "target_group_arn": arn, "load_balancer_arns": lbs,
            **({"protocol": protocol} if protocol else {})}


@pytest.mark.parametrize("groups, databases, names", [
    ([], [], []),
    ([group("dsm-console", "app")], [], ["dsm-console-unhealthy-hosts", "dsm-console-healthy-hosts-low"]),
    # A group no load balancer forwards to has no metrics yet: no alarm that would only say "missing data".
    ([group("dsm-relay", None)], [], []),
    ([], ["dsm-db"], ["dsm-db-cpu-high", "dsm-db-free-storage-low", "dsm-db-connections-high"]),
    ([group("dsm-relay", "net"), group("dsm-console", "app")], ["dsm-db"],
     ["dsm-console-unhealthy-hosts", "dsm-console-healthy-hosts-low", "dsm-relay-unhealthy-hosts",
      "dsm-relay-healthy-hosts-low", "dsm-db-cpu-high", "dsm-db-free-storage-low", "dsm-db-connections-high"]),
])
def test_each_target_group_and_database_gets_its_alarms(groups, databases, names):
    alarms = mon.monitoring_alarms(groups, databases, TOPIC, "dsm", THRESHOLDS)
    assert [a["name"] for a in alarms] == names
    assert all(a["alarm_actions"] == [TOPIC] and a["ok_actions"] == [TOPIC] for a in alarms)


@pytest.mark.parametrize("kind, protocol, namespace, lb_dimension", [
    ("app", None, "AWS/ApplicationELB", "app/dsm-console/fedcba9876543210"),
    ("net", None, "AWS/NetworkELB", "net/dsm-console/fedcba9876543210"),
    ("app", "HTTPS", "AWS/ApplicationELB", "app/dsm-console/fedcba9876543210"),
    # The group's protocol decides: only an NLB forwards TCP or TLS.
    ("net", "TCP", "AWS/NetworkELB", "net/dsm-console/fedcba9876543210"),
    ("net", "TLS", "AWS/NetworkELB", "net/dsm-console/fedcba9876543210"),
])
def test_target_group_alarms_use_the_arn_suffixes_and_the_balancers_namespace(kind, protocol, namespace, lb_dimension):
    unhealthy, healthy = mon.monitoring_alarms([group("dsm-console", kind, protocol)], [], TOPIC, "dsm", THRESHOLDS)
    assert unhealthy["namespace"] == healthy["namespace"] == namespace
    assert unhealthy["dimensions"] == {"TargetGroup": "targetgroup/dsm-console/0123456789abcdef", "LoadBalancer": lb_dimension}
    assert (unhealthy["metric_name"], unhealthy["comparison"], unhealthy["threshold"]) == ("UnHealthyHostCount", "GreaterThanThreshold", 0.0)
    # No data from a group means no healthy host at all.
    assert (healthy["metric_name"], healthy["threshold"], healthy["treat_missing_data"]) == ("HealthyHostCount", 2.0, "breaching")


@pytest.mark.parametrize("metric, threshold", [
    ("CPUUtilization", 80.0), ("FreeStorageSpace", 10 * 1024 ** 3), ("DatabaseConnections", 300.0)])
def test_database_thresholds_are_in_the_metrics_units(metric, threshold):
    alarms = {a["metric_name"]: a for a in mon.monitoring_alarms([], ["dsm-db"], TOPIC, "dsm", THRESHOLDS)}
    assert alarms[metric]["threshold"] == threshold
    assert alarms[metric]["dimensions"] == {"DBInstanceIdentifier": "dsm-db"}


@pytest.mark.parametrize("groups, thresholds, message", [
    ([{"target_group_name": "x", "target_group_arn": "arn:aws:s3:::x"}], THRESHOLDS, "is not a target group ARN"),
    ([], {"period": 60}, "thresholds lack healthy_hosts_min"),
])
def test_bad_input_is_named(groups, thresholds, message):
    with pytest.raises(AnsibleFilterError, match=message):
        mon.monitoring_alarms(groups, [], TOPIC, "dsm", thresholds)


@pytest.mark.parametrize("subscriptions, errors", [
    ([], []),
    ([{"protocol": "email", "endpoint": "ops@example.com"}, {"protocol": "https", "endpoint": "https://hooks.example.com/a?b=1"},
      {"protocol": "sqs", "endpoint": f"arn:aws:sqs:eu-west-1:{ACCOUNT}:alerts"}], []),
    ([{"protocol": "email", "endpoint": "ops-at-example.com"}],
     ["aws_monitoring_subscriptions[0].endpoint 'ops-at-example.com' is not an e-mail address"]),
    ([{"protocol": "email", "endpoint": "ops@example.com"}, {"protocol": "https", "endpoint": "http://hooks.example.com"}],
     ["aws_monitoring_subscriptions[1].endpoint 'http://hooks.example.com' is not an https:// URL"]),
    ([{"protocol": "sms", "endpoint": "+44123"}], ["aws_monitoring_subscriptions[0].protocol 'sms' must be email, https or sqs"]),
    ([{"protocol": "email"}], ["aws_monitoring_subscriptions[0].endpoint is missing"]),
    (["ops@example.com"], ["aws_monitoring_subscriptions[0] must be a mapping with protocol and endpoint"]),
    ("ops@example.com", ["aws_monitoring_subscriptions must be a list of {protocol, endpoint}, got str"]),
])
def test_subscription_errors_name_the_entry(subscriptions, errors):
    assert mon.monitoring_subscription_errors(subscriptions) == errors


WANTED = {"state": "present", "topic_arn": TOPIC, "event_categories": ["failover", "maintenance"], "enabled": True,
          "source_type": "db-instance", "source_ids": ["dsm-db"]}
SAME = {"SnsTopicArn": TOPIC, "EventCategoriesList": ["maintenance", "failover"], "Enabled": True,
        "SourceType": "db-instance", "SourceIdsList": ["dsm-db"]}


@pytest.mark.parametrize("existing, wanted, actions", [
    (None, WANTED, ["create"]),
    (SAME, WANTED, []),
    ({**SAME, "Enabled": False}, WANTED, ["modify"]),
    ({**SAME, "SnsTopicArn": TOPIC + "-old"}, WANTED, ["modify"]),
    ({**SAME, "SourceIdsList": ["dsm-old"]}, WANTED, ["add dsm-db", "remove dsm-old"]),
    (SAME, {**WANTED, "state": "absent"}, ["delete"]),
    (None, {**WANTED, "state": "absent"}, []),
])
def test_rds_event_subscription_changes_only_what_differs(existing, wanted, actions):
    assert rds_events.plan(existing, wanted) == actions


@pytest.mark.parametrize("current, enabled, delta", [
    ({}, True, {"access_logs.s3.enabled": "true", "access_logs.s3.bucket": "logs", "access_logs.s3.prefix": "lb/dsm-console"}),
    ({"access_logs.s3.enabled": "true", "access_logs.s3.bucket": "logs", "access_logs.s3.prefix": "lb/dsm-console"}, True, {}),
    ({"access_logs.s3.enabled": "true", "access_logs.s3.bucket": "old", "access_logs.s3.prefix": "lb/dsm-console"}, True,
     {"access_logs.s3.bucket": "logs"}),
    ({"access_logs.s3.enabled": "true", "access_logs.s3.bucket": "logs"}, False, {"access_logs.s3.enabled": "false"}),
    ({"access_logs.s3.enabled": "false"}, False, {}),
])
def test_access_log_attributes_change_only_when_they_differ(current, enabled, delta):
    assert access_logs.differences(current, access_logs.wanted_attributes("dsm-console", "logs", "lb/", enabled)) == delta


ALL = {"FlowLogId": "fl-1", "TrafficType": "ALL", "MaxAggregationInterval": 600}
REJECT = {"FlowLogId": "fl-2", "TrafficType": "REJECT", "MaxAggregationInterval": 600}


@pytest.mark.parametrize("existing, traffic, state, plan", [
    ([], "ALL", "present", ([], True)),
    ([ALL], "ALL", "present", ([], False)),
    # A flow log cannot be modified: another traffic type means a new one, and the old one goes.
    ([REJECT], "ALL", "present", (["fl-2"], True)),
    ([ALL, {**ALL, "FlowLogId": "fl-3"}], "ALL", "present", (["fl-3"], False)),
    ([ALL, REJECT], "ALL", "absent", (["fl-1", "fl-2"], False)),
])
def test_flow_logs_are_created_replaced_or_deleted(existing, traffic, state, plan):
    assert flow_logs.plan(existing, traffic, 600, state) == plan
