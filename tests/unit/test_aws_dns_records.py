"""Unit tests for roles/aws_dns/library/aws_dns_records.py (table-driven)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

MODULE = Path(__file__).resolve().parents[2] / "roles" / "aws_dns" / "library" / "aws_dns_records.py"
_spec = importlib.util.spec_from_file_location("aws_dns_records", MODULE)
assert _spec is not None and _spec.loader is not None
records = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(records)

NAMES = {"console": "console.example.com"}
TARGETS = {"console": {"dns_name": "Est-Console-1.eu-west-1.elb.amazonaws.com", "zone_id": "Z32O12XQLNTSW2"}}
FAILOVER = {"identifier_prefix": "est", "health_check_id": "hc-1", "ttl": 60,
            "secondary": {"console": {"values": ["198.51.100.10"]}}}
# As Route 53 lists them: lower case, trailing dots.
PLAIN = {"Name": "console.example.com.", "Type": "A", "AliasTarget": {
    "HostedZoneId": "Z32O12XQLNTSW2", "DNSName": "est-console-1.eu-west-1.elb.amazonaws.com.", "EvaluateTargetHealth": True}}
PRIMARY = {**PLAIN, "SetIdentifier": "est-primary", "Failover": "PRIMARY", "HealthCheckId": "hc-1"}
SECONDARY = {"Name": "console.example.com.", "Type": "A", "SetIdentifier": "est-secondary", "Failover": "SECONDARY",
             "TTL": 60, "ResourceRecords": [{"Value": "198.51.100.10"}]}
OTHER = {"Name": "console.example.com.", "Type": "TXT", "TTL": 300, "ResourceRecords": [{"Value": '"keep me"'}]}


def batch(existing, failover):
    changes = records.change_batch(existing, records.wanted_records(NAMES, TARGETS, failover))
    return [(c["Action"], c["ResourceRecordSet"].get("SetIdentifier", "plain")) for c in changes]


CASES = [
    ("a new estate gets its plain alias", [OTHER], None, [("UPSERT", "plain")]),
    ("a converged estate changes nothing", [PLAIN, OTHER], None, []),
    # Route 53 refuses failover records next to the plain one: all three in one batch, the deletion first.
    ("failover switched on for a running estate", [PLAIN, OTHER], FAILOVER,
     [("DELETE", "plain"), ("UPSERT", "est-primary"), ("UPSERT", "est-secondary")]),
    ("failover converged", [PRIMARY, SECONDARY], FAILOVER, []),
    ("failover switched off again", [PRIMARY, SECONDARY], None,
     [("DELETE", "est-primary"), ("DELETE", "est-secondary"), ("UPSERT", "plain")]),
    # Rewritten in place: the pair never loses its SECONDARY, not even within the batch.
    ("a standby address changed", [PRIMARY, {**SECONDARY, "ResourceRecords": [{"Value": "198.51.100.99"}]}], FAILOVER,
     [("UPSERT", "est-secondary")]),
]


@pytest.mark.parametrize("case, existing, failover, expected", CASES, ids=[c[0] for c in CASES])
def test_each_name_gets_exactly_its_records_in_one_batch(case, existing, failover, expected):
    assert batch(existing, failover) == expected, case


def test_a_standby_load_balancer_is_an_alias():
    failover = {**FAILOVER, "secondary": {"console": {"dns_name": "dr.us-east-1.elb.amazonaws.com", "zone_id": "Z35SX"}}}
    (_, secondary) = records.wanted_records(NAMES, TARGETS, failover)
    assert secondary["AliasTarget"]["DNSName"] == "dr.us-east-1.elb.amazonaws.com" and "TTL" not in secondary
