"""Trusted Advisor is a soft pre-check: an account whose Support API cannot give the check results
(no Business support, or the emulator, which lists the checks but not their results) gets a
warning and the run goes on. An account that answers with red items gets them named, and with
trusted_advisor_fail_on_red the run stops there."""

from __future__ import annotations

import json
import sys

import boto3
import pytest

from lab.harness.ansible_run import run_playbook

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


@pytest.fixture
def an_account_with_red_and_yellow_checks(aws_env, monkeypatch):
    """The emulator lists the checks but has no results: the Support API's answer for an account with Business
    support is given here in its documented shape (DescribeTrustedAdvisorCheckSummaries): a red security check,
    a yellow fault-tolerance check, and a red cost check (a category the runbooks leave out by default)."""
    from moto.support.responses import SupportResponse

    checks = boto3.client("support", region_name="us-east-1").describe_trusted_advisor_checks(language="en")["checks"]
    first = {}
    for check in checks:
        first.setdefault(check["category"], check)
    red, yellow, cost = first["security"], first["fault_tolerance"], first["cost_optimizing"]
    flagged = {red["id"]: ("error", 2), yellow["id"]: ("warning", 1), cost["id"]: ("error", 4)}

    def summaries(self):
        return json.dumps({"summaries": [
            {"checkId": check_id, "timestamp": "2026-11-29T01:00:00Z", "hasFlaggedResources": check_id in flagged,
             "status": flagged.get(check_id, ("ok", 0))[0],
             "resourcesSummary": {"resourcesProcessed": 5, "resourcesFlagged": flagged.get(check_id, ("ok", 0))[1],
                                  "resourcesIgnored": 0, "resourcesSuppressed": 0},
             "categorySpecificSummary": {}}
            for check_id in self._get_param("checkIds")]})

    monkeypatch.setattr(SupportResponse, "describe_trusted_advisor_check_summaries", summaries, raising=False)
    return red["name"], yellow["name"], cost["name"]


def test_a_red_item_is_named_and_the_run_goes_on(an_account_with_red_and_yellow_checks, tmp_path):
    red, yellow, cost = an_account_with_red_and_yellow_checks
    play = tmp_path / "play.yml"
    play.write_text("- hosts: localhost\n  gather_facts: false\n  roles: [trusted_advisor]\n")
    said = " ".join(run_playbook(play, *LOCALHOST).stdout.split())  # the YAML callback folds long lines
    assert f"WARNING: Trusted Advisor reports 1 red item(s): {red}. Review them" in said
    assert yellow not in said, "a yellow item is reported as red"
    assert cost not in said, "a category the runbooks leave out is reported"


def test_fail_on_red_stops_the_run_naming_the_red_item(an_account_with_red_and_yellow_checks, tmp_path):
    red, _, _ = an_account_with_red_and_yellow_checks
    play = tmp_path / "play.yml"
    play.write_text("- hosts: localhost\n  gather_facts: false\n  roles: [trusted_advisor]\n"
                    "  post_tasks:\n    - ansible.builtin.debug:\n        msg: the change went ahead\n")
    result = run_playbook(play, *LOCALHOST, "-e", "trusted_advisor_fail_on_red=true", check=False)
    said = " ".join(result.stdout.split())
    assert result.returncode != 0, "red items did not stop the run"
    assert f"Trusted Advisor reports red items ({red}) and trusted_advisor_fail_on_red is true" in said
    assert "-e trusted_advisor_fail_on_red=false" in said
    assert "the change went ahead" not in said
