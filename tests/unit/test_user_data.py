"""The nodes' user data, rendered from aws_nodes' template: valid bash, one branch per supported
distribution. The Amazon Linux branch is checked here, since its images cannot run in the lab
(molecule/manager runs the Debian branch end to end)."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
from pathlib import Path

import jinja2
import pytest
import yaml

ROLE = Path(__file__).resolve().parents[2] / "roles" / "aws_nodes"


@pytest.fixture(scope="module")
def user_data() -> str:
    env = jinja2.Environment(undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
    env.filters.update(quote=lambda s: shlex.quote(str(s)), basename=os.path.basename, to_json=json.dumps)
    defaults = yaml.safe_load((ROLE / "defaults/main.yml").read_text())
    role_vars = yaml.safe_load((ROLE / "vars/main.yml").read_text())
    template = env.from_string((ROLE / "templates/user-data.sh.j2").read_text())
    return template.render(estate_name="dsm-production", estate_region="eu-west-1",
                           aws_storage_bucket_name="dsm-production-deployment-1234",
                           __aws_nodes_bootstrap_os=role_vars["__aws_nodes_bootstrap_os"],
                           __aws_nodes_boot_fetch_tries=role_vars["__aws_nodes_boot_fetch_tries"],
                           **{k: v for k, v in defaults.items() if k.startswith("aws_nodes_bootstrap_")})


def branch(script: str, distribution: str) -> str:
    """The lines of one distribution's case branch."""
    lines = script.splitlines()
    start = lines.index(f"  {distribution})")
    return "\n".join(lines[start + 1:lines.index("    ;;", start)])


def test_user_data_is_valid_bash(user_data):
    subprocess.run(["bash", "-n"], input=user_data, text=True, check=True)


def test_amazon_linux_installs_ansible_core_and_boto3_with_dnf(user_data):
    # AL2023: ID=amzn in /etc/os-release; the AWS CLI is preinstalled there.
    assert branch(user_data, "amzn").split() == ["dnf", "-y", "-q", "install", "ansible-core", "python3-boto3"]


def test_debian_installs_ansible_core_the_aws_cli_and_boto3_with_apt(user_data):
    words = branch(user_data, "debian").split()
    assert words[:3] == ["apt-get", "-q", "update"]
    assert words[-3:] == ["ansible-core", "awscli", "python3-boto3"]


def test_other_distributions_stop_the_bootstrap(user_data):
    assert "unsupported distribution '$ID': the nodes run amzn or debian" in user_data


def test_bundle_and_settings_come_from_the_estate_bucket_and_run_locally(user_data):
    assert "bootstrap/bundle.tar.gz bootstrap/settings.json" in user_data
    assert '"s3://"dsm-production-deployment-1234"/$object"' in user_data
    assert "export AWS_REGION=eu-west-1 AWS_DEFAULT_REGION=eu-west-1" in user_data
    assert '--extra-vars @"$workdir/"settings.json bootstrap.yml' in user_data
    assert "--connection=local --inventory=localhost," in user_data
    # Nothing secret in user data, which any process on the instance can read from IMDS.
    assert "secret" not in user_data.lower().replace("no secret here", "")


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
