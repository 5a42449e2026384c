#!/usr/bin/python
# -*- coding: utf-8 -*-
"""Read a manager node's real state in one call: files, install journal, units, ping and version."""

from __future__ import annotations

DOCUMENTATION = r"""
module: manager_node_state
short_description: Read what a manager node really is, before anything is decided or said about it
description:
  - Reads, on the node, everything a runbook needs to judge it after any failure - never inferred from
    what a run meant to do - in one module run instead of one task per probe.
  - The installed version (the C(version) file the installer writes last), the install journal the
    manager role writes before an installer runs and removes only after the installer really finished,
    the state of the service unit and of the installer's transient unit, the node's own ping and the
    version and state it reports, and the installation backups kept for a rollback.
  - From these it derives one O(condition) and a one-line O(summary) an operator can read.
  - With O(wait_installer) it first waits (bounded) until an installer still running on the node has
    ended, so the state read is the installer's real outcome, not a moment inside it.
  - Reads only; never reports a change; runs in check mode.
  - Runs on the node's own Python (3.9 on Amazon Linux 2023 with its ansible-core 2.15, 3.11 on Debian 12).
options:
  home:
    description: Install directory of the manager.
    type: path
    default: /opt/dsm
  service:
    description: Service unit of the manager.
    type: str
    default: dsm_s
  installer_unit:
    description: Transient unit the manager role runs the installer in.
    type: str
    default: dsm-installer
  journal:
    description: Install journal the manager role writes before an installer run (JSON C(from), C(to), C(backup)).
    type: path
    default: /var/lib/dsm-ops/install.json
  backup_dir:
    description: Directory of the installation backups C(dsm-<version>.tar.gz).
    type: path
    default: /var/backups/dsm
  port:
    description: Console port the node's own health URLs answer on (HTTPS, 127.0.0.1).
    type: int
    default: 4119
  timeout:
    description: Seconds each HTTP probe may take.
    type: float
    default: 3
  wait_installer:
    description: Longest wait in seconds for a running installer unit to end before the state is read; 0 does not wait.
    type: int
    default: 0
"""

EXAMPLES = r"""
- name: Node's real state is read
  manager_node_state:
    wait_installer: 600
  register: node_state
"""

RETURN = r"""
state:
  description: What the node is.
  type: dict
  returned: always
  contains:
    condition:
      description: >-
        C(serving) (ping 200, files and running version agree), C(unhealthy) (the unit runs, the ping is not 200),
        C(stopped) (a consistent installation whose unit does not run), C(partial) (an install began and did not
        finish, or the running version and the files disagree), C(installing) (an installer still runs),
        C(absent) (no installation).
      type: str
    summary:
      description: >-
        One line for people, e.g. C(runs 20.0.913 (files 20.0.913), dsm_s active, ping 200 Online) or
        C(does not answer (files 20.0.877), dsm_s inactive, ping no answer, install 20.0.877 -> 20.0.913 begun and not finished).
      type: str
    version_file:
      description: Version in the installed C(version) file; empty when there is none.
      type: str
    running_version:
      description: Version the running manager reports; empty when it does not answer.
      type: str
    node_state:
      description: State the running manager reports (C(Online), C(Offline (Upgrade Required)), ...); empty without an answer.
      type: str
    ping:
      description: HTTP status of the node's own ping; -1 without an answer.
      type: int
    ping_detail:
      description: Body of a non-200 ping or the connection error.
      type: str
    journal:
      description: The install journal (C(from), C(to), C(backup), C(started)), or null when none is open.
      type: dict
    journal_stale:
      description: A journal is open but the installation it names finished (the run that wrote it stopped before clearing it).
      type: bool
    unit:
      description: The service unit - C(exists), C(active) (ActiveState), C(sub) (SubState), C(result), C(main_pid), C(restarts), C(enabled).
      type: dict
    installer_running:
      description: Whether the installer's transient unit is still active.
      type: bool
    backups:
      description: Versions with an installation backup, oldest first.
      type: list
      elements: str
    failed_copy:
      description: Path of the failed installation a rollback moved aside, empty when there is none.
      type: str
"""

import json
import os
import re
import ssl
import subprocess
import time
import urllib.error
import urllib.request

from ansible.module_utils.basic import AnsibleModule

UNIT_PROPERTIES = ("LoadState", "ActiveState", "SubState", "Result", "MainPID", "NRestarts", "UnitFileState")
BACKUP = re.compile(r"^dsm-([0-9][0-9.]*[0-9])\.tar\.gz$")


def read_text(path):
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read().strip()
    except FileNotFoundError:
        return ""


def read_journal(path):
    text = read_text(path)
    if not text:
        return None
    try:
        journal = json.loads(text)
    except ValueError:
        # A journal cut short by a crash still says an install began.
        return {"from": "", "to": "", "backup": "", "started": "", "unreadable": True}
    return journal if isinstance(journal, dict) else {"from": "", "to": "", "backup": "", "started": ""}


def unit_properties(name):
    """systemctl show of one unit as a dict; LoadState not-found when systemd does not know it."""
    out = subprocess.run(
        ["systemctl", "show", name, "--property=" + ",".join(UNIT_PROPERTIES)],
        capture_output=True, text=True, check=False,
    ).stdout
    props = dict(line.split("=", 1) for line in out.splitlines() if "=" in line)
    return {
        "exists": props.get("LoadState", "not-found") not in ("not-found", ""),
        "active": props.get("ActiveState", "inactive"),
        "sub": props.get("SubState", "dead"),
        "result": props.get("Result", ""),
        "main_pid": int(props.get("MainPID", "0") or 0),
        "restarts": int(props.get("NRestarts", "0") or 0),
        "enabled": props.get("UnitFileState", ""),
    }


def http_get(url, timeout):
    """(status, body) of a GET to the node's own self-signed endpoint; (-1, error) without an answer."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    try:
        with urllib.request.urlopen(url, timeout=timeout, context=context) as response:
            return response.status, response.read(4096).decode("utf-8", "replace")
    except urllib.error.HTTPError as err:
        return err.code, err.read(4096).decode("utf-8", "replace")
    except (OSError, ValueError) as err:
        return -1, str(getattr(err, "reason", err))


def backups(directory):
    try:
        names = os.listdir(directory)
    except FileNotFoundError:
        return []
    found = [m.group(1) for m in map(BACKUP.match, names) if m]
    return sorted(found, key=lambda v: [int(p) for p in v.split(".")])


def condition(version_file, journal, unit, installer_running, ping, running_version):
    """The one word a runbook decides on (see RETURN)."""
    if installer_running:
        return "installing"
    if journal is not None and (journal.get("to") in ("", None) or version_file != journal.get("to")):
        return "partial"
    if running_version and version_file and running_version != version_file:
        return "partial"
    if not version_file:
        # A first install cut short has a journal (above); files the role lays down before it are no install.
        return "absent"
    if unit["active"] != "active":
        return "stopped"
    return "serving" if ping == 200 else "unhealthy"


def summarise(state, service):
    files = state["version_file"] or "none"
    unit = state["unit"]
    text = "{0} (files {1}), {2} {3}".format(
        "runs " + state["running_version"] if state["running_version"] else "does not answer", files, service,
        unit["active"] if unit["exists"] else "not installed")
    if unit["active"] != "active" and unit["result"] not in ("", "success"):
        text += " ({0})".format(unit["result"])
    text += ", ping {0}".format(state["ping"] if state["ping"] != -1 else "no answer")
    if state["node_state"]:
        text += " " + state["node_state"]
    if state["journal"] is not None and not state["journal_stale"]:
        journal = state["journal"]
        text += ", install {0} -> {1} begun and not finished".format(journal.get("from") or "none", journal.get("to") or "?")
    if state["installer_running"]:
        text += ", installer still running"
    return text


def read_state(params):
    home, service = params["home"], params["service"]
    deadline = time.monotonic() + params["wait_installer"]
    installer = unit_properties(params["installer_unit"])
    while installer["active"] in ("active", "activating", "deactivating") and time.monotonic() < deadline:
        time.sleep(1)
        installer = unit_properties(params["installer_unit"])
    installer_running = installer["active"] in ("active", "activating", "deactivating")

    version_file = read_text(os.path.join(home, "version"))
    journal = read_journal(params["journal"])
    unit = unit_properties(service)
    base = "https://127.0.0.1:{0}/rest/status/manager".format(params["port"])
    ping, ping_body = http_get(base + "/current/ping", params["timeout"])
    running_version, node_state = "", ""
    if ping != -1:
        status, body = http_get(base + "/version", params["timeout"])
        if status == 200:
            try:
                answer = json.loads(body)
                running_version, node_state = str(answer.get("version") or ""), str(answer.get("state") or "")
            except ValueError:
                pass
    failed_home = home.rstrip("/") + ".failed"
    state = {
        "version_file": version_file,
        "running_version": running_version,
        "node_state": node_state,
        "ping": ping,
        "ping_detail": "" if ping == 200 else ping_body.strip()[:500],
        "journal": journal,
        "journal_stale": journal is not None and bool(journal.get("to")) and version_file == journal.get("to"),
        "unit": unit,
        "installer_running": installer_running,
        "backups": backups(params["backup_dir"]),
        "failed_copy": failed_home if os.path.isdir(failed_home) else "",
    }
    state["condition"] = condition(version_file, journal, unit, installer_running, ping, running_version)
    state["summary"] = summarise(state, service)
    return state


def main():
    module = AnsibleModule(
        argument_spec=dict(
            home=dict(type="path", default="/opt/dsm"),
            service=dict(type="str", default="dsm_s"),
            installer_unit=dict(type="str", default="dsm-installer"),
            journal=dict(type="path", default="/var/lib/dsm-ops/install.json"),
            backup_dir=dict(type="path", default="/var/backups/dsm"),
            port=dict(type="int", default=4119),
            timeout=dict(type="float", default=3),
            wait_installer=dict(type="int", default=0),
        ),
        supports_check_mode=True,
    )
    module.exit_json(changed=False, state=read_state(module.params))


if __name__ == "__main__":
    main()
