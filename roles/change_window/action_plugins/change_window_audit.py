# -*- coding: utf-8 -*-
"""Append one record to the change-window audit log, on the controller, never rewriting it."""

from __future__ import annotations

DOCUMENTATION = r"""
module: change_window_audit
short_description: Append one JSON record to the change-window audit log on the controller
description:
  - Action plugin of the change_window role. It runs on the controller whatever the play's hosts,
    connection or become, so the log lives in one place.
  - Appends exactly one line, a JSON object, to O(path). It never reads, truncates or rewrites the
    file - one C(write) on a descriptor opened with C(O_APPEND), under an exclusive C(flock) so that
    parallel forks never interleave their lines, then C(fsync).
  - Creates missing directories with mode 0750 and a missing file with mode 0640, whatever the umask.
    Existing directories and files keep their mode and owner.
  - Adds C(time) (now, UTC, ISO 8601), C(playbook) (the playbook file(s) given to ansible-playbook)
    and C(check_mode) (whether the run is a dry run) unless O(record) has them, and sets an empty
    C(operator) to the account running Ansible on the controller.
  - Honours check mode like any action (reports the record, writes nothing). The role runs it with
    C(check_mode: false): a decision is evidence in a dry run too, and C(check_mode) in the record
    tells the two apart.
options:
  path:
    description: Absolute path of the JSON-lines audit log on the controller.
    type: str
    required: true
  record:
    description: The record's fields. Key order in the file is fixed (see RETURN); unknown keys follow.
    type: dict
    required: true
  warning:
    description: Shown as an Ansible warning once the record is written (the role uses it for overrides).
    type: str
"""

EXAMPLES = r"""
- name: Step is recorded in the audit log
  change_window_audit:
    path: /srv/ops/.audit/change-window.jsonl
    record: {operator: jdoe, host: "{{ inventory_hostname }}", step: upgrade, result: ok}
  check_mode: false
  changed_when: false
"""

RETURN = r"""
path:
  description: The log written to, normalised.
  type: str
  returned: always
record:
  description: The record as written (or as it would be in check mode).
  type: dict
  returned: always
  sample: {time: "2025-03-04T00:12:03.417Z", operator: jdoe, playbook: playbooks/rolling_upgrade.yml, step: gate}
"""

import datetime as dt
import fcntl
import json
import os
import pwd
import stat
from typing import Any

from ansible import context
from ansible.plugins.action import ActionBase

# Readers (people, jq) find the same field in the same place on every line.
KEY_ORDER = (
    "time", "operator", "playbook", "play", "host", "batch", "step", "decision", "result",
    "ticket", "approver", "state", "next_transition", "evaluated_at", "estimated_minutes",
    "check_mode", "calendars", "message", "run_record",
)
DIR_MODE = 0o750
FILE_MODE = 0o640


def _plain(value: Any) -> Any:
    """Plain JSON types: templated values may be subclasses (tagged strings, lazy containers)."""
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    return str(value)


def build_record(fields: dict[str, Any], check_mode: bool) -> dict[str, Any]:
    """The line to write: given fields in KEY_ORDER, then any others, with the defaults filled in."""
    playbooks = context.CLIARGS.get("args") or ()
    defaults = {
        "time": dt.datetime.now(dt.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "playbook": ", ".join(str(p) for p in playbooks) or None,
        "check_mode": check_mode,
    }
    merged = {**defaults, **_plain(fields)}
    if not merged.get("operator"):
        merged["operator"] = _controller_user()
    ordered = {key: merged[key] for key in KEY_ORDER if key in merged}
    ordered.update((key, value) for key, value in merged.items() if key not in ordered)
    return ordered


def _controller_user() -> str:
    """The account running Ansible on the controller (what localhost's ansible_user_id says)."""
    try:
        return pwd.getpwuid(os.getuid()).pw_name
    except KeyError:
        return str(os.getuid())


def _make_dirs(directory: str) -> None:
    """Create the missing directories of ``directory``, each 0750."""
    missing = []
    while directory and not os.path.exists(directory):
        missing.append(directory)
        directory = os.path.dirname(directory)
    for path in reversed(missing):
        try:
            os.mkdir(path, DIR_MODE)
        except FileExistsError:  # another fork won the race; it sets the mode
            continue
        os.chmod(path, DIR_MODE)  # mkdir's mode is reduced by the umask


def append_line(path: str, line: str) -> None:
    """Append ``line`` to ``path`` in one write, under an exclusive lock, and make it durable."""
    _make_dirs(os.path.dirname(path))
    flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC
    try:
        fd = os.open(path, flags | os.O_EXCL, FILE_MODE)
        os.fchmod(fd, FILE_MODE)  # open()'s mode is reduced by the umask
    except FileExistsError:
        fd = os.open(path, flags)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(f"{path} is not a regular file")
        fcntl.flock(fd, fcntl.LOCK_EX)
        data = line.encode("utf-8")
        written = os.write(fd, data)
        while written < len(data):  # only on a full disk or a signal; keep the line whole if we can
            written += os.write(fd, data[written:])
        os.fsync(fd)
    finally:
        os.close(fd)  # also releases the lock


class ActionModule(ActionBase):
    """Append one record to the change-window audit log."""

    TRANSFERS_FILES = False
    _supports_check_mode = True
    _requires_connection = False

    def run(self, tmp: str | None = None, task_vars: dict[str, Any] | None = None) -> dict[str, Any]:
        result = super().run(tmp, task_vars)
        del tmp  # no remote files
        _validation, args = self.validate_argument_spec(
            argument_spec={
                "path": {"type": "str", "required": True},
                "record": {"type": "dict", "required": True},
                "warning": {"type": "str"},
            }
        )
        path = args["path"]
        if not os.path.isabs(path):
            return {**result, "failed": True,
                    "msg": f"change_window_audit: path {path!r} is not absolute. "
                           "Fix: set change_window_audit_log to an absolute path on the controller."}
        path = os.path.normpath(path)
        record = build_record(args["record"], check_mode=bool(context.CLIARGS.get("check", False)))
        line = json.dumps(record, ensure_ascii=False) + "\n"
        result.update(changed=True, path=path, record=record)
        if not self._task.check_mode:
            try:
                append_line(path, line)
            except OSError as err:
                unrecorded = record.get("message") or record.get("result") or record.get("decision")
                return {**result, "changed": False, "failed": True,
                        "msg": f"change_window_audit: cannot append to {path} ({err}). No record, no change: "
                               "fix the permissions or set change_window_audit_log to a writable path. "
                               f"Unrecorded: {unrecorded}"}
        if args.get("warning"):
            result["warnings"] = [args["warning"]]
        return result
