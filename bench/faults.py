#!/usr/bin/env python3
"""Fault drills on the lab under load: what each fault costs the clients, and how long the re-run takes
to bring the estate back to full capacity.

Needs a fresh lab on 20.0.877 (`make bench-faults` makes one, then runs this). A steady load of RATE
requests/s (default 50) hits the console flow of the lab's load balancer during each drill and its
re-run. Each drill injects one fault during a rolling upgrade (or on a serving node), lets the runbook
finish, then runs it again; it prints one line:
- failed: requests that failed during the drill's run and its re-run;
- window: the longest stretch with failed requests and no successful one;
- capacity: seconds from the start of the re-run until every node runs the target version and is UP in
  every backend of the load balancer (for the service kill: until the node is UP again).
The drills, in order (each leaves the estate whole for the next):
1. the database restarts while a patch installer runs (20.0.877 -> 20.0.913, first node);
2. the installer's shell is killed while its JVM installs (20.0.913 -> 20.0.950, first node);
3. a node is lost in the middle of its upgrade (same run, last node; brought back before the re-run);
4. dsm_s is killed with SIGTERM on a serving node;
5. Ctrl-C (SIGINT) to the runbook right after the first node's drain (20.0.950 -> 20.0.970).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
from lab.harness.ansible_run import run_playbook  # noqa: E402
from lab.harness.lab_nodes import BACKENDS, lb_servers, main_pid, node, ping_status  # noqa: E402
from lab.harness.load import SteadyLoad  # noqa: E402

RATE = float(os.environ.get("BENCH_RATE", "50"))
AUDIT_LOG = REPO / ".audit" / "change-window.jsonl"
INVENTORY = REPO / "inventories" / "lab"
LAB = "dsm-lab"
NODES = ("manager-1", "manager-3", "manager-2")  # plan order: lab-a (1, 3), then lab-b (2)
PAUSE_FILE = "/etc/dsm-lab/install-pause-seconds"


def container(name: str) -> str:
    return f"{LAB}-{name}"


def host(name: str):
    return node(container(name))


def upgrade_cmd(version: str) -> list[str]:
    return [str(Path(sys.executable).parent / "ansible-playbook"), "playbooks/rolling_upgrade.yml", "-i", str(INVENTORY),
            "-e", f"manager_version={version}"]


def run_upgrade(version: str) -> int:
    return run_playbook("playbooks/rolling_upgrade.yml", "-i", str(INVENTORY), "-e", f"manager_version={version}",
                        check=False).returncode


def wait_for(predicate, timeout: float, what: str) -> float:
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        try:
            if predicate():
                return time.monotonic() - start
        except (AssertionError, RuntimeError, ValueError):
            pass
        time.sleep(0.5)
    sys.exit(f"faults bench: waited {timeout} s for {what}")


def installer_paused(name: str) -> bool:
    h = host(name)
    return (h.run("systemctl is-active dsm-installer").stdout.strip() == "active"
            and h.run("systemctl is-active dsm_s").stdout.strip() != "active")


def full_capacity(version: str) -> bool:
    lb = node(container("lab-lb"))
    servers = lb_servers(lb)
    if any(servers.get((backend, name)) != "UP" for backend in BACKENDS for name in NODES):
        return False
    return all(json.loads(host(name).check_output("curl -sk https://127.0.0.1:4119/rest/status/manager/version"))["version"]
               == version for name in NODES)


def pause(name: str, seconds: int) -> None:
    host(name).check_output(f"mkdir -p /etc/dsm-lab && echo {seconds} > {PAUSE_FILE}")


def clear_pauses() -> None:
    for name in NODES:
        host(name).check_output(f"rm -f {PAUSE_FILE}")


def rerun(version: str) -> float:
    """Seconds from the re-run's start until full capacity on `version`."""
    start = time.monotonic()
    if run_upgrade(version) != 0:
        sys.exit(f"faults bench: the re-run to {version} failed")
    wait_for(lambda: full_capacity(version), 120, f"full capacity on {version}")
    return time.monotonic() - start


def report(label: str, load: SteadyLoad, capacity: float, since: str = "the re-run started") -> None:
    answers = load.report
    print(f"{label}: failed {len(answers.failed)} of {len(answers.answers)} requests, "
          f"window {answers.unavailable_seconds():.1f} s, full capacity {capacity:.1f} s after {since}")


def in_background(fn, *args) -> threading.Thread:
    thread = threading.Thread(target=fn, args=args, daemon=True)
    thread.start()
    return thread


def drill_database_restart(console: str) -> None:
    pause(NODES[0], 10)
    with SteadyLoad(console, rate=RATE, max_seconds=900) as load:
        run = in_background(run_upgrade, "20.0.913")
        wait_for(lambda: installer_paused(NODES[0]), 300, "the installer to pause")
        node(container("lab-db")).check_output("systemctl restart postgresql@15-main")
        run.join()
        clear_pauses()
        capacity = rerun("20.0.913")
    report("1. database restart under a patch installer", load, capacity)


def drill_shell_killed_and_node_lost(console: str) -> tuple[float, SteadyLoad]:
    pause(NODES[0], 6)
    pause(NODES[2], 30)
    with SteadyLoad(console, rate=RATE, max_seconds=900) as load:
        run = in_background(run_upgrade, "20.0.950")
        wait_for(lambda: installer_paused(NODES[0]), 300, "the first installer to pause")
        host(NODES[0]).check_output("pkill -KILL -f '^/bin/sh /var/cache/dsm/Manager-Linux-'")
        wait_for(lambda: installer_paused(NODES[2]), 300, "the last installer to pause")
        subprocess.run(["docker", "stop", "--time", "1", container(NODES[2])], check=True, capture_output=True)
        run.join()
        subprocess.run(["docker", "start", container(NODES[2])], check=True, capture_output=True)
        wait_for(lambda: host(NODES[2]).run("systemctl is-system-running").stdout.strip() in ("running", "degraded"),
                 120, "the lost node to boot")
        clear_pauses()
        capacity = rerun("20.0.950")
    report("2+3. installer shell killed (first node), node lost mid-upgrade (last node)", load, capacity)


def drill_service_killed(console: str) -> None:
    victim = host(NODES[1])
    with SteadyLoad(console, rate=RATE, max_seconds=300) as load:
        time.sleep(2)
        pid = main_pid(victim)
        start = time.monotonic()
        victim.check_output(f"kill -TERM {pid}")
        wait_for(lambda: main_pid(victim) not in (0, pid) and ping_status(victim) == 200, 120, "dsm_s back")
        wait_for(lambda: full_capacity("20.0.950"), 120, "the node UP again")
        back = time.monotonic() - start
        time.sleep(2)
    report("4. dsm_s killed with SIGTERM", load, back, since="the kill (no re-run: systemd restarts it)")


def drill_ctrl_c_after_drain(console: str) -> None:
    mark = len(AUDIT_LOG.read_text().splitlines()) if AUDIT_LOG.exists() else 0
    with SteadyLoad(console, rate=RATE, max_seconds=900) as load:
        process = subprocess.Popen(upgrade_cmd("20.0.970"), cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                   env={**os.environ, "ANSIBLE_CONFIG": str(REPO / "ansible.cfg")})
        wait_for(lambda: any(json.loads(line)["step"] == "drain" for line in AUDIT_LOG.read_text().splitlines()[mark:]),
                 300, "the first drain")
        process.send_signal(signal.SIGINT)
        process.wait(timeout=120)
        capacity = rerun("20.0.970")
    report("5. Ctrl-C after the first drain", load, capacity)


def main() -> None:
    console = json.loads((REPO / ".lab" / "endpoints.json").read_text())["console"] + "/rest/status/manager/ping"
    if not full_capacity("20.0.877"):
        sys.exit("faults bench: the lab is not whole on 20.0.877; make a fresh lab: make bench-faults")
    drill_database_restart(console)
    drill_shell_killed_and_node_lost(console)
    drill_service_killed(console)
    drill_ctrl_c_after_drain(console)


if __name__ == "__main__":
    main()
