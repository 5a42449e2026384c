#!/usr/bin/env python3
"""Mutation check: inject known bugs one at a time and count how many the tests catch.

Each mutation replaces one exact piece of code (which must occur exactly once) in a filter, a
module or a task file with a plausible bug, runs the tests that own that code, and restores the
file whatever happens. A mutation is caught when those tests fail. The figure printed last is
caught / tried; the goal is every one.

    python bench/mutations.py            every mutation
    python bench/mutations.py -k window  those whose name contains "window"

Only fast suites run here (unit tests, a few seconds each); the mutations of task files are
chosen among those the unit suites read (argument specs, explicit regions, policies).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Mutation:
    name: str
    path: str
    old: str
    new: str
    tests: tuple[str, ...]


MUTATIONS = [
    Mutation("upgrade kind: a major upgrade taken for a patch", "roles/manager/filter_plugins/manager_node.py",
             'return "patch" if _parts(old_v)[:2] == _parts(new_v)[:2] else "major"',
             'return "patch" if _parts(old_v)[:1] == _parts(new_v)[:1] else "major"',
             ("tests/unit/test_manager_node.py",)),
    Mutation("downgrade not refused", "roles/manager/filter_plugins/manager_node.py",
             "if _parts(new_v) < _parts(old_v):", "if _parts(new_v) < _parts(old_v) and False:",
             ("tests/unit/test_manager_node.py",)),
    Mutation("a half-installed node counted as serving", "roles/manager/library/manager_node_state.py",
             'if running_version and version_file and running_version != version_file:\n        return "partial"',
             'if running_version and version_file and running_version != version_file:\n        return "serving"',
             ("tests/unit/test_manager_modules.py", "tests/unit/test_manager_node.py")),
    Mutation("recovery starts a node that holds the wrong version", "roles/manager/filter_plugins/manager_node.py",
             'if condition in ("stopped", "unhealthy") and installed == wanted and finished:',
             'if condition in ("stopped", "unhealthy") and finished:',
             ("tests/unit/test_manager_node.py",)),
    Mutation("plan: capacity check off by one", "filter_plugins/rolling_upgrade_plan.py",
             "if serving_while_out < int(min_in_service):", "if serving_while_out < int(min_in_service) - 1:",
             ("tests/unit/test_rolling_upgrade_plan.py",)),
    Mutation("plan: unreachable nodes ignored", "filter_plugins/rolling_upgrade_plan.py",
             'unreachable = [n for n in every if n["condition"] == "unreachable"]',
             "unreachable = []", ("tests/unit/test_rolling_upgrade_plan.py",)),
    Mutation("plan: mixed versions accepted", "filter_plugins/rolling_upgrade_plan.py",
             "elif len(from_versions) > 1:", "elif len(from_versions) > 2:",
             ("tests/unit/test_rolling_upgrade_plan.py",)),
    Mutation("window: an instant on an event's end counted inside", "filter_plugins/change_window.py",
             "in_event = bisect.bisect_right(self.bounds, instant) % 2 == 1",
             "in_event = bisect.bisect_left(self.bounds, instant) % 2 == 1",
             ("tests/unit/test_change_window.py",)),
    Mutation("window: DEFAULT_OPEN read as DEFAULT_CLOSED", "filter_plugins/change_window.py",
             'return in_event == (self.kind == "DEFAULT_CLOSED")', "return in_event",
             ("tests/unit/test_change_window.py",)),
    Mutation("window: next transition not bounded by the year", "filter_plugins/change_window.py",
             "candidates = sorted({b for t in timelines for b in t.bounds if instant < b <= horizon})",
             "candidates = sorted({b for t in timelines for b in t.bounds if instant < b})",
             ("tests/unit/test_change_window.py",)),
    Mutation("tenant placement: SQL Server limit ignored", "filter_plugins/tenant_db_placement.py",
             "if not is_sqlserver(engine):", "if True:", ("tests/unit/test_tenant_db_placement.py",)),
    Mutation("node health: an out-of-service target counted as serving", "filter_plugins/node_health.py",
             'status = "InService" if ok else "OutOfService"', 'status = "InService"',
             ("tests/unit/test_node_health.py",)),
    Mutation("estate facts: another estate's target group taken", "roles/estate_facts/filter_plugins/estate_facts.py",
             'if tags.get("Estate") == estate and tags.get("Flow") in arns:', 'if tags.get("Flow") in arns:',
             ("tests/unit/test_estate_facts.py",)),
    Mutation("replacement hold: an operator's suspension resumed", "roles/lb_membership/library/lb_membership_replacement_hold.py",
             "return set(), held & suspended, set()", "return set(), set(wanted) & suspended, set()",
             ("tests/unit/test_replacement_hold.py",)),
    Mutation("run inputs: a misspelt variable accepted", "roles/run_inputs/action_plugins/run_inputs_extra_vars.py",
             "return sorted(n for n in given if n not in known and not n.startswith(prefixes))",
             "return sorted(n for n in given if n not in known and not n.startswith(prefixes) and False)",
             ("tests/unit/test_run_inputs.py",)),
    Mutation("manager S3 read without its region", "roles/manager/tasks/artifact.yml",
             '        mode: getstr\n        region: "{{ manager_aws_region }}"\n', "        mode: getstr\n",
             ("tests/unit/test_explicit_region.py",)),
    Mutation("a wildcard action in a controller policy", "docs/iam/controller-site.json",
             '"elasticloadbalancing:DeregisterTargets",', '"elasticloadbalancing:*",',
             ("tests/unit/test_iam_policies.py",)),
    Mutation("README variables drift from the argument specs", "roles/manager/meta/argument_specs.yml",
             "description: Lifetime in seconds of the presigned URL", "description: Lifetime of the presigned URL",
             ("tests/unit/test_role_variables.py",)),
    Mutation("heap: the ceiling never applied", "roles/manager/filter_plugins/manager_heap.py",
             "return min(max(memory * share // 100, low), high)", "return max(memory * share // 100, low)",
             ("tests/unit/test_manager_heap.py",)),
    Mutation("user data: boto3 left out on Amazon Linux", "roles/aws_nodes/vars/main.yml",
             "packages: [ansible-core, python3-boto3]", "packages: [ansible-core]",
             ("tests/unit/test_user_data.py",)),
    Mutation("Trusted Advisor: red and yellow swapped", "roles/trusted_advisor/library/trusted_advisor_summary.py",
             'red=rows["error"], yellow=rows["warning"]', 'red=rows["warning"], yellow=rows["error"]',
             ("tests/integration/test_trusted_advisor.py",)),
    Mutation("audit log: the checkout's file shipped, not the one written", "roles/aws_logging/defaults/main.yml",
             "aws_logging_audit_log: \"{{ lookup('ansible.builtin.env', 'OPS_AUDIT_LOG', default='') or playbook_dir",
             "aws_logging_audit_log: \"{{ playbook_dir",
             ("tests/unit/test_role_defaults.py",)),
]


def run(tests: tuple[str, ...]) -> bool:
    """True when the tests pass."""
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", *tests],
                            cwd=REPO, capture_output=True, text=True, timeout=600)
    return result.returncode == 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-k", default="", help="only mutations whose name contains this")
    chosen = [m for m in MUTATIONS if parser.parse_args().k in m.name]
    caught, start = 0, time.monotonic()
    for mutation in chosen:
        path = REPO / mutation.path
        original = path.read_text()
        if original.count(mutation.old) != 1:
            print(f"  SKIP   {mutation.name}: the code to mutate is not found exactly once in {mutation.path} (update the list)")
            return 2
        if not run(mutation.tests):
            print(f"  SKIP   {mutation.name}: its tests fail without the mutation")
            return 2
        try:
            path.write_text(original.replace(mutation.old, mutation.new))
            found = not run(mutation.tests)
        finally:
            path.write_text(original)
        caught += found
        print(f"  {'caught' if found else 'MISSED'} {mutation.name} ({mutation.path})")
    print(f"mutations caught: {caught} / {len(chosen)} in {time.monotonic() - start:.0f} s")
    return 0 if caught == len(chosen) else 1


if __name__ == "__main__":
    sys.exit(main())
