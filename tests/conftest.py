"""Shared test harness: the AWS emulator and the paths every suite needs.

The emulator is a moto server started once per session on 127.0.0.1 and reset at the
start of every test module that asks for it, so modules never see each other's estate.
"""

from __future__ import annotations

import sys
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
from lab.harness.ports import free_port  # noqa: E402

FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "eu-west-1",
}


@pytest.fixture(scope="session", autouse=True)
def audit_log_in_a_temporary_directory(tmp_path_factory):
    """The runbook's audit log (change_window_audit_log follows $OPS_AUDIT_LOG) never lands in the checkout."""
    import os

    path = tmp_path_factory.mktemp("audit") / "change-window.jsonl"
    before = os.environ.get("OPS_AUDIT_LOG")
    os.environ["OPS_AUDIT_LOG"] = str(path)
    yield path
    if before is None:
        os.environ.pop("OPS_AUDIT_LOG", None)
    else:
        os.environ["OPS_AUDIT_LOG"] = before


@pytest.fixture(scope="session")
def aws_emulator():
    """Endpoint URL of a moto server that lives for the whole session."""
    from moto.server import ThreadedMotoServer

    from lab.emulator import patch_moto_gaps

    patch_moto_gaps()
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture(scope="module")
def aws_env(aws_emulator, monkeypatch_module):
    """An empty emulated account, with boto3 and the Ansible collections pointed at it."""
    request = urllib.request.Request(f"{aws_emulator}/moto-api/reset", method="POST")
    urllib.request.urlopen(request, timeout=10).close()
    env = {**FAKE_CREDENTIALS, "AWS_ENDPOINT_URL": aws_emulator}
    for key, value in env.items():
        monkeypatch_module.setenv(key, value)
    return env


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as patch:
        yield patch
