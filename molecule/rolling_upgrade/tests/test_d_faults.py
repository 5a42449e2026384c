"""Fault drills on the patch upgrade 20.0.950 -> 20.0.970, each reproducing what an operator met at
03:00 and asserting what the runbook then does and says: the database restarting under an installer,
the installer's shell killed while its JVM installs, a node lost in the middle of its upgrade, and
the repair and re-run that follow. The stand-in's installer pauses, on the node a drill names, once
it has replaced the files (PAUSE_FILE): the window each fault is injected in."""

from conftest import (ALL_UP, BACKENDS, DB, JOURNAL, LB, NODES, PAUSE_FILE, Background, audit, audit_mark, booted,
                      console_load, docker, installer_paused, lb_servers, node, ping_status, scenario_container, site,
                      status, upgrade, versions, wait_until)

TARGET, BEFORE = "20.0.970", "20.0.950"


def pause_installer(name: str, seconds: int) -> None:
    node(name).check_output(f"mkdir -p /etc/dsm-lab && echo {seconds} > {PAUSE_FILE}")


def clear_pauses() -> None:
    for name in NODES:
        node(name).check_output(f"rm -f {PAUSE_FILE}")


def files_and_running(name: str) -> tuple[str, str, str]:
    host = node(name)
    answer = status(host)
    return host.file("/opt/dsm/version").content_string.strip(), answer["version"], answer["state"]


def test_database_restart_under_the_installer_rolls_the_node_back_and_the_verdict_says_so():
    """Finding: the rescue read only the version file, skipped the rollback, and said the node was back
    on the old version in the load balancer while dsm_s was stopped on half-replaced files."""
    first = NODES[0]
    pause_installer(first, 15)
    mark = audit_mark()
    run = Background(upgrade, "-e", f"manager_version={TARGET}", expect_failure=True)
    wait_until(lambda: installer_paused(first), 240, f"the installer on {first} to pause with its files replaced")
    node(DB).check_output("systemctl restart postgresql@15-main")
    output, _ = run.result()
    clear_pauses()

    # The node really runs the version before, its files agree, and it serves in every backend.
    assert files_and_running(first) == (BEFORE, BEFORE, "Online")
    assert node(first).service("dsm_s").is_running
    assert not node(first).file(JOURNAL).exists, "the install journal is still open"
    assert node(first).file("/opt/dsm.failed/dsm-manager.jar").exists, "the failed installation was not kept"
    assert versions() == {name: BEFORE for name in NODES}
    wait_until(lambda: lb_servers(node(LB)) == ALL_UP, 30, "every node UP in every backend")
    # The verdict says exactly that, from what was read after the rollback.
    assert (f"The upgrade of {first} to {TARGET} failed and the node runs {BEFORE} again (rolled back from its backup), "
            "back in every load balancer") in output, output[-8000:]
    assert "the installation failed part-way" in output
    records = [(r["host"], r["step"], r["result"]) for r in audit(mark) if r["step"] in ("node", "rollback", "run")]
    assert records == [(first, "node", "started"), (first, "node", "failed"), (first, "rollback", "rolled-back"),
                       (first, "run", "failed")], records


def test_a_killed_installer_shell_and_a_node_lost_mid_upgrade():
    """Two findings in one run. The installer's shell killed while its JVM installs: the run used to
    roll back an upgrade that had succeeded. A node lost in the middle of its own upgrade: the run used
    to end at once with an SSH error - no reconcile, no verdict, no audit record."""
    first, lost = NODES[0], NODES[2]
    # Long enough that a poll over docker exec on a busy machine sees it (the kill lands inside it).
    pause_installer(first, 20)
    pause_installer(lost, 30)
    mark = audit_mark()
    with console_load() as load:
        run = Background(upgrade, "-e", f"manager_version={TARGET}", expect_failure=True)
        wait_until(lambda: installer_paused(first), 240, f"the installer on {first} to pause")
        # The installer's shell only (argv[0] /bin/sh), not systemd-run beside it nor the JVM it started.
        node(first).check_output("pkill -KILL -f '^/bin/sh /var/cache/dsm/Manager-Linux-'")
        wait_until(lambda: installer_paused(lost), 300, f"the installer on {lost} to pause")
        docker("stop", "--time", "1", scenario_container(lost))
        output, recap = run.result()
    report = load.report

    # The installer's JVM finished its work after its shell was killed: the node is upgraded, not rolled back.
    assert files_and_running(first) == (TARGET, TARGET, "Online")
    assert files_and_running(NODES[1]) == (TARGET, TARGET, "Online")
    # (The lost node's own rescue may record a rollback that failed: its container is gone. Only the first
    # node's upgrade succeeded and must not be rolled back.)
    assert not [r for r in audit(mark) if r["step"] == "rollback" and r["host"] == first], \
        "an upgrade that succeeded was rolled back"
    # The lost node: recorded, named in the verdict with the next step, and the others serve.
    records = audit(mark)
    assert (lost, "node", "unreachable") in [(r["host"], r["step"], r["result"]) for r in records], records
    assert [r["result"] for r in records if r["step"] == "run"] == ["failed"]
    assert f"{lost} became unreachable during its upgrade (last step: upgrade)" in output, output[-8000:]
    assert f"bring {lost} back" in output
    assert recap[lost]["unreachable"] + recap[lost]["failed"] >= 1, recap
    serving = {key: value for key, value in lb_servers(node(LB)).items() if key[1] != lost}
    assert serving == {(backend, name): "UP" for backend in BACKENDS for name in NODES if name != lost}
    # The lost node had left the load balancer before its installer ran: no client request failed.
    assert len(report.answers) > 50 and report.failed == [], (report.failed[:10], report.slowest())


def test_the_lost_node_back_half_installed_is_put_back_by_site_on_the_version_before():
    """Finding: site.yml as the repair started the half-installed node, waited for the old version and
    failed, then its reconcile put the node in rotation running the new version with a file saying old."""
    lost = NODES[2]
    docker("start", scenario_container(lost))
    wait_until(lambda: booted(lost), 120, f"{lost} to boot")
    assert node(lost).file(JOURNAL).exists, "the drill did not leave the node half-installed"

    output, _ = site("--limit", f"{lost},{LB},{DB}", "-e", f"manager_version={BEFORE}")

    assert files_and_running(lost) == (BEFORE, BEFORE, "Online")
    assert not node(lost).file(JOURNAL).exists
    wait_until(lambda: lb_servers(node(LB)) == ALL_UP, 60, "every node UP in every backend")
    assert f"{lost}: runs {BEFORE} (files {BEFORE}), dsm_s active, ping 200 Online" in output


def test_the_rerun_upgrades_what_is_left_and_leaves_the_rest():
    mark = audit_mark()
    output, recap = upgrade("-e", f"manager_version={TARGET}")

    assert versions() == {name: TARGET for name in NODES}
    assert [r["host"] for r in audit(mark) if (r["step"], r["result"]) == ("node", "started")] == [NODES[2]]
    assert lb_servers(node(LB)) == ALL_UP
    assert all(ping_status(node(name)) == 200 for name in NODES)
