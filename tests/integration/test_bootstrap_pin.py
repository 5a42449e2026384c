"""The version a self-bootstrapping node installs never goes back: after a rolling upgrade re-pinned
it, a run with an inventory still on the old version is refused and the object is left as it is."""

from __future__ import annotations

import json
import sys

import boto3

from lab.harness.ansible_run import run_playbook

BUCKET = "pin-test-deployment"
KEY = "bootstrap/settings.json"
LOCALHOST = ("-i", "localhost,", "-c", "local", "-e", f"ansible_python_interpreter={sys.executable}")


def repin(tmp_path, version: str):
    play = tmp_path / "repin.yml"
    play.write_text(
        "- hosts: localhost\n"
        "  gather_facts: false\n"
        "  tasks:\n"
        "    - ansible.builtin.include_role:\n"
        "        name: aws_storage\n"
        "        tasks_from: bootstrap_settings\n"
        "      vars:\n"
        f"        aws_storage_bootstrap_manager_version: '{version}'\n"
    )
    return run_playbook(play, *LOCALHOST, "-e", json.dumps(
        {"estate_name": "pin-test", "estate_region": "eu-west-1", "aws_storage_bucket_name": BUCKET}), check=False)


def pinned() -> str:
    return json.loads(boto3.client("s3").get_object(Bucket=BUCKET, Key=KEY)["Body"].read())["manager_version"]


def test_an_older_version_is_refused_and_a_newer_one_pinned(aws_env, tmp_path):
    s3 = boto3.client("s3", region_name="eu-west-1")
    s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    s3.put_object(Bucket=BUCKET, Key=KEY, Body=json.dumps({"manager_version": "20.0.913", "manager_db_host": "db"}).encode())

    older = repin(tmp_path, "20.0.877")
    assert older.returncode != 0
    assert "pins manager 20.0.913" in " ".join(older.stdout.split()) and "Set manager_version: 20.0.913" in " ".join(
        older.stdout.split())
    assert pinned() == "20.0.913"

    newer = repin(tmp_path, "21.0.211")
    assert newer.returncode == 0, newer.stdout[-3000:]
    body = json.loads(s3.get_object(Bucket=BUCKET, Key=KEY)["Body"].read())
    assert body["manager_version"] == "21.0.211" and body["manager_db_host"] == "db"
