"""Trusted Advisor is a soft pre-check: an account whose Support API cannot give the check results
(no Business support, or the emulator, which lists the checks but not their results) gets a
warning and the run goes on."""

from __future__ import annotations

import sys

from tests.support.ansible_run import run_playbook

# The controller's own Python (with boto3) runs the module, as for the implicit localhost.
LOCALHOST = ("-i", "localhost,", "-c", "local", "-e", f"ansible_python_interpreter={sys.executable}")


def test_unavailable_results_warn_and_the_run_goes_on(aws_env, tmp_path):
    play = tmp_path / "play.yml"
    play.write_text(
        "- hosts: localhost\n"
        "  gather_facts: false\n"
        "  roles: [trusted_advisor]\n"
        "  post_tasks:\n"
        "    - ansible.builtin.debug:\n"
        "        msg: 'checks listed: {{ trusted_advisor_result.available }} {{ trusted_advisor_result.red | length }}'\n"
    )
    result = run_playbook(play, *LOCALHOST)

    assert "WARNING: Trusted Advisor was not checked" in result.stdout
    assert "Business support or higher" in result.stdout
    assert "checks listed: False 0" in result.stdout


def test_fail_on_red_does_not_fail_when_the_results_cannot_be_read(aws_env, tmp_path):
    play = tmp_path / "play.yml"
    play.write_text("- hosts: localhost\n  gather_facts: false\n  roles: [trusted_advisor]\n")
    result = run_playbook(play, *LOCALHOST, "-e", "trusted_advisor_fail_on_red=true")
    assert "Trusted Advisor was not checked" in result.stdout
