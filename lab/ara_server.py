#!/usr/bin/env python3
"""The run records' server: ARA's API and web interface on 127.0.0.1, its database under the lab's state.

    ara_server.py start [--port N] [--bind ADDRESS]   migrate the database, start the server in the
                                                      background (idempotent)
    ara_server.py stop               stop it
    ara_server.py url                print its address (what ARA_API_SERVER is set to)
    ara_server.py env                print the environment a recorded run needs (eval "$(lab/ara_server.py env)")

--bind serves on another local address than 127.0.0.1: a lab network's gateway, which the lab's
containers (an ops host running scheduled jobs) reach, and the controller too.

The database is SQLite in $LAB_STATE_DIR/ara (default .lab/ara). ARA's own settings choose another:
ARA_DATABASE_ENGINE=django.db.backends.postgresql with ARA_DATABASE_NAME, _USER, _PASSWORD, _HOST and
_PORT puts the records in a PostgreSQL server (the lab's, for one; requirements.txt pins the driver).
Runs are recorded when $OPS_RUN_RECORDS is "ara" (callback_plugins/run_records.py).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from lab.background import Service  # noqa: E402  (the checkout's root first, also when run as a script)

STATE_DIR = Path(os.environ.get("LAB_STATE_DIR", Path(__file__).resolve().parent.parent / ".lab")) / "ara"
PID_FILE = STATE_DIR / "server.pid"
LOG_FILE = STATE_DIR / "server.log"
DEFAULT_PORT = int(os.environ.get("LAB_ARA_PORT", "8000"))
DEFAULT_BIND = os.environ.get("LAB_ARA_BIND", "127.0.0.1")
START_TIMEOUT_S = 60
# ara-manage beside this interpreter (the project's virtualenv).
ARA_MANAGE = str(Path(sys.executable).parent / "ara-manage")


def url(port: int = DEFAULT_PORT, bind: str = DEFAULT_BIND) -> str:
    return f"http://{bind}:{port}"


# SQLite as several runs write to it at once (scheduled jobs, a run's callback threads): each write transaction
# takes the lock when it begins and waits for it up to 30 s. With Django's defaults (a deferred transaction, 5 s)
# a read that turns into a write fails at once with "database is locked": 8 clients creating and labelling runs
# got 70 answers 500 out of 200, so a run went unrecorded and its audit records lost their link.
SQLITE_OPTIONS = {"timeout": 30, "transaction_mode": "IMMEDIATE"}


def _server_env(bind: str) -> dict[str, str]:
    # ARA reads its settings.yaml and the SQLite file from ARA_BASE_DIR, and answers only the host names
    # ARA_ALLOWED_HOSTS lists (its default: the loopback names); an operator's own choice wins.
    env = {"ARA_BASE_DIR": str(STATE_DIR), "ARA_ALLOWED_HOSTS": json.dumps(["127.0.0.1", "localhost", bind])}
    if "sqlite" in os.environ.get("ARA_DATABASE_ENGINE", "sqlite"):
        env["ARA_DATABASE_OPTIONS"] = "@json " + json.dumps(SQLITE_OPTIONS)
    return {**env, **os.environ}


def _answers(port: int, bind: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url(port, bind)}/api/v1/", timeout=2):
            return True
    except (urllib.error.URLError, OSError):
        return False


def _service(port: int = DEFAULT_PORT, bind: str = DEFAULT_BIND) -> Service:
    return Service("ara_server.py", PID_FILE, LOG_FILE, lambda: _answers(port, bind), START_TIMEOUT_S)


def start(port: int, bind: str = DEFAULT_BIND) -> bool:
    """Migrate and start the server in the background; return False when it already runs."""
    if _service(port, bind).running_pid() and _answers(port, bind):
        return False
    # ARA writes settings.yaml with the server's secret key, and the records may hold hosts' details: owner only.
    os.umask(0o077)
    STATE_DIR.mkdir(parents=True, exist_ok=True, mode=0o700)
    for path in [STATE_DIR, *STATE_DIR.iterdir()]:
        path.chmod(0o700 if path.is_dir() else 0o600)
    with LOG_FILE.open("ab") as log:
        subprocess.run([ARA_MANAGE, "migrate"], env=_server_env(bind), stdout=log, stderr=log, check=True, timeout=300)
    return _service(port, bind).start([ARA_MANAGE, "runserver", f"{bind}:{port}", "--noreload"],
                                      what=f"the ARA server on {url(port, bind)}", env=_server_env(bind))


def stop() -> bool:
    """Stop the server; return False when it was not running."""
    return _service().stop()


def recording_env(port: int, bind: str = DEFAULT_BIND) -> dict[str, str]:
    """What ansible-playbook needs in its environment for its run to be recorded on this server."""
    return {"OPS_RUN_RECORDS": "ara", "ARA_API_CLIENT": "http", "ARA_API_SERVER": url(port, bind)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("action", choices=["start", "stop", "url", "env"])
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    parser.add_argument("--bind", default=DEFAULT_BIND, help="the local address it serves on (default %(default)s)")
    args = parser.parse_args()
    if args.action == "start":
        print("started" if start(args.port, args.bind) else "already running")
    elif args.action == "stop":
        print("stopped" if stop() else "not running")
    elif args.action == "env":
        print("\n".join(f"export {key}={value}" for key, value in recording_env(args.port, args.bind).items()))
    else:
        print(url(args.port, args.bind))


if __name__ == "__main__":
    main()
