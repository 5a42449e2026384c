"""Helpers of the rolling_upgrade scenario: the runbook run as an operator runs it (ansible-playbook
with the project's ansible.cfg against molecule's inventory), and the nodes, the load balancer and
the audit log as an operator reads them."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
from pathlib import Path

import boto3
import pytest

SCENARIO = Path(__file__).resolve().parents[1]
REPO = SCENARIO.parents[1]
sys.path.insert(0, str(REPO))
from lab.harness.ansible_run import recap, run_playbook  # noqa: E402
from lab.harness.lab_nodes import BACKENDS, lb_servers, main_pid, ping_status, scenario_container, status  # noqa: E402
from lab.harness.lab_nodes import scenario_node as node  # noqa: E402
from lab.harness.containers import wait_until  # noqa: E402
from lab.harness.load import SteadyLoad  # noqa: E402
# Re-exported for the tests: the nodes and the load balancer as an operator reads them.
__all__ = ["BACKENDS", "lb_servers", "main_pid", "ping_status", "scenario_container", "status", "node", "wait_until"]

INVENTORY = os.environ.get("MOLECULE_INVENTORY_FILE", "")
AUDIT_LOG = Path(os.environ.get("ROLLING_UPGRADE_AUDIT_LOG", "/nonexistent"))
# Plan order: batches by AZ (lab-a: node-1 and node-3, then lab-b: node-2), inventory order inside.
NODES = ("rolling-node-1", "rolling-node-3", "rolling-node-2")
LB = "rolling-lb"
DB = "rolling-db"
ALL_UP = {(backend, name): "UP" for backend in BACKENDS for name in NODES}
FAULT_FILE = "/etc/dsm-lab/unhealthy-versions"
# The stand-in's installer pauses this many seconds once it has replaced the files (lab/manager/README.md).
PAUSE_FILE = "/etc/dsm-lab/install-pause-seconds"
JOURNAL = "/var/lib/dsm-ops/install.json"
# molecule.yml group_vars: what must never show up in a log.
DB_PASSWORD = "Molecule-Db-5e02b7c3"
ADMIN_PASSWORD = "Molecule-Adm-91d4a6f0"
LICENSE = "AP-LAB0-0000-0000-0000"
# Closed now and at every run of the tests: a nightly 02:00-04:00 Europe/Berlin window, evaluated at noon.
NIGHTLY = {
    "name": "nightly-window",
    "type": "DEFAULT_CLOSED",
    "timezone": "Europe/Berlin",
    "events": [{"summary": "change window", "start": "2026-01-05T02:00:00", "end": "2026-01-05T04:00:00",
                "rrule": "FREQ=DAILY"}],
}
CLOSED_AT = "2026-11-27T12:00:00Z"
BUCKET = "molecule-rolling-artifacts"
# The estate of the scenario (estate_name in molecule.yml): it names the log bucket and the audit log's key.
ESTATE = "molecule-rolling"
SETTINGS_KEY = "bootstrap/settings.json"
NEXT_OPENING = "2026-11-28T01:00:00Z"


def versions() -> dict[str, str]:
    return {name: status(node(name))["version"] for name in NODES}


def main_pids() -> dict[str, int]:
    return {name: main_pid(node(name)) for name in NODES}


def dumps() -> list[str]:
    """The pre-upgrade snapshots (pg_dump files) on the database server."""
    out = node(DB).check_output("ls -1 /var/backups/postgresql 2>/dev/null || true")
    return [line for line in out.splitlines() if line.endswith(".dump")]


def audit(since: int = 0) -> list[dict]:
    """Audit records from line `since` on."""
    if not AUDIT_LOG.exists():
        return []
    return [json.loads(line) for line in AUDIT_LOG.read_text().splitlines()[since:]]


def audit_mark() -> int:
    return len(audit())


def console_load(rate: float = 20.0) -> SteadyLoad:
    """Steady requests on the console flow of the load balancer, from this machine to the lb container."""
    address = subprocess.run(
        ["docker", "inspect", "-f", "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}", scenario_container(LB)],
        capture_output=True, text=True, check=True,
    ).stdout.strip()
    return SteadyLoad(f"https://{address}:443/rest/status/manager/ping", rate=rate, max_seconds=600)


def upgrade(*args: str, expect_failure: bool = False, env: dict[str, str] | None = None) -> tuple[str, dict[str, dict[str, int]]]:
    """playbooks/rolling_upgrade.yml with extra arguments; the output with its white space runs made
    single spaces (Ansible wraps error messages to the terminal width), and the recap per host."""
    return playbook("playbooks/rolling_upgrade.yml", *args, expect_failure=expect_failure, env=env)


def site(*args: str, expect_failure: bool = False) -> tuple[str, dict[str, dict[str, int]]]:
    """playbooks/site.yml, the converge, run again as an operator runs it."""
    return playbook("playbooks/site.yml", *args, expect_failure=expect_failure)


def playbook(path: str, *args: str, expect_failure: bool = False,
             env: dict[str, str] | None = None) -> tuple[str, dict[str, dict[str, int]]]:
    result = run_playbook(
        path, "-i", INVENTORY, *args, check=False,
        # Facts of these containers stay out of the lab's fact cache.
        env={"ANSIBLE_CACHE_PLUGIN_CONNECTION": str(AUDIT_LOG.parent.parent / "facts"),
             # One line a result: messages are matched as the runbook writes them, not as YAML folds them.
             "ANSIBLE_CALLBACK_RESULT_FORMAT": "json", **(env or {})},
    )
    output = result.stdout + result.stderr
    if (result.returncode != 0) != expect_failure:
        raise AssertionError(f"{path} {' '.join(args)} exited {result.returncode}:\n{output[-20000:]}")
    return " ".join(output.split()), recap(result)


class Background:
    """A runbook run in a thread, so that a test can break things while it runs."""

    def __init__(self, fn, *args, **kwargs):
        self._result: tuple | None = None
        self._error: BaseException | None = None

        def run():
            try:
                self._result = fn(*args, **kwargs)
            except BaseException as err:  # noqa: BLE001 - re-raised in result()
                self._error = err
        self._thread = threading.Thread(target=run, daemon=True)
        self._thread.start()

    def result(self, timeout: float = 900) -> tuple:
        self._thread.join(timeout)
        assert not self._thread.is_alive(), "the run did not end"
        if self._error:
            raise self._error
        return self._result


def installer_paused(name: str) -> bool:
    """The node's installer runs and has stopped dsm_s: inside the stand-in's injected pause."""
    host = node(name)
    return (host.run("systemctl is-active dsm-installer").stdout.strip() == "active"
            and host.run("systemctl is-active dsm_s").stdout.strip() != "active")


def docker(*args: str) -> str:
    return subprocess.run(["docker", *args], capture_output=True, text=True, check=True).stdout


def booted(name: str) -> bool:
    result = subprocess.run(["docker", "exec", scenario_container(name), "systemctl", "is-system-running"],
                            capture_output=True, text=True)
    return result.stdout.strip() in ("running", "degraded")


def calendars_closed(*extra: str) -> list[str]:
    return ["-e", json.dumps({"change_window_calendars": [NIGHTLY], "change_window_at": CLOSED_AT}), *extra]


@pytest.fixture(scope="session", autouse=True)
def bootstrap_settings():
    """The node settings provision.yml writes for self-bootstrapping nodes, pinned to the converged version, written
    by the role that writes them (once: the rolling upgrade re-pins them)."""
    if "Contents" not in boto3.client("s3").list_objects_v2(Bucket=BUCKET, Prefix=SETTINGS_KEY):
        playbook("molecule/rolling_upgrade/bootstrap_settings.yml")


@pytest.fixture(scope="session", autouse=True)
def log_bucket() -> str:
    """The estate's log bucket, named as aws_logging names it (<estate>-logs-<account>) and made after the converge,
    as provision.yml would have made it: the runbook ships its audit log there after a changing run."""
    s3 = boto3.client("s3")
    name = f"{ESTATE}-logs-{boto3.client('sts').get_caller_identity()['Account']}"
    if name not in {bucket["Name"] for bucket in s3.list_buckets()["Buckets"]}:
        s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    return name


def shipped_audit_log(bucket: str) -> bytes:
    """The audit log as the runbook last shipped it: audit/<estate>/<this controller's short name>/change-window.jsonl."""
    key = f"audit/{ESTATE}/{socket.gethostname().split('.')[0]}/change-window.jsonl"
    return boto3.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read()


def pinned_version() -> str:
    """The version a node that Auto Scaling launches would install."""
    body = boto3.client("s3").get_object(Bucket=BUCKET, Key=SETTINGS_KEY)["Body"].read()
    return json.loads(body)["manager_version"]
