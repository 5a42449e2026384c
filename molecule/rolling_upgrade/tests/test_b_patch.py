"""The patch upgrade of three nodes, run as an emergency outside the window, under a steady load."""

from conftest import (ADMIN_PASSWORD, ALL_UP, AUDIT_LOG, DB, DB_PASSWORD, LB, LICENSE, NODES, audit, audit_mark,
                      calendars_closed, console_load, dumps, lb_servers, node, pinned_version, shipped_audit_log, upgrade,
                      versions)


def test_patch_upgrade_with_override_upgrades_every_node_without_a_failed_request(log_bucket):
    mark = audit_mark()
    with console_load() as load:
        # At the highest verbosity: no credential may show in the output (ANSIBLE_VERBOSITY, as an operator sets it).
        output, recap = upgrade(*calendars_closed(
            "-e", "manager_version=20.0.913",
            "-e", "change_override_ticket=CHG-4711", "-e", "change_override_approver=duty-manager"),
            env={"ANSIBLE_VERBOSITY": "3"})
    report = load.report

    assert versions() == {name: "20.0.913" for name in NODES}
    assert lb_servers(node(LB)) == ALL_UP
    assert pinned_version() == "20.0.913", "a replacement node would install the old version"
    assert len(report.answers) > 100 and report.failed == [], (report.failed[:10], report.slowest())
    assert "EMERGENCY OVERRIDE" in output
    # Results carry their module arguments only from -vvv on, whichever connection reaches the node
    # (Mitogen's docker connection does not print Ansible's "<host> ESTABLISH" line).
    assert '"module_args"' in output, "the run was not at -vvv"
    # Presigned URLs carry credentials: SigV4 (X-Amz-*) or SigV2 (Signature=, AWSAccessKeyId=).
    for secret in (DB_PASSWORD, ADMIN_PASSWORD, LICENSE, "X-Amz-Signature", "X-Amz-Credential", "Signature=",
                   "AWSAccessKeyId="):
        assert secret not in output, f"{secret} is in the -vvv output"
    # The installation backups hold the database password: root-only.
    for name in NODES:
        assert node(name).check_output("stat -c '%a %U' /var/backups/dsm/dsm-20.0.877.tar.gz") == "600 root"

    records = audit(mark)
    gates = [r for r in records if r["step"] == "gate"]
    # At launch and before each of the three nodes, all overridden with the ticket and the approver.
    assert [(r["decision"], r["ticket"], r["approver"]) for r in gates] == [("override", "CHG-4711", "duty-manager")] * 4
    # The snapshot is taken before the first node starts, and nodes go one at a time in plan order.
    steps = [(r["host"], r["step"], r["result"]) for r in records if r["step"] in ("snapshot", "node")]
    assert steps == [(NODES[0], "snapshot", "ok")] + [(name, "node", result) for name in NODES for result in ("started", "ok")]
    # The run's record left this controller: the log bucket holds the audit log as the run ended it.
    assert shipped_audit_log(log_bucket) == AUDIT_LOG.read_bytes()
    dump = dumps()
    assert len(dump) == 1
    assert node(DB).run(f"runuser -u postgres -- pg_restore --list /var/backups/postgresql/{dump[0]}").rc == 0


def test_rerun_on_the_target_changes_nothing():
    output, recap = upgrade("-e", "manager_version=20.0.913")
    assert "nothing to do" in output
    assert all(recap[name]["changed"] == 0 for name in NODES), recap
