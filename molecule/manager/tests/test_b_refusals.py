"""Bad input fails with a clear message before a running node is touched.

Each case is a real run of the converge playbook that must fail; afterwards both nodes still run
the same process (MainPID) on the same version, answer their ping and stay UP in the load balancer.
"""

import pytest
from conftest import ALL_UP, LB, NODES, converge, lb_servers, main_pid, node, ping_status, status

CASES = {
    # The installer in S3 is not the one SHA256SUMS lists (prepare.yml's tampered/ prefix).
    "tampered checksum": (
        ["-e", "manager_s3_prefix=tampered", "-e", "manager_version=20.0.913"],
        ["did not match", "Manager-Linux-20.0.913.x64.sh", "not touched"],
    ),
    "installer absent from S3": (
        ["-e", "manager_version=99.0.1"],
        ["Manager 99.0.1 cannot be installed from bucket molecule-manager-artifacts",
         "Manager-Linux-99.0.1.x64.sh has no line in s3://molecule-manager-artifacts/manager/SHA256SUMS", "20.0.877, 20.0.913"],
    ),
    "downgrade": (
        ["-e", "manager_version=20.0.100"],
        ["the node runs 20.0.877, newer than 20.0.100: downgrades are refused", "Nothing was stopped or changed"],
    ),
    "missing secret": (
        ["-e", "manager_db_secret_id=molecule-manager/absent"],
        ["Secrets Manager secret molecule-manager/absent (manager_db_secret_id) could not be read"],
    ),
}


@pytest.fixture(scope="module")
def nodes():
    hosts = {name: node(name) for name in NODES}
    for name, host in hosts.items():
        assert status(host)["version"] == "20.0.877", f"{name}: these tests start from the converged 20.0.877"
    return hosts


@pytest.mark.parametrize("case", CASES)
def test_bad_input_fails_before_the_running_node_is_touched(nodes, case):
    args, messages = CASES[case]
    before = {name: main_pid(host) for name, host in nodes.items()}
    output, recap = converge(*args, expect_failure=True)
    for message in messages:
        assert message in output, f"{case}: '{message}' not in the output:\n{output[-6000:]}"
    for name, host in nodes.items():
        assert recap[name]["failed"] == 1, recap
        assert main_pid(host) == before[name], f"{case}: dsm_s on {name} was restarted"
        assert ping_status(host) == 200
        assert status(host)["version"] == "20.0.877"
        assert not host.file("/var/cache/dsm/Manager-Linux-20.0.913.x64.sh").exists
    assert lb_servers(node(LB)) == ALL_UP


def test_check_mode_reports_the_upgrade_and_changes_nothing(nodes):
    before = {name: main_pid(host) for name, host in nodes.items()}
    _, recap = converge("--check", "-e", "manager_version=20.0.913")
    for name, host in nodes.items():
        assert recap[name]["changed"] > 0, recap
        assert main_pid(host) == before[name]
        assert status(host)["version"] == "20.0.877"
        assert not host.file("/var/cache/dsm/Manager-Linux-20.0.913.x64.sh").exists
