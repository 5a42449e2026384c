#!/usr/bin/env python3
"""Every test suite of `make test`, in parallel lanes, with a count that notices a suite that ran less than it has.

The suites share no container, network, port or state: each molecule scenario names its own under this
checkout's prefix, subnets and ports (lab/checkout.py), with its molecule state under build/molecule, and
the pytest suites start containers and emulators under unique names. So they run side by side in
LANES, the suites of a lane one after another; each suite's output goes to its log under
$TEST_LOG_DIR (default build/test-logs), and a line a suite says when it started and ended.

A suite fails when its command fails, and also when it ran fewer tests than it has: every test
function defined in its test files (read from the source) must have run at least once, and none
may be skipped - a testinfra function whose host group is empty, or a module pytest did not
collect, is a test that cannot fail. And no suite may write into the checkout's .audit/. Each suite writes JUnit XML (PYTEST_ADDOPTS), which gives
what ran.

The output ends with a table of tests per suite, the logs of the suites that failed, then the
pytest suite's own summary.
"""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
import threading
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
from lab.checkout import checkout_env  # noqa: E402
LOG_DIR = Path(os.environ.get("TEST_LOG_DIR", REPO / "build" / "test-logs"))


@dataclass
class Suite:
    name: str
    command: list[str]
    tests: Path  # the directory of its test files, or its one test file
    ignore: tuple[Path, ...] = ()  # test files under ``tests`` that another suite runs
    env: dict[str, str] = field(default_factory=dict)
    returncode: int | None = None
    seconds: float = 0.0
    problems: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def log(self) -> Path:
        return LOG_DIR / f"{self.name}.log"

    @property
    def junit(self) -> Path:
        return LOG_DIR / f"{self.name}.xml"


def molecule(scenario: str) -> Suite:
    # Molecule keys its state by the checkout directory's name alone; two clones called alike would share it.
    return Suite(f"molecule-{scenario}", ["molecule", "test", "-s", scenario], REPO / "molecule" / scenario / "tests",
                 env={"MOLECULE_EPHEMERAL_DIRECTORY": str(REPO / "build" / "molecule" / scenario)})


# The IAM-enforced runs (ten playbook runs, each as slow as a provision) are a pytest suite of their own, and so
# are the runs in the execution environment's image (its build takes minutes, once per recipe).
IAM_TESTS = REPO / "tests" / "integration" / "test_least_privilege.py"
EE_TESTS = REPO / "tests" / "ee" / "test_execution_environment.py"

# Four lanes, balanced on the minutes of a fresh-clone run (CI21: 35.3; 1.4 + 6.9 + 22.6; 12.1 + 17.8;
# 12.3 + 10.2, before the execution environment's suite): the longest scenario alone; the other node
# scenarios; the pytest suites, then the provisioning scenario; the IAM-enforced runs, the scheduler
# scenario, then the runs in the execution environment. Most of a lane's time is spent waiting on containers, the package
# mirror and the emulator, so four lanes share two cores; a fifth saturated them (load 12 to 20) and the
# tests that hold a steady load on the console failed requests. The cores are busy throughout (CI8: 0 %
# idle): the other lanes at nice 5 left the first lane no faster (40.7 min against 37.8) and the others
# slower, so every lane runs at the same priority.
LANES: list[list[Suite]] = [
    [molecule("rolling_upgrade")],
    [molecule("default"), molecule("haproxy"), molecule("manager")],
    [Suite("pytest", ["pytest", "tests", *(f"--ignore={path.relative_to(REPO)}" for path in (IAM_TESTS, EE_TESTS))],
           REPO / "tests", (IAM_TESTS, EE_TESTS)),
     molecule("provision")],
    [Suite("pytest-iam", ["pytest", str(IAM_TESTS.relative_to(REPO))], IAM_TESTS), molecule("scheduler"),
     Suite("pytest-ee", ["pytest", str(EE_TESTS.relative_to(REPO))], EE_TESTS)],
]

_print_lock = threading.Lock()
START = time.monotonic()


def say(text: str) -> None:
    with _print_lock:
        print(f"[{time.monotonic() - START:6.0f} s] {text}", flush=True)


def defined_tests(tests: Path, ignore: tuple[Path, ...] = ()) -> set[str]:
    """module::function of every test function in the test file, or in the directory's test files."""
    found = set()
    for path in [tests] if tests.is_file() else sorted(set(tests.rglob("test_*.py")) - set(ignore)):
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name.startswith("test"):
                found.add(f"{path.stem}::{node.name}")
    return found


def ran_tests(junit: Path) -> tuple[set[str], dict[str, int]]:
    """module::function of every test case that ran (not skipped), and the counts."""
    counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    ran = set()
    for case in ET.parse(junit).getroot().iter("testcase"):
        counts["tests"] += 1
        outcome = {child.tag for child in case}
        if "skipped" in outcome:
            counts["skipped"] += 1
            continue
        counts["failures"] += "failure" in outcome
        counts["errors"] += "error" in outcome
        module = case.get("classname", "").split(".")[-1]
        function = re.sub(r"\[.*$", "", case.get("name", ""))  # test_x[case] -> test_x
        ran.add(f"{module}::{function}")
    return ran, counts


def run(suite: Suite) -> None:
    say(f"{suite.name}: started (log {suite.log.relative_to(REPO) if suite.log.is_relative_to(REPO) else suite.log})")
    suite.junit.unlink(missing_ok=True)
    env = {**os.environ, **suite.env,
           "PYTEST_ADDOPTS": f"{os.environ.get('PYTEST_ADDOPTS', '')} --junitxml={suite.junit}".strip()}
    began = time.monotonic()
    with suite.log.open("w") as log:
        suite.returncode = subprocess.run(suite.command, cwd=REPO, stdout=log, stderr=subprocess.STDOUT, env=env).returncode
    suite.seconds = time.monotonic() - began
    check(suite)
    verdict = "passed" if suite.returncode == 0 and not suite.problems else "FAILED"
    say(f"{suite.name}: {verdict} in {suite.seconds / 60:.1f} min")


def check(suite: Suite) -> None:
    if suite.returncode != 0:
        suite.problems.append(f"exited {suite.returncode}")
    if not suite.junit.exists():
        suite.problems.append("wrote no test report: its tests did not run")
        return
    ran, suite.counts = ran_tests(suite.junit)
    defined = defined_tests(suite.tests, suite.ignore)
    suite.counts["defined"] = len(defined)
    if not defined:
        suite.problems.append(f"{suite.tests.relative_to(REPO)} holds no test")
    missing = sorted(defined - ran)
    if missing:
        suite.problems.append(f"{len(missing)} test function(s) never ran: {', '.join(missing[:10])}")
    if suite.counts["skipped"]:
        suite.problems.append(f"{suite.counts['skipped']} test(s) skipped: a test that does not run cannot fail")


def lane(suites: list[Suite]) -> None:
    for suite in suites:
        run(suite)


def summary_lines(suite: Suite) -> list[str]:
    """The suite's own closing lines (pytest's summary, molecule's scenario recap)."""
    text = suite.log.read_text(errors="replace").splitlines() if suite.log.exists() else []
    return text[-12:]


def checkout_audit() -> dict[str, tuple[int, int]]:
    """The checkout's own audit log directory: tests write only to temporary directories ($OPS_AUDIT_LOG)."""
    audit = REPO / ".audit"
    return {p.name: (p.stat().st_size, p.stat().st_mtime_ns) for p in audit.glob("*")} if audit.is_dir() else {}


def main() -> int:
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    checkout = checkout_env()
    os.environ.update(checkout)
    say("this checkout's scenario names, subnets and ports: " + " ".join(f"{k}={v}" for k, v in checkout.items()))
    audit_before = checkout_audit()
    threads = [threading.Thread(target=lane, args=(suites,), daemon=True) for suites in LANES]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    suites = [suite for suites in LANES for suite in suites]
    if checkout_audit() != audit_before:
        # Which suite wrote it cannot be told apart when they run side by side: the pytest suite carries it.
        next(s for s in suites if s.name == "pytest").problems.append(
            "a test wrote into the checkout's .audit/ (set OPS_AUDIT_LOG or change_window_audit_log to a temporary path)")
    failed = [suite for suite in suites if suite.returncode != 0 or suite.problems]
    print("\nTests per suite (functions defined / test cases run / failed / skipped, minutes):")
    for suite in suites:
        c = suite.counts
        print(f"  {suite.name:28} {c.get('defined', 0):4} / {c.get('tests', 0):4} / "
              f"{c.get('failures', 0) + c.get('errors', 0):3} / {c.get('skipped', 0):3}   {suite.seconds / 60:5.1f}"
              + ("   " + "; ".join(suite.problems) if suite.problems else ""))
    pytest_suites = sorted((s for s in suites if s.name.startswith("pytest")), key=lambda s: s.name == "pytest")
    for suite in failed:
        if suite in pytest_suites:
            continue
        print(f"\n===== {suite.name} failed: the end of {suite.log} =====")
        print("\n".join(suite.log.read_text(errors="replace").splitlines()[-150:]))
    # The pytest suites' own summaries come last, the main suite's at the very end.
    for suite in pytest_suites:
        print(f"\n===== {suite.name} ({suite.log}) =====")
        print("\n".join(summary_lines(suite) if suite not in failed
                        else suite.log.read_text(errors="replace").splitlines()[-200:]))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
