"""The major upgrade: the first node migrates the schema, the others follow; every node serves again."""

import json

from conftest import ALL_UP, LB, NODES, audit, audit_mark, lb_servers, node, pinned_version, status, upgrade


def test_major_upgrade_migrates_the_schema_and_brings_every_node_back():
    mark = audit_mark()
    output, _ = upgrade("-e", "manager_version=21.0.211")

    assert f"{NODES[0]} 20.0.950 -> 21.0.211: drain, upgrade (migrates the database schema" in output
    answers = {name: status(node(name)) for name in NODES}
    assert {(a["version"], a["schemaVersion"], a["databaseSchemaVersion"], a["state"]) for a in answers.values()} == {
        ("21.0.211", 21, 21, "Online")}, json.dumps(answers)
    assert lb_servers(node(LB)) == ALL_UP
    assert pinned_version() == "21.0.211"
    done = [r for r in audit(mark) if r["step"] == "upgrade" and r["result"] == "done"]
    assert len(done) == 1
