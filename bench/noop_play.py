#!/usr/bin/env python3
"""Wall time of a no-op re-run over the lab hosts: the project's ansible.cfg against Ansible's defaults.

Needs the lab up (`make lab`). Each run starts with no SSH master connection (a fresh
control-path directory), so the figure is the cost of one whole run, not of a warm socket.
Prints the median of RUNS runs for each configuration and their ratio.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
RUNS = int(os.environ.get("BENCH_RUNS", "5"))
PLAY = REPO / "bench" / "trivial.yml"
INVENTORY = REPO / "inventories" / "lab" / "hosts.yml"


def run_once(config: str) -> float:
    with tempfile.TemporaryDirectory() as control_dir:
        env = {**os.environ, "ANSIBLE_CONFIG": config, "ANSIBLE_SSH_CONTROL_PATH_DIR": control_dir}
        start = time.perf_counter()
        result = subprocess.run(
            [str(Path(sys.executable).parent / "ansible-playbook"), "-i", str(INVENTORY), str(PLAY)],
            cwd=REPO, env=env, capture_output=True, text=True, timeout=600,
        )
        elapsed = time.perf_counter() - start
    if result.returncode != 0 or "changed=0" not in result.stdout:
        sys.exit(f"noop_play: run with {config} failed or changed something:\n{result.stdout}\n{result.stderr}")
    return elapsed


def main() -> None:
    defaults = tempfile.NamedTemporaryFile("w", suffix=".cfg", prefix="ansible-defaults-")  # empty: every default
    configs = {"tuned": str(REPO / "ansible.cfg"), "defaults": defaults.name}
    run_once(configs["tuned"])  # warm the fact cache, as a re-run finds it
    times = {name: [] for name in configs}
    for _ in range(RUNS):  # interleaved, so a busy moment hurts both alike
        for name, config in configs.items():
            times[name].append(run_once(config))
    for name, samples in times.items():
        print(f"{name:9s} median {statistics.median(samples):6.2f} s  runs: {', '.join(f'{t:.2f}' for t in samples)}")
    ratio = statistics.median(times["defaults"]) / statistics.median(times["tuned"])
    print(f"ratio defaults/tuned: {ratio:.2f}x faster with the project's ansible.cfg")


if __name__ == "__main__":
    main()
