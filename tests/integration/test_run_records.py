"""Run records people can browse: with $OPS_RUN_RECORDS=ara every run is recorded in ARA's API server
(lab/ara_server.py: SQLite, or PostgreSQL by ARA's own settings), the audit log's records link to the run
that wrote them, and ARA's web interface lists the runbook's runs with their status, in a real headless
browser. Without the switch nothing is recorded.

The runs are the runbook's own playbooks against the lab inventory: change_window.yml inside its window
(completed), site.yml refused by a closed window, rolling_upgrade.yml refused for a misspelt variable
(both failed, as an operator would meet them at 03:00)."""

from __future__ import annotations

import contextlib
import json
import re
import shutil
import subprocess
import sys
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from lab import ara_server
from lab.harness.ansible_run import REPO, run_playbook
from lab.harness.containers import Lab, psql, run_postgres
from lab.harness.ports import free_port

LAB = ["-i", "inventories/lab"]
ARA = [sys.executable, str(REPO / "lab" / "ara_server.py")]
OPEN_NOW = [{"name": "always-open", "type": "DEFAULT_OPEN", "timezone": "Etc/UTC", "events": []}]
CLOSED_NOW = [{"name": "closed-for-the-test", "type": "DEFAULT_CLOSED", "timezone": "Etc/UTC", "events": []}]


def api(server: str, path: str) -> dict:
    with urllib.request.urlopen(f"{server}/api/v1/{path}", timeout=10) as answer:
        return json.loads(answer.read())


@contextlib.contextmanager
def ara_of_its_own(prerequisites: dict, state_dir: Path, database: dict | None = None):
    """An ARA server on a free port, its settings in state_dir and its records in SQLite there, or in the database
    ARA's own settings name (ARA_DATABASE_*): its address, and the environment of a recorded run."""
    port = free_port()
    env = {"LAB_STATE_DIR": str(state_dir), "LAB_ARA_PORT": str(port)}
    subprocess.run([*ARA, "start"], env={**prerequisites, **env, **(database or {})}, check=True, capture_output=True,
                   timeout=120)
    try:
        yield ara_server.url(port), {**prerequisites, **ara_server.recording_env(port)}
    finally:
        subprocess.run([*ARA, "stop"], env={**prerequisites, **env}, check=True, capture_output=True, timeout=60)


@pytest.fixture(scope="module")
def ara(prerequisites, tmp_path_factory):
    """The server the runbook's runs are recorded on in this module."""
    with ara_of_its_own(prerequisites, tmp_path_factory.mktemp("lab")) as server:
        yield server


@pytest.fixture(scope="module")
def recorded(ara, tmp_path_factory):
    """The three runs, recorded; the audit log the first one wrote."""
    server, env = ara
    log = tmp_path_factory.mktemp("audit") / "change-window.jsonl"
    asked = run_playbook("playbooks/change_window.yml", *LAB, "-e", json.dumps(
        {"change_window_calendars": OPEN_NOW, "change_window_audit_log": str(log)}), env=env)
    site = run_playbook("playbooks/site.yml", *LAB, "-e", json.dumps(
        {"change_window_calendars": CLOSED_NOW, "change_window_audit_log": str(log)}), env=env, check=False)
    upgrade = run_playbook("playbooks/rolling_upgrade.yml", *LAB, "-e", "manager_verison=20.0.913", env=env, check=False)
    assert site.returncode != 0 and "closed-for-the-test" in site.stdout, site.stdout[-3000:]
    assert upgrade.returncode != 0 and "manager_verison" in upgrade.stdout, upgrade.stdout[-3000:]
    assert asked.returncode == 0, asked.stdout[-3000:]
    return server, [json.loads(line) for line in log.read_text().splitlines()]


def test_every_run_is_recorded_with_its_status(recorded):
    server, _ = recorded
    runs = {p["path"].rsplit("/", 1)[-1]: p["status"] for p in api(server, "playbooks?order=-started")["results"]}
    assert runs == {"change_window.yml": "completed", "site.yml": "failed", "rolling_upgrade.yml": "failed"}, runs


def test_the_audit_log_links_each_record_to_its_run(recorded):
    server, records = recorded
    by_playbook = {}
    for record in records:
        by_playbook.setdefault(record["playbook"].rsplit("/", 1)[-1], set()).add(record["run_record"])
    runs = {p["path"].rsplit("/", 1)[-1]: p["id"] for p in api(server, "playbooks")["results"]}
    for playbook in ("change_window.yml", "site.yml"):
        assert by_playbook[playbook] == {f"{server}/playbooks/{runs[playbook]}.html"}, by_playbook
        with urllib.request.urlopen(f"{server}/playbooks/{runs[playbook]}.html", timeout=10) as page:
            assert playbook in page.read().decode()


def test_without_the_switch_nothing_is_recorded(ara, tmp_path):
    server, env = ara
    before = api(server, "playbooks")["count"]
    log = tmp_path / "audit.jsonl"
    run_playbook("playbooks/change_window.yml", *LAB, "-e", json.dumps(
        {"change_window_calendars": OPEN_NOW, "change_window_audit_log": str(log)}), env={**env, "OPS_RUN_RECORDS": ""})
    assert api(server, "playbooks")["count"] == before
    assert [json.loads(line)["run_record"] for line in log.read_text().splitlines()] == [None]


def test_the_web_interface_lists_the_runbooks_runs_in_a_real_browser(recorded, tmp_path):
    server, _ = recorded
    browser = shutil.which("chromium")
    assert browser, "Debian's chromium is missing: make test installs it (Makefile target browser)"
    flags = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
             f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1280,900"]
    shot = tmp_path / "ara-runs.png"
    subprocess.run([*flags, f"--screenshot={shot}", f"{server}/"], check=True, capture_output=True, timeout=120)
    assert shot.stat().st_size > 10_000
    dom = subprocess.run([*flags, "--dump-dom", f"{server}/"], check=True, capture_output=True, text=True,
                         timeout=120).stdout
    # One row per run: its status badge (a link to the runs of that status), then its path.
    listed = {}
    for row in dom.split('<td class="short-status-column">')[1:]:
        status = re.search(r'href="/\?status=(\w+)"', row).group(1)
        path = re.search(r'href="/\?path=([^"]+)"', row).group(1)
        listed[path.rsplit("/", 1)[-1]] = status
    assert listed == {"change_window.yml": "completed", "site.yml": "failed", "rolling_upgrade.yml": "failed"}, listed


def test_runs_recorded_at_the_same_time_are_all_recorded(prerequisites, tmp_path):
    """Scheduled jobs start together and ARA's callback writes from threads: SQLite must take every write, not answer
    500 ("database is locked"), or a run goes unrecorded and its audit records lose their link. On a server of its
    own: the other tests count the runs on theirs."""
    with ara_of_its_own(prerequisites, tmp_path) as (server, _):
        answers = record_concurrently(server)
    assert (answers.count(201), answers.count(200)) == (80, 80), sorted(set(answers))


def test_runs_can_be_recorded_in_postgresql(prerequisites, tmp_path):
    """ARA's PostgreSQL option, on a PostgreSQL 15 server made from the lab's database image: the run is in the
    database's own tables, no SQLite file is made, and the database password is only in ARA's settings file,
    which only its owner reads."""
    password = "ara-Records-1f9c"
    with Lab("ara") as lab:
        db = run_postgres(lab, "ara-db", database="ara", user="ara", password=password)
        database = {"ARA_DATABASE_ENGINE": "django.db.backends.postgresql", "ARA_DATABASE_NAME": "ara",
                    "ARA_DATABASE_USER": "ara", "ARA_DATABASE_PASSWORD": password,
                    "ARA_DATABASE_HOST": lab.ip(db), "ARA_DATABASE_PORT": "5432"}
        with ara_of_its_own(prerequisites, tmp_path, database) as (server, env):
            log = tmp_path / "audit.jsonl"
            run_playbook("playbooks/change_window.yml", *LAB, "-e", json.dumps(
                {"change_window_calendars": OPEN_NOW, "change_window_audit_log": str(log)}), env=env)
            listed = [(p["path"].rsplit("/", 1)[-1], p["status"]) for p in api(server, "playbooks")["results"]]
        stored = psql(lab, db, "SELECT path, status FROM playbooks", database="ara").split()
    assert listed == [("change_window.yml", "completed")], listed
    assert [row.rsplit("/", 1)[-1] for row in stored] == ["change_window.yml|completed"], stored
    state = tmp_path / "ara"
    assert not list(state.glob("*.sqlite")), sorted(state.iterdir())
    assert password not in (state / "server.log").read_text()
    assert (state / "settings.yaml").stat().st_mode & 0o077 == 0


def record_concurrently(server: str) -> list[int]:
    """8 clients, each starting ten runs as ARA's callback does (the playbook created, then its labels set): the
    answers' HTTP statuses."""

    def call(method: str, path: str, body: dict) -> tuple[int, dict]:
        request = urllib.request.Request(f"{server}/api/v1/{path}", data=json.dumps(body).encode(), method=method,
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=60) as answer:
                return answer.status, json.loads(answer.read())
        except urllib.error.HTTPError as error:
            return error.code, {}

    def record(client: int) -> list[int]:
        answers = []
        for run in range(10):
            status, created = call("POST", "playbooks", {
                "path": f"/concurrent/{client}-{run}.yml", "ansible_version": "2.19", "status": "running",
                "controller": "test", "user": "test", "client_version": "1", "python_version": "3",
                "server_version": "1", "labels": ["concurrent"]})
            answers.append(status)
            if "id" in created:
                answers.append(call("PATCH", f"playbooks/{created['id']}", {"labels": ["concurrent", f"run-{run}"]})[0])
        return answers

    with ThreadPoolExecutor(8) as pool:
        return [code for client in pool.map(record, range(8)) for code in client]
