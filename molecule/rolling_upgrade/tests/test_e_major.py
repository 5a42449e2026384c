"""The major upgrade: the first node migrates the schema, the others follow; every node serves again.
It is drilled too: the first node is lost while its installer runs, before the migration. The run
stops with a verdict; the node comes back half-installed; the re-run completes it first, migrates the
schema, and upgrades the others."""

import json

from conftest import (ALL_UP, JOURNAL, LB, NODES, PAUSE_FILE, Background, audit, audit_mark, booted, docker,
                      installer_paused, lb_servers, node, pinned_version, status, upgrade, wait_for)

TARGET = "21.0.211"


def test_the_first_node_lost_during_a_major_upgrade_stops_the_run_before_any_other():
    first = NODES[0]
    node(first).check_output(f"mkdir -p /etc/dsm-lab && echo 30 > {PAUSE_FILE}")
    mark = audit_mark()
    run = Background(upgrade, "-e", f"manager_version={TARGET}", expect_failure=True)
    wait_for(lambda: installer_paused(first), 240, f"the installer on {first} to pause")
    docker("stop", "--time", "1", first)
    output, _ = run.result()

    assert f"{first} became unreachable during its upgrade" in output, output[-8000:]
    assert [r["host"] for r in audit(mark) if (r["step"], r["result"]) == ("node", "started")] == [first]
    # Nothing migrated: the other nodes still serve the old version.
    assert {status(node(name))["state"] for name in NODES[1:]} == {"Online"}

    docker("start", first)
    wait_for(lambda: booted(first), 120, f"{first} to boot")
    node(first).check_output(f"rm -f {PAUSE_FILE}")
    assert node(first).file(JOURNAL).exists, "the drill did not leave the node half-installed"


def test_the_rerun_completes_the_half_installed_node_first_then_migrates_and_upgrades_the_rest():
    mark = audit_mark()
    output, _ = upgrade("-e", f"manager_version={TARGET}")

    assert f"batch lab-a: {NODES[0]} 20.0.970 -> {TARGET}: complete the install a failed run left unfinished" in output
    answers = {name: status(node(name)) for name in NODES}
    assert {(a["version"], a["schemaVersion"], a["databaseSchemaVersion"], a["state"]) for a in answers.values()} == {
        (TARGET, 21, 21, "Online")}, json.dumps(answers)
    assert not node(NODES[0]).file(JOURNAL).exists
    assert lb_servers(node(LB)) == ALL_UP
    assert pinned_version() == TARGET
    assert [r["host"] for r in audit(mark) if (r["step"], r["result"]) == ("node", "started")] == list(NODES)
    done = [r for r in audit(mark) if r["step"] == "run" and r["result"] == "done"]
    assert len(done) == 1
