"""Self-bootstrap: a fresh instance runs the user data, configures itself from the bundle in S3 and
joins the running cluster as a new node on the pinned version, with no operator. Runs after the
upgrade (test_c): the cluster and so the pinned version are at 20.0.913."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import boto3
import pytest
from conftest import (ADMIN_PASSWORD, DB_PASSWORD, INVENTORY, LICENSE, NODES, SCENARIO, node, ping_status, recap,
                      scenario_container, status)

FRESH = "manager-fresh"
BUCKET = "molecule-manager-artifacts"
BUNDLE, SETTINGS = "bootstrap/bundle.tar.gz", "bootstrap/settings.json"
PINNED = "20.0.913"
USER_DATA = Path(os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY", "/tmp")) / "user-data.sh"
# The lab's stand-in for the instance role: the endpoint and credentials come from the environment.
NODE_ENV = {"AWS_ENDPOINT_URL": os.environ.get("AWS_ENDPOINT_URL", ""), "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing"}


def provision(version: str = PINNED, *args: str) -> dict[str, int]:
    """Upload the bundle and settings as provisioning does, render the user data; the recap of localhost."""
    cmd = [str(Path(sys.executable).parent / "ansible-playbook"), "-i", INVENTORY, str(SCENARIO / "bootstrap.yml"),
           "-e", f"bootstrap_version={version}", "-e", f"bootstrap_user_data={USER_DATA}", *args]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=300,
                            env={**os.environ, "ANSIBLE_NOCOLOR": "1", "ANSIBLE_FORCE_COLOR": "0"})
    assert result.returncode == 0, result.stdout[-20000:] + result.stderr[-5000:]
    return recap(result)["localhost"]


def s3():
    return boto3.client("s3", region_name="eu-west-1")


@pytest.fixture(scope="module")
def bootstrapped():
    """The fresh container after its user data ran: (seconds it took, exit code, log)."""
    assert status(node(NODES[0]))["version"] == PINNED, "run after test_c: the cluster runs the pinned version"
    provision()
    subprocess.run(["docker", "cp", str(USER_DATA), f"{scenario_container(FRESH)}:/root/user-data.sh"], check=True)
    env = [arg for key, value in NODE_ENV.items() for arg in ("-e", f"{key}={value}")]
    started = time.monotonic()
    run = subprocess.run(["docker", "exec", *env, scenario_container(FRESH), "bash", "/root/user-data.sh"],
                         capture_output=True, text=True, timeout=900)
    took = time.monotonic() - started
    log = node(FRESH).check_output("cat /var/log/dsm-bootstrap.log")
    print(f"user data ran {took:.0f} s")
    return took, run.returncode, log


def test_user_data_bootstraps_the_fresh_node(bootstrapped):
    _, returncode, log = bootstrapped
    assert returncode == 0, log[-20000:]
    assert "bootstrap of molecule-manager done" in log


def test_fresh_node_runs_the_pinned_version_and_answers_its_ping(bootstrapped):
    fresh = node(FRESH)
    assert fresh.service("dsm_s").is_running and fresh.service("dsm_s").is_enabled
    assert ping_status(fresh) == 200
    answer = status(fresh)
    assert (answer["version"], answer["state"]) == (PINNED, "Online"), answer
    assert answer["node"] == fresh.check_output("hostname")


def test_cluster_lists_the_fresh_node(bootstrapped):
    name = node(FRESH).check_output("hostname")
    rows = node("manager-db").check_output(
        "runuser -u postgres -- psql -X -At -F ' ' -d dsm -c 'SELECT name, version, state FROM dsm_nodes ORDER BY name'")
    nodes = {line.split()[0]: line.split()[1:] for line in rows.splitlines()}
    assert nodes[name] == [PINNED, "Online"], rows
    # The nodes that were there keep running.
    for host in NODES:
        assert status(node(host))["state"] == "Online"


def test_no_secret_in_the_bootstrap_log_or_settings(bootstrapped):
    _, _, log = bootstrapped
    settings = s3().get_object(Bucket=BUCKET, Key=SETTINGS)["Body"].read().decode()
    for secret in (DB_PASSWORD, ADMIN_PASSWORD, LICENSE, "X-Amz-Signature", "X-Amz-Credential"):
        assert secret not in log, f"{secret} is in the bootstrap log"
        assert secret not in settings, f"{secret} is in {SETTINGS}"
    assert node(FRESH).file("/var/log/dsm-bootstrap.log").mode == 0o600
    assert node(FRESH).check_output("find / -xdev -name '*.varfile' -print") == ""


def test_unchanged_bundle_is_not_uploaded_again(bootstrapped):
    before = {key: s3().head_object(Bucket=BUCKET, Key=key) for key in (BUNDLE, SETTINGS)}
    assert provision()["changed"] == 0
    for key, head in before.items():
        after = s3().head_object(Bucket=BUCKET, Key=key)
        assert (after.get("VersionId"), after["LastModified"]) == (head.get("VersionId"), head["LastModified"]), key
        assert after["Metadata"]["sha256"] == head["Metadata"]["sha256"]


def test_repin_rewrites_only_the_version_of_the_settings(bootstrapped):
    """What the rolling upgrade does after its last node: the bootstrap_settings entry point with the version alone."""
    def settings() -> dict:
        return json.loads(s3().get_object(Bucket=BUCKET, Key=SETTINGS)["Body"].read())

    # The last test of the scenario: the pin cannot be moved back afterwards (tests/integration/test_bootstrap_pin.py).
    before, bundle = settings(), s3().head_object(Bucket=BUCKET, Key=BUNDLE)["LastModified"]
    assert provision("21.0.211", "-e", "bootstrap_repin=true")["changed"] == 1
    assert settings() == {**before, "manager_version": "21.0.211"}
    assert s3().head_object(Bucket=BUCKET, Key=BUNDLE)["LastModified"] == bundle
