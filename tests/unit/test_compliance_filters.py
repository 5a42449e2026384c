"""Unit tests for roles/compliance/filter_plugins/compliance.py and the catalogue's shape (table-driven)."""

from __future__ import annotations

import copy
import importlib.util
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml
from ansible.errors import AnsibleFilterError

REPO = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("compliance_filters", REPO / "roles" / "compliance" / "filter_plugins" / "compliance.py")
assert _spec is not None and _spec.loader is not None
comp = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(comp)

CATALOGUE = yaml.safe_load((REPO / "compliance" / "catalogue.yml").read_text())["controls"]
TOPIC = "arn:aws:sns:eu-west-1:123456789012:est-alerts"
GOOD = {
    "estate": "est",
    "security_groups": [
        {"id": "sg-1", "name": "est-nodes", "vpc_id": "vpc-1",
         "ingress": [{"protocol": "tcp", "from": 4119, "to": 4119, "cidrs": [], "groups": ["sg-lb"]},
                     {"protocol": "tcp", "from": 22, "to": 22, "cidrs": ["10.0.0.0/16"], "groups": []}]},
        {"id": "sg-2", "name": "est-db", "vpc_id": "vpc-1", "ingress": [{"protocol": "tcp", "from": 5432, "to": 5432, "cidrs": [], "groups": ["sg-1"]}]},
    ],
    "instances": [{"id": "i-1", "public_ip": "", "http_tokens": "required"}],
    "vpcs": [{"id": "vpc-1", "flow_logs": [{"destination": "arn:aws:s3:::logs/vpc", "traffic": "ALL", "status": "ACTIVE"}]}],
    "databases": [{"id": "est-db", "engine": "postgres", "encrypted": True, "public": False, "multi_az": True, "backup_retention": 7,
                   "auto_minor_version_upgrade": False, "deletion_protection": True, "force_ssl": "1"}],
    "buckets": {role: {"name": name, "exists": True, "encryption": "AES256", "public_access_blocked": True, "tls_only": True,
                       "versioning": "Enabled", "expiration_days": [30]}
                for role, name in (("deployment", "dep"), ("transfer", "tr"), ("logs", "logs"))},
    "load_balancers": [{"name": "est-console", "type": "application", "access_logs": True, "access_logs_bucket": "logs",
                        "listeners": [{"port": 443, "protocol": "HTTPS", "ssl_policy": "ELBSecurityPolicy-TLS13-1-2-2021-06"}]}],
    "target_groups": ["est-console"],
    "alarms": [{"name": f"est-console-{k}", "metric": "m", "enabled": True, "actions": [TOPIC], "dimensions": {}}
               for k in ("unhealthy-hosts", "healthy-hosts-low")]
              + [{"name": f"est-db-{k}", "metric": "m", "enabled": True, "actions": [TOPIC], "dimensions": {}}
                 for k in ("cpu-high", "free-storage-low", "connections-high")],
    "topic": {"arn": TOPIC, "subscriptions": 1},
    "rds_subscriptions": [{"name": "est-db-events", "enabled": True, "categories": ["failover", "maintenance", "low storage"],
                           "topic": TOPIC, "sources": ["est-db"]}],
    "node_rule": {"state": "ENABLED", "targets": [TOPIC]},
    "trails": [{"name": "est-trail", "multi_region": True, "validation": True, "logging": True, "bucket": "logs"}],
    "node_role": {"exists": True, "boundary": "arn:aws:iam::123456789012:policy/est-node-boundary", "attached": [],
                  "actions": ["s3:GetObject"]},
    "launch_templates": [{"name": "est-node", "http_tokens": "required", "volumes_encrypted": [True], "image_id": "ami-1"}],
    "audit_shipped": ["audit/est/ctl/change-window.jsonl"],
    "node_settings_keys": ["database_secret_id", "manager_version"],
    "context": {"retention_days": 30, "admin_cidrs": ["10.0.0.0/16"], "change_calendars_configured": True,
                "audit_entries": [{"step": "run", "result": "done"},
                                  {"step": "gate", "result": "ok", "decision": "override", "ticket": "CHG-1", "approver": "a"}]},
}
DOCUMENTS = sorted({c["evidence"]["document"] for c in CATALOGUE if "document" in c["evidence"]})


def statuses(snapshot: dict, documents: list[str] = DOCUMENTS) -> dict[str, str]:
    return {r["id"]: r["status"] for r in comp.compliance_evaluate(CATALOGUE, snapshot, documents)}


def test_the_catalogue_has_the_registers_shape_and_coverage():
    assert len(CATALOGUE) >= 60
    assert [c["number"] for c in CATALOGUE] == list(range(1, len(CATALOGUE) + 1))
    assert len({c["id"] for c in CATALOGUE}) == len(CATALOGUE)
    for control in CATALOGUE:
        assert {"number", "id", "area", "requirement", "response", "evidence"} <= control.keys(), control["id"]
    summary = comp.compliance_summary(comp.compliance_evaluate(CATALOGUE, GOOD, DOCUMENTS))
    assert summary["automated_share"] >= 0.75
    assert {"Network perimeter", "Encryption", "Identity and least privilege", "Secrets", "Logging and monitoring",
            "Backups and contingency", "Change management", "Patching", "Node hardening",
            "Physical and environmental"} <= set(summary["areas"])
    assert all(c["evidence"]["check"] in comp.CHECKS for c in CATALOGUE if c["evidence"]["kind"] == "automated")
    assert all(c["evidence"]["reference"].startswith("https://") for c in CATALOGUE if c["evidence"]["kind"] == "inherited")


def test_a_well_kept_estate_passes_every_automated_control():
    assert {cid: s for cid, s in statuses(GOOD).items() if s not in ("PASS", "INHERITED")} == {}

def test_a_missing_procedure_document_fails():
    assert statuses(GOOD, [d for d in DOCUMENTS if d != "docs/dr-drill.md"])["BCK-C1-04"] == "FAIL"
    assert statuses(GOOD, DOCUMENTS)["BCK-C1-04"] == "PASS"


def _set(path: str, value):
    def change(snapshot: dict) -> None:
        *keys, last = path.split(".")
        node = snapshot
        for key in keys:
            node = node[int(key)] if isinstance(node, list) else node[key]
        if isinstance(node, list):
            node[int(last)] = value
        else:
            node[last] = value
    return change


def _open(port: int):
    def change(snapshot: dict) -> None:
        snapshot["security_groups"][0]["ingress"].append({"protocol": "tcp", "from": port, "to": port, "cidrs": ["0.0.0.0/0"], "groups": []})
    return change


BREAKS = [
    (_open(22), {"NET-P1-01", "HRD-N1-02", "NET-P1-04"}),
    (_open(3389), {"NET-P1-02", "NET-P1-04"}),
    (_set("security_groups.1.ingress.0.cidrs", ["10.9.0.0/16"]), {"NET-P1-05"}),
    (_set("instances.0.public_ip", "203.0.113.9"), {"NET-P1-06"}),
    (_set("instances.0.http_tokens", "optional"), {"IAM-L1-05"}),
    (_set("databases.0.encrypted", False), {"ENC-R1-01"}),
    (_set("databases.0.force_ssl", "0"), {"ENC-T1-02"}),
    (_set("databases.0.backup_retention", 1), {"BCK-C1-01"}),
    (_set("buckets.logs.encryption", ""), {"ENC-R1-03"}),
    (_set("buckets.logs.tls_only", False), {"ENC-T1-04"}),
    (_set("buckets.logs.expiration_days", [90]), {"LOG-M1-04"}),
    (_set("buckets.deployment.exists", False), {"ENC-R1-02", "ENC-T1-03", "BCK-C1-03"}),
    (_set("load_balancers.0.access_logs", False), {"LOG-M1-01"}),
    (_set("load_balancers.0.listeners.0.ssl_policy", "ELBSecurityPolicy-2016-08"), {"ENC-T1-01"}),
    (_set("alarms.0.enabled", False), {"LOG-M2-02"}),
    (_set("node_rule.state", "DISABLED"), {"LOG-M2-08"}),
    (_set("trails.0.validation", False), {"LOG-M1-03"}),
    (_set("vpcs.0.flow_logs", []), {"NET-P2-01"}),
    (_set("node_role.boundary", ""), {"IAM-L1-01"}),
    (_set("node_role.actions", ["s3:*"]), {"IAM-L1-02"}),
    (_set("node_settings_keys", ["db_password"]), {"SEC-S1-01"}),
    (_set("audit_shipped", []), {"CHG-W1-04"}),
    (_set("context.audit_entries", [{"step": "gate", "result": "ok", "decision": "override"}]), {"CHG-W1-03"}),
    (_set("context.change_calendars_configured", False), {"CHG-W1-01"}),
]


@pytest.mark.parametrize("change, failing", BREAKS, ids=[",".join(sorted(b[1])) for b in BREAKS])
def test_each_break_fails_exactly_its_controls(change, failing):
    snapshot = copy.deepcopy(GOOD)
    change(snapshot)
    now = statuses(snapshot)
    assert {cid for cid, s in now.items() if s == "FAIL"} - {"BCK-C1-04"} == failing


def test_a_part_not_read_is_error_not_fail():
    now = statuses({**GOOD, "alarms": None})
    assert {cid for cid, s in now.items() if s == "ERROR"} == {f"LOG-M2-0{i}" for i in range(2, 7)}


def test_an_unknown_kind_is_refused():
    with pytest.raises(AnsibleFilterError, match="evidence.kind 'manual'"):
        comp.compliance_evaluate([{"id": "X-1", "evidence": {"kind": "manual"}}], GOOD, [])


def test_junit_and_html_carry_every_control():
    results = comp.compliance_evaluate(CATALOGUE, {**GOOD, "alarms": None}, [])
    suite = ET.fromstring(comp.compliance_junit(results))
    cases = suite.findall("testcase")
    assert len(cases) == sum(1 for r in results if r["kind"] != "inherited")
    assert int(suite.get("failures")) == len([c for c in cases if c.find("failure") is not None]) >= 1
    assert int(suite.get("errors")) == 5
    page = comp.compliance_html(results, "Evidence <est>", "2026-01-01T00:00:00Z")
    assert "Evidence &lt;est&gt;" in page and page.count("<tr class='control'") == len(results)
