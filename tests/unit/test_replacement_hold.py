"""lb_membership_replacement_hold: which Auto Scaling processes a hold suspends and a release resumes.

The runbook may only ever resume what it suspended: a process an operator suspended for another
reason (not in the group's tag) stays suspended through a hold and a release.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

PATH = Path(__file__).resolve().parents[2] / "roles/lb_membership/library/lb_membership_replacement_hold.py"
_spec = importlib.util.spec_from_file_location("lb_membership_replacement_hold", PATH)
hold = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(hold)

WANTED = ["HealthCheck", "ReplaceUnhealthy"]
CASES = [
    # state, suspended on the group, held by the tag -> to suspend, to resume, held afterwards
    ("nothing suspended: hold suspends both", "held", set(), set(), set(WANTED), set(), set(WANTED)),
    ("held already: nothing to do", "held", set(WANTED), set(WANTED), set(), set(), set(WANTED)),
    ("an operator's suspension is not claimed", "held", {"HealthCheck"}, set(), {"ReplaceUnhealthy"}, set(),
     {"ReplaceUnhealthy"}),
    ("an operator's other process is left alone", "held", {"Launch"}, set(), set(WANTED), set(), set(WANTED)),
    ("release resumes what the runbook held", "released", set(WANTED), set(WANTED), set(), set(WANTED), set()),
    ("release keeps the operator's suspension", "released", set(WANTED), {"ReplaceUnhealthy"}, set(),
     {"ReplaceUnhealthy"}, set()),
    ("released already: nothing to do", "released", set(), set(), set(), set(), set()),
    ("a claim left by a run stopped before suspending resumes nothing", "released", set(), set(WANTED), set(), set(),
     set()),
    ("a run stopped while held is released by the next", "released", set(WANTED) | {"Launch"}, set(WANTED), set(),
     set(WANTED), set()),
]


@pytest.mark.parametrize("case, state, suspended, held, to_suspend, to_resume, held_after", CASES,
                         ids=[c[0] for c in CASES])
def test_plan(case, state, suspended, held, to_suspend, to_resume, held_after):
    assert hold.plan(state, WANTED, suspended, held) == (to_suspend, to_resume, held_after)
