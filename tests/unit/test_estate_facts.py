"""estate_facts_select: the estate's database server and target groups, picked by tag, or a refusal naming what is missing."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from ansible.errors import AnsibleFilterError

PATH = Path(__file__).resolve().parents[2] / "roles/estate_facts/filter_plugins/estate_facts.py"
_spec = importlib.util.spec_from_file_location("estate_facts_filters", PATH)
_module = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_module)
select = _module.estate_facts_select

ESTATE = "dsm-production"


def server(identifier=f"{ESTATE}-db", estate=ESTATE, address="db.abc.eu-west-1.rds.amazonaws.com", port=5432):
    return {"db_instance_identifier": identifier, "engine": "postgres", "db_instance_status": "available",
            "tags": {"Estate": estate}, "endpoint": {"address": address, "port": port} if address else {}}


def group(flow, estate=ESTATE, suffix=""):
    return {"target_group_arn": f"arn:aws:elasticloadbalancing:eu-west-1:1:targetgroup/{estate}-{flow}{suffix}/x",
            "tags": {"Estate": estate, "Flow": flow}}


FULL = [group("console"), group("heartbeat"), group("relay")]
OTHER = [group("console", "dsm-staging"), group("heartbeat", "dsm-staging"), group("relay", "dsm-staging")]


def test_the_estate_is_found_among_other_estates():
    found = select({"instances": [server()], "target_groups": OTHER + FULL}, ESTATE, f"{ESTATE}-db")
    assert found == {
        "database": {"identifier": f"{ESTATE}-db", "endpoint": "db.abc.eu-west-1.rds.amazonaws.com", "port": 5432,
                     "engine": "postgres"},
        "target_group_arns": {flow: g["target_group_arn"] for flow, g in zip(("console", "heartbeat", "relay"), FULL)},
    }


REFUSALS = [
    ("no server", [], FULL, f"no RDS server {ESTATE}-db (run provision.yml"),
    ("another estate's server", [server(estate="dsm-staging")], FULL, "is not tagged Estate=dsm-production"),
    ("a server still being created", [server(address="")], FULL, "has no endpoint yet (status available)"),
    ("a flow without its target group", [server()], FULL[:2], "0 target groups tagged Estate=dsm-production, Flow=relay"),
    ("a flow with two target groups", [server()], FULL + [group("relay", suffix="-old")],
     "2 target groups tagged Estate=dsm-production, Flow=relay (one expected; run provision.yml, then remove the stray"),
    ("only another estate's target groups", [server()], OTHER, "Flow=console"),
]


@pytest.mark.parametrize("case, instances, groups, message", REFUSALS, ids=[r[0] for r in REFUSALS])
def test_a_missing_or_foreign_part_is_refused_by_name(case, instances, groups, message):
    with pytest.raises(AnsibleFilterError, match="The estate dsm-production is not complete in AWS") as refused:
        select({"instances": instances, "target_groups": groups}, ESTATE, f"{ESTATE}-db")
    assert message in str(refused.value)


def test_an_empty_estate_name_is_refused():
    with pytest.raises(AnsibleFilterError, match="estate_name is empty"):
        select({"instances": [], "target_groups": []}, "", "-db")
