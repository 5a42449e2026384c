"""Unit tests for roles/aws_nodes/library/aws_nodes_group_health.py (table-driven)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

MODULE = Path(__file__).resolve().parents[2] / "roles" / "aws_nodes" / "library" / "aws_nodes_group_health.py"
_spec = importlib.util.spec_from_file_location("aws_nodes_group_health", MODULE)
assert _spec is not None and _spec.loader is not None
group_health = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(group_health)

CONSOLE, HEARTBEAT, RELAY = (f"arn:aws:elasticloadbalancing:eu-west-1:1:targetgroup/est-{f}/1" for f in
                             ("console", "heartbeat", "relay"))


def group(*instances, arns=(CONSOLE, HEARTBEAT, RELAY)):
    return {"AutoScalingGroupName": "est-node-1", "TargetGroupARNs": list(arns),
            "Instances": [{"InstanceId": i, "LifecycleState": state} for i, state in instances]}


def health(states):
    """{arn: {instance: state}} as DescribeTargetHealth answers, one call per target group."""
    return {arn: [{"Target": {"Id": i, "Port": 1}, "TargetHealth": {"State": s}} for i, s in by_id.items()]
            for arn, by_id in states.items()}


CASES = [
    ("healthy in all three", group(("i-1", "InService")),
     {CONSOLE: {"i-1": "healthy"}, HEARTBEAT: {"i-1": "healthy"}, RELAY: {"i-1": "healthy"}}, True),
    # What autoscaling_group's wait_for_instances accepts: healthy in one target group only.
    ("healthy in the console only", group(("i-1", "InService")),
     {CONSOLE: {"i-1": "healthy"}, HEARTBEAT: {"i-1": "initial"}, RELAY: {"i-1": "unhealthy"}}, False),
    ("not registered with the relay", group(("i-1", "InService")),
     {CONSOLE: {"i-1": "healthy"}, HEARTBEAT: {"i-1": "healthy"}, RELAY: {}}, False),
    ("still pending", group(("i-1", "Pending")), {}, False),
    ("replacement healthy, old one draining", group(("i-1", "Terminating"), ("i-2", "InService")),
     {CONSOLE: {"i-1": "draining", "i-2": "healthy"}, HEARTBEAT: {"i-2": "healthy"}, RELAY: {"i-2": "healthy"}}, True),
    ("no instance yet", group(), {}, False),
    ("no target group", group(("i-1", "InService"), arns=()), {}, False),
]


@pytest.mark.parametrize("case, described, states, ready", CASES, ids=[c[0] for c in CASES])
def test_a_node_counts_only_when_healthy_in_every_target_group(case, described, states, ready):
    healthy, waiting = group_health.assess([described], health(states))
    assert ("est-node-1" in healthy) == ready, case
    assert ("est-node-1" in waiting) != ready, case


def test_the_wait_says_which_target_group_is_not_healthy():
    _, waiting = group_health.assess([group(("i-1", "InService"))],
                                     health({CONSOLE: {"i-1": "healthy"}, HEARTBEAT: {"i-1": "unhealthy"},
                                             RELAY: {"i-1": "healthy"}}))
    assert "est-heartbeat/1 unhealthy" in waiting["est-node-1"] and "i-1" in waiting["est-node-1"]
