"""The nodes' first boot, as aws_nodes renders it (Ansible's own template engine, the role's vars) and
as the instance runs it: each distribution installs what the bundle needs, fetches the bundle and the
settings from the estate's bucket, and runs bootstrap.yml on itself.

Amazon Linux cannot run here, so the script runs on this host in a private mount namespace, with
/etc/os-release saying which distribution it is and the package managers, the AWS CLI and
ansible-playbook replaced by commands that only record how they were called (molecule/manager runs
the Debian branch for real, on a container)."""

from __future__ import annotations

import json
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from lab.harness.ansible_run import REPO, run_playbook

BUCKET = "dsm-production-deployment-1234"
RENDER = f"""
- name: The launch template's user data, as aws_nodes renders it
  hosts: localhost
  gather_facts: false
  vars_files:
    - {REPO}/roles/aws_nodes/defaults/main.yml
    - {REPO}/roles/aws_nodes/vars/main.yml
  vars:
    estate_name: dsm-production
    estate_region: eu-west-1
    aws_storage_bucket_name: {BUCKET}
  tasks:
    - name: User data is rendered
      ansible.builtin.copy:
        content: "{{{{ lookup('ansible.builtin.template', '{REPO}/roles/aws_nodes/templates/user-data.sh.j2') }}}}"
        dest: "{{{{ out }}}}"
        mode: "0600"
"""

# Each stand-in command appends its name, working directory, AWS_REGION and arguments (one JSON line);
# `aws s3 cp` also writes the object it was asked for: the bundle (a tarball) or the settings.
RECORDER = """#!/bin/bash
python3 -c 'import json, os, sys; print(json.dumps({"cmd": os.path.basename(sys.argv[1]), "cwd": os.getcwd(),
  "region": os.environ.get("AWS_REGION", ""), "args": sys.argv[2:]}))' "$0" "$@" >> "$CALLS"
"""
AWS = RECORDER + """case "${@: -2:1}" in
  */bundle.tar.gz) cp "$BUNDLE" "${@: -1}" ;;
  */settings.json) echo '{"manager_version": "20.0.913"}' > "${@: -1}" ;;
esac
"""


@pytest.fixture(scope="module")
def user_data(tmp_path_factory) -> str:
    work = tmp_path_factory.mktemp("user-data")
    (work / "render.yml").write_text(RENDER)
    run_playbook(work / "render.yml", "-i", "localhost,", "-c", "local", "-e", f"out={work / 'user-data.sh'}",
                 "-e", f"ansible_python_interpreter={sys.executable}")
    return (work / "user-data.sh").read_text()


def boot(tmp_path: Path, user_data: str, distribution: str, endpoint: str = "") -> tuple[int, list[dict], str]:
    """Run the user data as a first boot on ``distribution``; its exit code, the calls it made, its log."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name in ("dnf", "apt-get", "ansible-playbook"):
        (bin_dir / name).write_text(RECORDER)
    (bin_dir / "aws").write_text(AWS)
    for tool in bin_dir.iterdir():
        tool.chmod(0o755)
    with tarfile.open(tmp_path / "bundle.tar.gz", "w:gz") as bundle:
        (tmp_path / "bootstrap.yml").write_text("- hosts: localhost\n")
        bundle.add(tmp_path / "bootstrap.yml", arcname="bootstrap.yml")
    (tmp_path / "os-release").write_text(f"ID={distribution}\n")
    (tmp_path / "user-data.sh").write_text(user_data)
    calls = tmp_path / "calls.jsonl"
    # /opt and /var/log are the instance's own: empty ones here, gone when the namespace ends.
    script = (f"mount --bind {tmp_path}/os-release /etc/os-release && mount -t tmpfs boot /opt && "
              f"mount -t tmpfs boot /var/log && {{ bash {tmp_path}/user-data.sh; rc=$?; "
              f"cat /var/log/dsm-bootstrap.log > {tmp_path}/boot.log; exit $rc; }}")
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin", "CALLS": str(calls), "BUNDLE": str(tmp_path / "bundle.tar.gz"),
           **({"AWS_ENDPOINT_URL": endpoint} if endpoint else {})}
    result = subprocess.run(["unshare", "--mount", "--propagation", "private", "bash", "-c", script], env=env,
                            capture_output=True, text=True, timeout=60)
    made = [json.loads(line) for line in calls.read_text().splitlines()] if calls.exists() else []
    log = (tmp_path / "boot.log").read_text() if (tmp_path / "boot.log").exists() else result.stderr
    return result.returncode, made, log


def called(calls: list[dict], cmd: str) -> list[list[str]]:
    return [c["args"] for c in calls if c["cmd"] == cmd]


def test_user_data_is_valid_bash(user_data):
    subprocess.run(["bash", "-n"], input=user_data, text=True, check=True)


def test_amazon_linux_installs_ansible_core_and_boto3_with_dnf(tmp_path, user_data):
    # AL2023: ID=amzn in /etc/os-release; the AWS CLI is preinstalled there.
    rc, calls, log = boot(tmp_path, user_data, "amzn")
    assert rc == 0, log
    (install,) = called(calls, "dnf")
    assert install[0:1] == ["-y"] and "install" in install
    assert {"ansible-core", "python3-boto3"} <= set(install)
    assert not called(calls, "apt-get")


def test_debian_installs_ansible_core_the_aws_cli_and_boto3_with_apt(tmp_path, user_data):
    rc, calls, log = boot(tmp_path, user_data, "debian")
    assert rc == 0, log
    update, install = called(calls, "apt-get")
    assert "update" in update
    assert "install" in install and {"ansible-core", "awscli", "python3-boto3"} <= set(install)
    assert not called(calls, "dnf")


def test_other_distributions_stop_the_bootstrap_before_fetching_anything(tmp_path, user_data):
    rc, calls, log = boot(tmp_path, user_data, "ubuntu")
    assert rc != 0
    assert "unsupported distribution 'ubuntu': the nodes run amzn or debian" in log
    assert calls == []


def test_bundle_and_settings_come_from_the_estate_bucket_and_run_locally(tmp_path, user_data):
    rc, calls, log = boot(tmp_path, user_data, "amzn")
    assert rc == 0, log
    fetched = called(calls, "aws")
    assert [args[-2] for args in fetched] == [f"s3://{BUCKET}/bootstrap/bundle.tar.gz",
                                              f"s3://{BUCKET}/bootstrap/settings.json"]
    assert all(args[:2] == ["s3", "cp"] for args in fetched), "on AWS no endpoint is named: the CLI finds S3 itself"
    (playbook,) = [c for c in calls if c["cmd"] == "ansible-playbook"]
    assert playbook["cwd"] == "/opt/dsm-bootstrap/bundle"
    assert playbook["region"] == "eu-west-1"
    assert playbook["args"] == ["--connection=local", "--inventory=localhost,",
                                "--extra-vars", "@/opt/dsm-bootstrap/settings.json", "bootstrap.yml"]
    assert "bootstrap of dsm-production done" in log
    # Nothing secret in user data, which any process on the instance can read from IMDS.
    assert "password" not in user_data.lower() and "secret_id" not in user_data.lower()


def test_an_emulator_endpoint_is_passed_to_the_aws_cli(tmp_path, user_data):
    # The lab's emulator: Debian 12's AWS CLI does not read AWS_ENDPOINT_URL by itself.
    rc, calls, log = boot(tmp_path, user_data, "debian", endpoint="http://10.199.105.1:5105")
    assert rc == 0, log
    assert all(args[:2] == ["--endpoint-url", "http://10.199.105.1:5105"] for args in called(calls, "aws"))


def test_a_refused_download_is_tried_again_while_the_new_instance_profile_propagates(tmp_path, user_data):
    # The fetch loop alone, with an `aws` that fails twice (IAM not yet consistent) and then succeeds.
    start = user_data.index("for object in")
    loop = user_data[start:user_data.index("rm -rf", start)]
    fake = tmp_path / "aws"
    fake.write_text('#!/bin/bash\nn=$(cat "$COUNT" 2>/dev/null || echo 0); echo $((n+1)) > "$COUNT"\n'
                    '(( n >= 2 )) && touch "${@: -1}"\n(( n >= 2 ))\n')
    fake.chmod(0o755)
    script = f"set -euo pipefail\nworkdir={tmp_path}\nendpoint=()\nsleep() {{ :; }}\n{loop}"
    env = {"PATH": f"{tmp_path}:/usr/bin:/bin", "COUNT": str(tmp_path / "count")}
    subprocess.run(["bash", "-c", script], check=True, env=env, capture_output=True, text=True)
    assert (tmp_path / "bundle.tar.gz").exists() and (tmp_path / "settings.json").exists()
    assert (tmp_path / "count").read_text().strip() == "4"
