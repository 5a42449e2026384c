"""A lab service run in the background (the AWS emulator, the ARA server): started once, found again
by its pid file, waited for until it answers, stopped on demand."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Service:
    name: str  # the script's name, which starts its messages
    pid_file: Path
    log_file: Path
    answers: Callable[[], bool]
    start_timeout_s: float

    def running_pid(self) -> int | None:
        try:
            pid = int(self.pid_file.read_text())
            os.kill(pid, 0)
            return pid
        except (FileNotFoundError, ValueError, ProcessLookupError):
            return None

    def start(self, command: list[str], what: str, env: dict[str, str] | None = None) -> bool:
        """Run ``command`` in its own session, logging to the log file, until it answers; False when it
        already ran. Exits naming ``what`` and the log when it dies or stays silent."""
        if self.running_pid() and self.answers():
            return False
        self.pid_file.parent.mkdir(parents=True, exist_ok=True)
        with self.log_file.open("ab") as log:
            proc = subprocess.Popen(command, env=env, stdout=log, stderr=log, stdin=subprocess.DEVNULL,
                                    start_new_session=True)
        self.pid_file.write_text(str(proc.pid))
        deadline = time.monotonic() + self.start_timeout_s
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                sys.exit(f"{self.name}: {what} exited with {proc.returncode}; see {self.log_file}")
            if self.answers():
                return True
            time.sleep(0.2)
        proc.terminate()
        sys.exit(f"{self.name}: {what} did not answer within {self.start_timeout_s:.0f} s; see {self.log_file}")

    def stop(self) -> bool:
        """Stop the service and anything it started; False when it was not running."""
        pid = self.running_pid()
        self.pid_file.unlink(missing_ok=True)
        if pid is None:
            return False
        os.killpg(pid, signal.SIGTERM)
        for _ in range(50):
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return True
            time.sleep(0.1)
        os.killpg(pid, signal.SIGKILL)
        return True
