"""Lab containers for tests: Debian 12 + systemd containers on a private docker network.

Everything a Lab creates carries its random id in its name and is removed by Lab.close()
(use the Lab as a context manager or in a fixture's finally). Only the docker CLI is used.

    with Lab("mgr") as lab:
        db = run_postgres(lab, "db", database="dsm", user="dsm", password="...")
        node = lab.run("node1", image("jre"))
        lab.exec(node, "systemctl is-active ssh")

Containers run systemd as PID 1 as every lab instance does (lab/instance.yml: no --privileged, which
fails on the lab's kernel; systemd does not need it with the host's cgroups mounted).
"""

from __future__ import annotations

import shlex
import subprocess
import time
import uuid
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Sequence

import yaml

ROOT = Path(__file__).resolve().parents[2]

# How every lab instance runs (lab/instance.yml, the one definition), as docker run's flags and command.
_INSTANCE = yaml.safe_load((ROOT / "lab" / "instance.yml").read_text())["lab_instance_container"]
SYSTEMD_FLAGS = [
    *(flag for cap in _INSTANCE["capabilities"] for flag in ("--cap-add", cap)),
    *(flag for opt in _INSTANCE["security_opts"] for flag in ("--security-opt", opt)),
    f"--cgroupns={_INSTANCE['cgroupns_mode']}",
    *(flag for volume in _INSTANCE["volumes"] for flag in ("-v", volume)),
    *(flag for path in _INSTANCE["tmpfs"] for flag in ("--tmpfs", path)),
]
SYSTEMD_COMMAND = _INSTANCE["command"]


class WaitTimeout(AssertionError):
    """A bounded wait ran out; the message says what was awaited and what was last seen."""


def docker(
    *args: str, check: bool = True, timeout: float = 120, input: str | None = None
) -> subprocess.CompletedProcess:
    """Run the docker CLI; on failure raise with the command, exit code and output."""
    try:
        p = subprocess.run(
            ["docker", *args],
            input=input,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired as e:
        raise WaitTimeout(
            f"docker {shlex.join(args)} did not finish within {timeout}s"
        ) from e
    if check and p.returncode != 0:
        raise RuntimeError(
            f"docker {shlex.join(args)} failed (exit {p.returncode}):\n{p.stdout}{p.stderr}"
        )
    return p


def image(name: str, timeout: float = 1800) -> str:
    """Tag of lab image NAME (lab/images/build.sh builds it when missing)."""
    p = subprocess.run(
        [str(ROOT / "lab/images/build.sh"), name],
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if p.returncode != 0:
        raise RuntimeError(
            f"lab/images/build.sh {name} failed (exit {p.returncode}):\n{p.stderr[-4000:]}"
        )
    return p.stdout.strip().splitlines()[-1]


def wait_until(
    predicate: Callable[[], Any], timeout: float, what: str, interval: float = 0.5
) -> Any:
    """Call predicate until it returns something truthy, and return that.

    An exception from predicate counts as "not yet". On timeout raise WaitTimeout naming
    `what` and the last value or exception seen, so a failed wait explains itself.
    """
    deadline = time.monotonic() + timeout
    last: Any = None
    while True:
        try:
            last = predicate()
            if last:
                return last
        except Exception as e:  # noqa: BLE001 - any failure means "not yet"
            last = e
        if time.monotonic() >= deadline:
            raise WaitTimeout(
                f"timed out after {timeout:.0f}s waiting for {what}; last seen: {last!r}"
            )
        time.sleep(interval)


class Lab:
    """One docker network and the containers on it; close() removes them all."""

    def __init__(self, prefix: str = "lab") -> None:
        self.id = f"dsm-test-{prefix}-{uuid.uuid4().hex[:6]}"
        self.network = self.id
        self.containers: list[str] = []
        docker("network", "create", "--label", f"dsm-lab.test={self.id}", self.network)

    def __enter__(self) -> "Lab":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def run(
        self,
        name: str,
        image: str,
        *,
        hostname: str | None = None,
        aliases: Iterable[str] = (),
        env: Mapping[str, str] | None = None,
        boot_timeout: float = 90,
    ) -> str:
        """Start a systemd container; wait until systemd finished booting. Returns its name.

        The container is reachable on the lab network as `name` (its host name too) and as
        each of `aliases`.
        """
        container = f"{self.id}-{name}"
        args = [
            "run",
            "-d",
            "--name",
            container,
            "--hostname",
            hostname or name,
            "--network",
            self.network,
            "--network-alias",
            name,
            "--label",
            f"dsm-lab.test={self.id}",
            *SYSTEMD_FLAGS,
        ]
        for alias in aliases:
            args += ["--network-alias", alias]
        for k, v in (env or {}).items():
            args += ["-e", f"{k}={v}"]
        self.containers.append(container)
        docker(*args, image, SYSTEMD_COMMAND)
        self.wait_booted(container, boot_timeout)
        return container

    def wait_booted(self, container: str, timeout: float = 90) -> None:
        """Wait until `systemctl is-system-running` says running (or degraded: a unit failed)."""

        def booted() -> bool:
            p = self.exec(
                container,
                ["systemctl", "is-system-running", "--wait"],
                check=False,
                timeout=timeout,
            )
            return p.stdout.strip() in ("running", "degraded")

        wait_until(booted, timeout, f"systemd to finish booting in {container}")

    def exec(
        self,
        container: str,
        cmd: str | Sequence[str],
        *,
        check: bool = True,
        timeout: float = 120,
        input: str | None = None,
        env: Mapping[str, str] | None = None,
    ) -> subprocess.CompletedProcess:
        """Run cmd in the container (a string goes through bash -c). check=True raises on non-zero."""
        argv = ["bash", "-c", cmd] if isinstance(cmd, str) else list(cmd)
        args = ["exec"] + (["-i"] if input is not None else [])
        for k, v in (env or {}).items():
            args += ["-e", f"{k}={v}"]
        p = docker(*args, container, *argv, check=False, timeout=timeout, input=input)
        if check and p.returncode != 0:
            raise RuntimeError(
                f"in {container}: {shlex.join(argv)} failed (exit {p.returncode}):\n"
                f"--- stdout\n{p.stdout}--- stderr\n{p.stderr}"
            )
        return p

    def popen(
        self,
        container: str,
        cmd: str | Sequence[str],
        *,
        env: Mapping[str, str] | None = None,
    ) -> subprocess.Popen:
        """Start cmd in the container in the background; stdout and stderr are pipes (text)."""
        argv = ["bash", "-c", cmd] if isinstance(cmd, str) else list(cmd)
        args = ["docker", "exec"]
        for k, v in (env or {}).items():
            args += ["-e", f"{k}={v}"]
        return subprocess.Popen(
            [*args, container, *argv],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def copy_in(self, container: str, src: str | Path, dest: str) -> None:
        """Copy a host file or directory to dest in the container."""
        docker("cp", str(src), f"{container}:{dest}")

    def write_file(
        self, container: str, path: str, content: str, mode: str = "0644"
    ) -> None:
        """Create a file in the container from a string (passed on stdin, never on a command line)."""
        self.exec(
            container,
            f"umask 077; cat > {shlex.quote(path)}; chmod {mode} {shlex.quote(path)}",
            input=content,
        )

    def stop(self, container: str, timeout: int = 10) -> None:
        docker("stop", "-t", str(timeout), container, timeout=timeout + 60)

    def start(self, container: str, boot_timeout: float = 90) -> None:
        """Start a stopped container again and wait for systemd."""
        docker("start", container)
        self.wait_booted(container, boot_timeout)

    def ip(self, container: str) -> str:
        """The container's IPv4 address on the lab network."""
        fmt = '{{(index .NetworkSettings.Networks "%s").IPAddress}}' % self.network
        return docker("inspect", "-f", fmt, container).stdout.strip()

    def subnet(self) -> str:
        return docker(
            "network",
            "inspect",
            "-f",
            "{{(index .IPAM.Config 0).Subnet}}",
            self.network,
        ).stdout.strip()

    def journal(self, container: str, unit: str) -> str:
        return self.exec(
            container,
            ["journalctl", "--no-pager", "-o", "cat", "-u", unit],
            check=False,
        ).stdout

    def close(self) -> None:
        """Remove every container and the network (safe to call twice; never raises)."""
        for args in [("rm", "-f", "-v", c) for c in reversed(self.containers)] + [
            ("network", "rm", self.network)
        ]:
            try:
                docker(*args, check=False, timeout=60)
            except WaitTimeout:
                pass  # keep removing the rest; a stuck daemon is reported by the next run
        self.containers.clear()


def run_postgres(
    lab: Lab,
    name: str,
    *,
    database: str,
    user: str,
    password: str,
    aliases: Iterable[str] = (),
    image_tag: str | None = None,
) -> str:
    """A PostgreSQL 15 container that accepts password (scram) logins from the lab network,
    with `database` owned by login `user`. Returns the container name."""
    c = lab.run(name, image_tag or image("postgres"), aliases=aliases)
    conf = "/etc/postgresql/15/main"
    lab.write_file(
        c,
        f"{conf}/conf.d/lab.conf",
        "listen_addresses = '*'\npassword_encryption = 'scram-sha-256'\n",
    )
    lab.exec(
        c,
        f"echo 'host all all {lab.subnet()} scram-sha-256' >> {conf}/pg_hba.conf && "
        "systemctl restart postgresql@15-main",
    )
    sql = (
        f"CREATE ROLE {user} LOGIN PASSWORD '{password.replace(chr(39), chr(39) * 2)}';\n"
        f"CREATE DATABASE {database} OWNER {user};\n"
    )
    psql(lab, c, sql)
    return c


def psql(
    lab: Lab, container: str, sql: str, database: str = "postgres", check: bool = True
) -> str:
    """Run SQL as the postgres superuser (on stdin); return unaligned, tuples-only output."""
    return lab.exec(
        container,
        [
            "runuser",
            "-u",
            "postgres",
            "--",
            "psql",
            "-X",
            "-q",
            "-A",
            "-t",
            "-v",
            "ON_ERROR_STOP=1",
            "-d",
            database,
        ],
        input=sql,
        check=check,
    ).stdout.strip()
