"""The major upgrade: the first node migrates the schema, the others follow; every node serves again.
It is drilled twice on the way. The first node is lost while its installer runs, before the migration:
the run stops with a verdict and the node comes back half-installed. The re-run completes it and the
schema migrates, but the node does not serve its new version: the run HALTS, with no automatic
rollback and the recovery steps. Once the cause is fixed, the next run goes forward: it leaves the
upgraded node alone and upgrades the rest."""

import json

from conftest import (ALL_UP, DB, FAULT_FILE, JOURNAL, LB, NODES, PAUSE_FILE, Background, audit, audit_mark, booted,
                      docker, dumps, installer_paused, lb_servers, node, pinned_version, scenario_container, status,
                      upgrade, wait_until)

TARGET = "21.0.211"


def test_the_first_node_lost_during_a_major_upgrade_stops_the_run_before_any_other():
    first = NODES[0]
    node(first).check_output(f"mkdir -p /etc/dsm-lab && echo 30 > {PAUSE_FILE}")
    mark = audit_mark()
    run = Background(upgrade, "-e", f"manager_version={TARGET}", expect_failure=True)
    wait_until(lambda: installer_paused(first), 240, f"the installer on {first} to pause")
    docker("stop", "--time", "1", scenario_container(first))
    output, _ = run.result()

    assert f"{first} became unreachable during its upgrade" in output, output[-8000:]
    assert [r["host"] for r in audit(mark) if (r["step"], r["result"]) == ("node", "started")] == [first]
    # Nothing migrated: the other nodes still serve the old version.
    assert {status(node(name))["state"] for name in NODES[1:]} == {"Online"}

    docker("start", scenario_container(first))
    wait_until(lambda: booted(first), 120, f"{first} to boot")
    node(first).check_output(f"rm -f {PAUSE_FILE}")
    assert node(first).file(JOURNAL).exists, "the drill did not leave the node half-installed"


def test_the_rerun_completes_the_half_installed_node_and_halts_when_it_does_not_serve_after_the_migration():
    first = NODES[0]
    # The cause an operator would find in its journal: this build does not come up on the migrated schema.
    node(first).check_output(f"echo {TARGET} > {FAULT_FILE}")
    mark = audit_mark()
    output, _ = upgrade("-e", f"manager_version={TARGET}", expect_failure=True)

    assert f"batch lab-a: {first} 20.0.970 -> {TARGET}: complete the install a failed run left unfinished" in output
    said = " ".join(output.split())
    assert (f"HALTED: {first} is not serving {TARGET} after its upgrade (a schema upgrade: no automatic rollback)"
            in said), output[-8000:]
    # The snapshot the verdict offers as the way back is one the database server holds.
    snapshot = said.split("Database snapshot taken before the first node: ", 1)[1].split(". ", 1)[0]
    assert snapshot.startswith(f"{DB}:/var/backups/postgresql/") and snapshot.rsplit("/", 1)[1] in dumps(), (
        snapshot, dumps())
    assert "run `ansible-playbook" in said and "manager_recover_version=20.0.970" in said
    # No rollback: the node keeps the new version and the migrated schema; it is out of every backend.
    answer = status(node(first))
    assert (answer["version"], answer["databaseSchemaVersion"]) == (TARGET, 21), answer
    assert answer["state"] != "Online"
    assert node(first).file("/opt/dsm/version").content_string.strip() == TARGET
    assert all(state != "UP" for (_, name), state in lb_servers(node(LB)).items() if name == first)
    # The run stopped there: no other node was touched, and the pin stays on the version before.
    assert {status(node(name))["version"] for name in NODES[1:]} == {"20.0.970"}
    assert [r["host"] for r in audit(mark) if (r["step"], r["result"]) == ("node", "started")] == [first]
    assert [r["result"] for r in audit(mark) if r["step"] == "run"] == ["failed"]
    assert pinned_version() != TARGET


def test_once_the_cause_is_fixed_the_rerun_goes_forward_and_upgrades_the_rest():
    first = NODES[0]
    node(first).check_output(f"rm -f {FAULT_FILE}")
    mark = audit_mark()
    output, _ = upgrade("-e", f"manager_version={TARGET}")

    assert f"Already on {TARGET} (untouched): {first}" in output
    answers = {name: status(node(name)) for name in NODES}
    assert {(a["version"], a["schemaVersion"], a["databaseSchemaVersion"], a["state"]) for a in answers.values()} == {
        (TARGET, 21, 21, "Online")}, json.dumps(answers)
    assert not node(first).file(JOURNAL).exists
    assert lb_servers(node(LB)) == ALL_UP
    assert pinned_version() == TARGET
    assert [r["host"] for r in audit(mark) if (r["step"], r["result"]) == ("node", "started")] == list(NODES[1:])
    done = [r for r in audit(mark) if r["step"] == "run" and r["result"] == "done"]
    assert len(done) == 1
