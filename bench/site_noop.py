#!/usr/bin/env python3
"""Wall time of the real no-op re-run of playbooks/site.yml on the lab: the project's ansible.cfg
against Ansible's defaults, and what recording the run in ARA adds (OPS_RUN_RECORDS=ara, on the
lab's ARA server, which is started when it is not running).

Needs the lab up and converged (`make lab`). "Defaults" keeps only what makes the suite findable
(inventory, roles and filter paths) and none of the tuning. Each run starts with no SSH master
connection (a fresh control-path directory), so the figure is the cost of one whole run, not of a
warm socket. The runs are interleaved (tuned, defaults, tuned, ...), so a busy moment hurts both
alike. Prints median, min and max of BENCH_RUNS runs (default 5) for each, and the ratios.
"""

from __future__ import annotations

import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
RUNS = int(os.environ.get("BENCH_RUNS", "5"))
PLAY = REPO / "playbooks" / "site.yml"
INVENTORY = REPO / "inventories" / "lab"
# Only what the suite needs to be found: the rest of ansible.cfg is tuning.
DEFAULTS = f"""[defaults]
inventory = {INVENTORY}
roles_path = {REPO / "roles"}
filter_plugins = {REPO / "filter_plugins"}
"""


def run_once(config: str, extra_env: dict[str, str]) -> float:
    with tempfile.TemporaryDirectory() as control_dir:
        env = {**os.environ, **extra_env, "ANSIBLE_CONFIG": config, "ANSIBLE_SSH_CONTROL_PATH_DIR": control_dir}
        start = time.perf_counter()
        result = subprocess.run(
            [str(Path(sys.executable).parent / "ansible-playbook"), "-i", str(INVENTORY), str(PLAY)],
            cwd=REPO, env=env, capture_output=True, text=True, timeout=600,
        )
        elapsed = time.perf_counter() - start
    changed = [int(n) for n in re.findall(r"changed=(\d+)", result.stdout)]
    if result.returncode != 0 or not changed or any(changed):
        sys.exit(f"site_noop: run with {config} failed or changed something:\n{result.stdout}\n{result.stderr}")
    return elapsed


def main() -> None:
    defaults = tempfile.NamedTemporaryFile("w", suffix=".cfg", prefix="ansible-defaults-")
    defaults.write(DEFAULTS)
    defaults.flush()
    sys.path.insert(0, str(REPO))
    from lab import ara_server as ara

    ara.start(ara.DEFAULT_PORT)
    off = {"OPS_RUN_RECORDS": ""}
    configs = {"tuned": (str(REPO / "ansible.cfg"), off), "defaults": (defaults.name, off),
               "recorded": (str(REPO / "ansible.cfg"), ara.recording_env(ara.DEFAULT_PORT))}
    run_once(*configs["tuned"])  # warm the fact cache, as a re-run finds it
    times = {name: [] for name in configs}
    for _ in range(RUNS):  # interleaved, so a busy moment hurts all alike
        for name, (config, extra_env) in configs.items():
            times[name].append(run_once(config, extra_env))
    for name, samples in times.items():
        print(f"site.yml no-op, {name:9s} median {statistics.median(samples):6.2f} s  min {min(samples):6.2f}"
              f"  max {max(samples):6.2f}  runs: {', '.join(f'{t:.1f}' for t in samples)}")
    ratio = statistics.median(times["defaults"]) / statistics.median(times["tuned"])
    print(f"ratio defaults/tuned: {ratio:.2f}x faster with the project's ansible.cfg")
    overhead = statistics.median(times["recorded"]) / statistics.median(times["tuned"])
    print(f"ratio recorded/tuned: {overhead:.2f} (what recording the run in ARA costs)")


if __name__ == "__main__":
    main()
