#!/usr/bin/env python3
"""Provisioning re-run against the emulator: its wall time and the AWS calls it makes.

Starts its own emulator (moto server, as the test suites do), makes the operator's prerequisites
(lab/prerequisites.yml), provisions the lab estate once, then re-runs provision.yml BENCH_RUNS
times (default 3). A converged re-run should change nothing and make only reads, as few as it
can. Prints the median, min and max wall time of the re-runs, their changed count, and the calls
of one re-run by action, writes first.

    python bench/provision.py        (make bench-provision)
"""

from __future__ import annotations

import collections
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
RUNS = int(os.environ.get("BENCH_RUNS", "3"))
READS = ("Describe", "Get", "List", "Head")


def playbook(path: str, env: dict[str, str]) -> tuple[float, str]:
    start = time.perf_counter()
    result = subprocess.run([str(Path(sys.executable).parent / "ansible-playbook"), path, "-i", "inventories/lab"],
                            cwd=REPO, env=env, capture_output=True, text=True, timeout=1800)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        sys.exit(f"bench/provision.py: {path} failed:\n{result.stdout[-4000:]}\n{result.stderr[-2000:]}")
    return elapsed, result.stdout


def main() -> None:
    import logging

    from moto.server import ThreadedMotoServer

    from lab import emulator
    from lab.harness.ports import free_port

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per request would bury the figures

    emulator.patch_moto_gaps()
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        with tempfile.TemporaryDirectory() as scratch:
            env = {**os.environ, "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}", "AWS_ACCESS_KEY_ID": "testing",
                   "AWS_SECRET_ACCESS_KEY": "testing", "AWS_SESSION_TOKEN": "testing",
                   "AWS_DEFAULT_REGION": "eu-west-1", "LAB_STATE_DIR": scratch,
                   "OPS_AUDIT_LOG": f"{scratch}/audit.jsonl", "ANSIBLE_NOCOLOR": "1"}
            playbook("lab/prerequisites.yml", env)
            first, _ = playbook("playbooks/provision.yml", env)
            print(f"provision.yml first run: {first:.1f} s")
            times, changed, calls = [], [], []
            for _ in range(RUNS):
                mark = len(emulator.RECORDED_CALLS)
                elapsed, output = playbook("playbooks/provision.yml", env)
                times.append(elapsed)
                changed.append(sum(int(n) for n in re.findall(r"changed=(\d+)", output)))
                calls.append([c["action"] for c in emulator.RECORDED_CALLS[mark:]])
    finally:
        server.stop()
    print(f"provision.yml re-run: median {statistics.median(times):.1f} s  min {min(times):.1f}  max {max(times):.1f}"
          f"  runs: {', '.join(f'{t:.1f}' for t in times)}  changed: {changed}")
    last = collections.Counter(calls[-1])
    writes = {a: n for a, n in last.items() if not a.split(":")[-1].startswith(READS)}
    print(f"AWS calls of one re-run: {sum(last.values())} ({len(writes)} kinds of write: "
          f"{', '.join(f'{a} x{n}' for a, n in sorted(writes.items())) or 'none'})")
    for action, count in last.most_common(15):
        print(f"  {count:4d}  {action}")


if __name__ == "__main__":
    main()
