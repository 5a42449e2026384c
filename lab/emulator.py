#!/usr/bin/env python3
"""The lab's AWS API emulator: one moto server process, stopped and reset on demand.

    emulator.py start [--bind ADDR ...] [--port N]   start it in the background (idempotent)
    emulator.py stop                                  stop it
    emulator.py reset                                 clear every emulated resource
    emulator.py url                                   print the endpoint for the controller

It listens on 127.0.0.1 and, when containers must reach it, on the lab network's
gateway address as well: never on every interface. All listeners share one process,
so they share one emulated account.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

STATE_DIR = Path(os.environ.get("LAB_STATE_DIR", Path(__file__).resolve().parent.parent / ".lab"))
PID_FILE = STATE_DIR / "emulator.pid"
LOG_FILE = STATE_DIR / "emulator.log"
DEFAULT_PORT = int(os.environ.get("LAB_EMULATOR_PORT", "5000"))
START_TIMEOUT_S = 30


def url(port: int = DEFAULT_PORT) -> str:
    return f"http://127.0.0.1:{port}"


def _answers(port: int) -> bool:
    # Not /moto-api/data.json: once an RDS instance exists moto 5.2.5 fails to serialise it
    # (500, "write only property"), and a running emulator looked dead to a second `start`.
    try:
        with urllib.request.urlopen(f"{url(port)}/moto-api/", timeout=2):
            return True
    except (urllib.error.URLError, OSError):
        return False


def _running_pid() -> int | None:
    try:
        pid = int(PID_FILE.read_text())
        os.kill(pid, 0)
        return pid
    except (FileNotFoundError, ValueError, ProcessLookupError):
        return None


def patch_moto_gaps() -> None:
    """Work around emulator gaps that would otherwise break the roles' re-runs.

    Each patch makes moto answer as AWS does; none changes what a role sends.
    """
    import json

    from moto.autoscaling.responses import AutoScalingResponse
    from moto.ec2.responses.launch_templates import LaunchTemplates
    from moto.iam.access_control import IAMPolicy, PermissionResult
    from moto.rds.models import DBInstance
    from moto.s3.models import FakeBucket

    # moto 5.2.5 evaluates only StringEquals conditions in bucket policies, so the
    # deployment bucket's "deny when aws:SecureTransport is false" statement denies every
    # request (HeadObject: 403). AWS requests over TLS never match it: drop it here.
    def bucket_permission(self, action, resource):
        if self.policy is None:
            return PermissionResult.NEUTRAL
        doc = json.loads(self.policy)
        statements = doc["Statement"] if isinstance(doc["Statement"], list) else [doc["Statement"]]
        kept = [s for s in statements
                if str(s.get("Condition", {}).get("Bool", {}).get("aws:SecureTransport", "")).lower() != "false"]
        if not kept:
            return PermissionResult.NEUTRAL
        doc["Statement"] = kept
        return IAMPolicy(json.dumps(doc)).is_action_permitted(action, resource)

    FakeBucket.get_permission = bucket_permission

    # A gp3 instance created without Iops/StorageThroughput is described without them,
    # where AWS returns the baseline (3000 IOPS, 125 MiB/s); rds_instance then fails on
    # every re-run with KeyError 'StorageThroughput'.
    db_init = DBInstance.__init__

    def db_init_with_gp3_baseline(self, *args, **kwargs):
        db_init(self, *args, **kwargs)
        if self.storage_type == "gp3":
            self.iops = self.iops or 3000
            self.storage_throughput = self.storage_throughput or 125

    DBInstance.__init__ = db_init_with_gp3_baseline

    # CreateLaunchTemplate copies the template's own tags (ResourceType launch-template)
    # into version 1's data; EC2 does not, so ec2_launch_template adds a version 2 on the
    # first re-run.
    create_launch_template = LaunchTemplates.create_launch_template

    def create_launch_template_without_own_tags(self):
        result = create_launch_template(self)
        template = self.ec2_backend.get_launch_template_by_name(self._get_param("LaunchTemplateName"))
        data = template.versions[0].data
        specs = [spec for spec in data.get("TagSpecifications", []) if spec.get("ResourceType") != "launch-template"]
        if specs:
            data["TagSpecifications"] = specs
        else:
            data.pop("TagSpecifications", None)
        return result

    LaunchTemplates.create_launch_template = create_launch_template_without_own_tags

    # UpdateAutoScalingGroup ignores InstanceMaintenancePolicy, so DescribeAutoScalingGroups
    # never returns it and aws_nodes re-applies it on every run. Store it on the group (the
    # serializer picks up instance_maintenance_policy); -1/-1 clears it, as on AWS.
    update_auto_scaling_group = AutoScalingResponse.update_auto_scaling_group

    def update_auto_scaling_group_with_maintenance_policy(self):
        result = update_auto_scaling_group(self)
        policy = self._get_param("InstanceMaintenancePolicy")
        if policy:
            group = self.autoscaling_backend.autoscaling_groups[self._get_param("AutoScalingGroupName")]
            wanted = {key: int(policy[key]) for key in ("MinHealthyPercentage", "MaxHealthyPercentage") if key in policy}
            cleared = wanted.get("MinHealthyPercentage") == -1 and wanted.get("MaxHealthyPercentage") == -1
            group.instance_maintenance_policy = None if cleared else wanted
        return result

    AutoScalingResponse.update_auto_scaling_group = update_auto_scaling_group_with_maintenance_policy


def serve(binds: list[str], port: int) -> None:
    """Run moto in this process, one threaded server per address, until SIGTERM."""
    from moto.server import ThreadedMotoServer

    patch_moto_gaps()
    servers = [ThreadedMotoServer(ip_address=addr, port=port, verbose=False) for addr in binds]
    for server in servers:
        server.start()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        signal.pause()
    finally:
        for server in servers:
            server.stop()


def start(binds: list[str], port: int) -> bool:
    """Start the emulator in the background; return False when it already runs."""
    if _running_pid() and _answers(port):
        return False
    STATE_DIR.mkdir(parents=True, exist_ok=True)
    with LOG_FILE.open("ab") as log:
        proc = subprocess.Popen(
            [sys.executable, __file__, "serve", "--port", str(port), *sum((["--bind", b] for b in binds), [])],
            stdout=log, stderr=log, stdin=subprocess.DEVNULL, start_new_session=True,
        )
    PID_FILE.write_text(str(proc.pid))
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            sys.exit(f"emulator.py: moto exited with {proc.returncode}; see {LOG_FILE}")
        if _answers(port):
            return True
        time.sleep(0.2)
    proc.terminate()
    sys.exit(f"emulator.py: moto did not answer on {url(port)} within {START_TIMEOUT_S} s; see {LOG_FILE}")


def stop() -> bool:
    """Stop the emulator; return False when it was not running."""
    pid = _running_pid()
    PID_FILE.unlink(missing_ok=True)
    if pid is None:
        return False
    os.kill(pid, signal.SIGTERM)
    for _ in range(50):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.1)
    os.kill(pid, signal.SIGKILL)
    return True


def reset(port: int = DEFAULT_PORT) -> None:
    request = urllib.request.Request(f"{url(port)}/moto-api/reset", method="POST")
    with urllib.request.urlopen(request, timeout=10):
        pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("action", choices=["start", "stop", "reset", "url", "serve"])
    parser.add_argument("--bind", action="append", help="address to listen on (repeatable; default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    args = parser.parse_args()
    binds = args.bind or ["127.0.0.1"]
    if args.action == "serve":
        serve(binds, args.port)
    elif args.action == "start":
        print("started" if start(binds, args.port) else "already running")
    elif args.action == "stop":
        print("stopped" if stop() else "not running")
    elif args.action == "reset":
        reset(args.port)
        print("reset")
    else:
        print(url(args.port))


if __name__ == "__main__":
    main()
