"""Every AWS call of the suite names its region: none depends on the controller's or node's environment.

A task of an amazon.aws or community.aws module (or of a role's own AWS module) without `region`
would use AWS_REGION / AWS_DEFAULT_REGION or fail on a host without them; a lookup without
region= likewise. The files are every role's tasks and every playbook of the runbook.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from tests.support.task_files import tasks

REPO = Path(__file__).resolve().parents[2]
FILES = sorted([*REPO.glob("roles/*/tasks/*.yml"), *REPO.glob("playbooks/**/*.yml")])
# amazon.aws.route53's `region` is a latency-routing attribute of the record, not the API's region:
# Route 53 is global and the module signs for it whatever the environment says. The Support API
# (Trusted Advisor) answers only in us-east-1, which the role's module names itself.
GLOBAL_ONLY = {"amazon.aws.route53", "trusted_advisor_summary"}
# Role modules built on AnsibleAWSModule.
OWN_AWS_MODULES = {path.stem for path in REPO.glob("roles/*/library/*.py") if "AnsibleAWSModule" in path.read_text()}


def aws_calls(path: Path):
    for task in tasks(yaml.safe_load(path.read_text())):
        for key, args in task.items():
            if (key.startswith(("amazon.aws.", "community.aws.")) or key in OWN_AWS_MODULES) and key not in GLOBAL_ONLY:
                yield task.get("name", key), key, args


CALLS = [(path.relative_to(REPO).as_posix(), name, module, args) for path in FILES for name, module, args in aws_calls(path)]


def test_the_files_hold_aws_calls_at_all():
    assert len(CALLS) > 50


@pytest.mark.parametrize("path, name, module, args", CALLS, ids=[f"{c[0]}: {c[1]}" for c in CALLS])
def test_every_aws_task_names_its_region(path, name, module, args):
    assert isinstance(args, dict) and args.get("region"), f"{path}: '{name}' ({module}) passes no region"
    assert "omit" not in str(args["region"]), f"{path}: '{name}' ({module}) may leave the region to the environment"


@pytest.mark.parametrize("path", [p.relative_to(REPO).as_posix() for p in FILES] + [
    p.relative_to(REPO).as_posix() for p in sorted(REPO.glob("roles/*/vars/*.yml"))])
def test_every_aws_lookup_names_its_region(path):
    text = (REPO / path).read_text()
    for start in (m.start() for m in re.finditer(r"lookup\(\s*'amazon\.aws\.", text)):
        depth, end = 0, start
        for end, char in enumerate(text[start:], start):
            depth += {"(": 1, ")": -1}.get(char, 0)
            if depth == 0 and char == ")":
                break
        call = text[start:end + 1]
        assert "region=" in call, f"{path}: {call}"
