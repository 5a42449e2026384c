"""The lab's AWS emulator answers the collections the playbooks use."""

import boto3

from tests.support.ansible_run import recap, run_playbook

PLAY = """
- name: A bucket in the emulated account
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Deployment bucket exists
      amazon.aws.s3_bucket:
        name: harness-check-bucket
        region: eu-west-1
        versioning: true
"""


def test_collections_reach_the_emulator_and_respect_check_mode(aws_env, tmp_path):
    playbook = tmp_path / "bucket.yml"
    playbook.write_text(PLAY)
    s3 = boto3.client("s3")

    # s3_bucket has no check mode support: Ansible skips it, and nothing may be created.
    run_playbook(playbook, "--check")
    assert s3.list_buckets()["Buckets"] == []

    applied = run_playbook(playbook)
    assert recap(applied)["localhost"]["changed"] == 1
    assert s3.get_bucket_versioning(Bucket="harness-check-bucket")["Status"] == "Enabled"

    again = run_playbook(playbook)
    assert recap(again)["localhost"]["changed"] == 0


def test_each_module_starts_from_an_empty_account(aws_env):
    # The bucket made by the test above is gone only if the next module's reset works;
    # within this module it must still be there, proving state is shared, not per-call.
    assert [b["Name"] for b in boto3.client("s3").list_buckets()["Buckets"]] == ["harness-check-bucket"]
