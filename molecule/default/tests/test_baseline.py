"""What an operator checks on a node after the baseline: clock zone and base tools."""


def test_node_runs_in_the_estate_time_zone(host):
    assert host.file("/etc/localtime").linked_to == "/usr/share/zoneinfo/America/New_York"
    assert host.check_output("date +%Z") in {"EST", "EDT"}


def test_base_and_extra_packages_are_installed(host):
    for name in ("ca-certificates", "curl", "tar", "tzdata", "less"):
        assert host.package(name).is_installed, name


def test_systemd_is_healthy(host):
    # A degraded system hides real failures of the services the later roles add.
    assert host.check_output("systemctl is-system-running --wait") == "running"
