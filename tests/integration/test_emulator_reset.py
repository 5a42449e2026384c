"""Modules never see each other's estate: the emulator is reset per test module."""

import boto3


def test_account_is_empty_at_module_start(aws_env):
    # test_emulator.py leaves a bucket behind on purpose; it must not leak into this module.
    assert boto3.client("s3").list_buckets()["Buckets"] == []
