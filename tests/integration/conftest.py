"""Fixtures of the integration suites that drive the project's playbooks against the emulator."""

import pytest

from lab.harness.ansible_run import run_playbook


@pytest.fixture(scope="module")
def prerequisites(aws_env, tmp_path_factory):
    """The certificate and the database secret an operator has before provisioning, made in a
    fresh emulated account; returns the environment that points the lab inventory at them."""
    env = {"LAB_STATE_DIR": str(tmp_path_factory.mktemp("lab-state"))}
    run_playbook("lab/prerequisites.yml", "-i", "inventories/lab", env=env)
    return env
