"""The stand-in manager (lab/manager) against a real PostgreSQL, in lab containers.

The tests share one small cluster (a database and two nodes) and build on each other in file
order, the way an operator's day goes: refuse bad input, install, join, upgrade, survive the
database going away. Run with -x: a later test assumes the earlier ones passed.
"""

from __future__ import annotations

import json
import secrets
import subprocess
import time
from dataclasses import dataclass
from types import SimpleNamespace

import pytest

from lab.harness.containers import Lab, psql, run_postgres, wait_until

PING = "/rest/status/manager/current/ping"
LB_PING = "/rest/status/manager/ping"
DB_ALIAS = "dsm-db"  # the name the nodes use for the database (a docker network alias)
LOCK_KEY = 0x44534D  # Database.INSTALL_LOCK_KEY in lab/manager/src/dsm/Database.java
DB_PASSWORD = "Db-" + secrets.token_hex(8)
ADMIN_PASSWORD = "Adm-" + secrets.token_hex(8)
MIGRATION = {"DSM_SCHEMA_MIGRATION_SECONDS": "3"}


def varfile(ip: str, new_node: bool, overrides: dict[str, str | None]) -> str:
    keys = {
        "LicenseScreen.License.-1": "AP-LAB0-0000-0000-0000",
        "CredentialsScreen.Administrator.Username": "masteradmin",
        "CredentialsScreen.Administrator.Password": ADMIN_PASSWORD,
        "DatabaseScreen.DatabaseType": "PostgreSQL",
        "DatabaseScreen.Hostname": f"{DB_ALIAS}:5432",
        "DatabaseScreen.DatabaseName": "dsm",
        "DatabaseScreen.Transport": "TCP",
        "DatabaseScreen.Username": "dsm",
        "DatabaseScreen.Password": DB_PASSWORD,
        "AddressAndPortsScreen.ManagerPort": "4119",
        "AddressAndPortsScreen.HeartbeatPort": "4120",
        "AddressAndPortsScreen.ManagerAddress": ip,
        "AddressAndPortsScreen.NewNode": "True" if new_node else "False",
        "UpgradeVerificationScreen.Overwrite": "False",
        "RelayScreen.Install": "True",
        "Override.Automation": "True",
    }
    keys.update(overrides)
    return "".join(f"{k}={v}\n" for k, v in keys.items() if v is not None)


@dataclass
class Node:
    lab: Lab
    container: str
    name: str
    ip: str

    def _command(
        self, version: str, new_node: bool, overrides: dict[str, str | None] | None
    ) -> list[str]:
        self.lab.write_file(
            self.container,
            "/root/dsm.varfile",
            varfile(self.ip, new_node, overrides or {}),
            "0600",
        )
        return [
            f"/root/Manager-Linux-{version}.x64.sh",
            "-q",
            "-console",
            "-varfile",
            "/root/dsm.varfile",
        ]

    def install(
        self,
        version: str,
        new_node: bool = False,
        overrides: dict[str, str | None] | None = None,
        env: dict[str, str] | None = None,
    ) -> subprocess.CompletedProcess:
        return self.lab.exec(
            self.container,
            self._command(version, new_node, overrides),
            check=False,
            env=env or MIGRATION,
            timeout=180,
        )

    def start_install(
        self, version: str, new_node: bool = False, env: dict[str, str] | None = None
    ) -> subprocess.Popen:
        return self.lab.popen(
            self.container, self._command(version, new_node, None), env=env or MIGRATION
        )

    def sh(self, cmd: str, check: bool = True) -> str:
        return self.lab.exec(self.container, cmd, check=check).stdout

    def http(
        self, path: str, port: int = 4119, host: str = "127.0.0.1"
    ) -> tuple[int, str]:
        p = self.lab.exec(
            self.container,
            [
                "curl",
                "-sk",
                "-m",
                "5",
                "-w",
                "\n%{http_code}",
                f"https://{host}:{port}{path}",
            ],
            check=False,
        )
        body, _, code = p.stdout.rpartition("\n")
        return int(code or 0), body

    def wait_ping(self, code: int, timeout: float = 60, contains: str = "") -> str:
        def ok():
            got, body = self.http(PING)
            return (body or "(empty)") if got == code and contains in body else None

        return wait_until(
            ok, timeout, f"{self.name}: {PING} to answer {code} {contains}".strip()
        )

    def version(self) -> dict:
        code, body = self.http("/rest/status/manager/version")
        assert code == 200, body
        return json.loads(body)

    def main_pid(self) -> str:
        return self.sh("systemctl show -p MainPID --value dsm_s").strip()

    def leftovers(self) -> list[str]:
        """Whatever an install leaves behind; empty when nothing was installed."""
        out = self.sh(
            "ls -d /opt/dsm /etc/systemd/system/dsm_s.service 2>/dev/null", check=False
        )
        return out.split()


def journal_showing(node: Node, needle: str, unit: str | None = "dsm_s") -> str:
    """The node's journal (of `unit`, or all) once it contains needle (journald may lag stdout a little)."""
    cmd = "journalctl --no-pager -o cat" + (f" -u {unit}" if unit else "")
    return wait_until(
        lambda: (lambda j: j if needle in j else None)(node.sh(cmd)),
        10,
        f"{node.name}'s journal to show {needle!r}",
    )


def assert_refused(r: subprocess.CompletedProcess, code: int, *needles: str) -> None:
    assert (
        r.returncode == code
    ), f"exit {r.returncode}, wanted {code}\n{r.stdout}{r.stderr}"
    for n in needles:
        assert n in r.stderr, f"{n!r} not in the error:\n{r.stderr}"
    assert_no_secret(r.stdout + r.stderr, "installer output")


def assert_no_secret(text: str, where: str, *more: str) -> None:
    for s in (DB_PASSWORD, ADMIN_PASSWORD, *more):
        assert s not in text, f"a secret appears in {where}"


@pytest.fixture(scope="module")
def c(lab, images, installers):
    """The cluster: database `db` (also known as dsm-db), nodes node1 and node2 with the installers copied in."""
    db = run_postgres(
        lab,
        "db",
        database="dsm",
        user="dsm",
        password=DB_PASSWORD,
        aliases=[DB_ALIAS],
        image_tag=images["postgres"],
    )
    nodes = []
    for name in ("node1", "node2"):
        container = lab.run(name, images["jre"])
        for path in installers.values():
            lab.copy_in(container, path, "/root/")
        nodes.append(Node(lab, container, name, lab.ip(container)))

    def sql(query: str, container: str = db) -> str:
        return psql(lab, container, query, database="dsm")

    return SimpleNamespace(
        lab=lab,
        db=db,
        node1=nodes[0],
        node2=nodes[1],
        sql=sql,
        images=images,
        installers=installers,
    )


def test_bad_response_files_fail_naming_the_key_and_install_nothing(c):
    n = c.node1
    r = n.install("20.0.877", overrides={"DatabaseScreen.Password": None})
    assert_refused(r, 2, "DatabaseScreen.Password is missing", "nothing was changed")
    r = n.install(
        "20.0.877",
        overrides={
            "AddressAndPortsScreen.ManagerPort": "70000",
            "AddressAndPortsScreen.NewNode": "maybe",
        },
    )
    assert_refused(
        r,
        2,
        "AddressAndPortsScreen.ManagerPort=70000 is not a TCP port",
        "AddressAndPortsScreen.NewNode=maybe is not a boolean",
    )
    r = n.install("20.0.877", overrides={"DatabaseScreen.DatabaseType": "Oracle"})
    assert_refused(
        r, 2, "DatabaseScreen.DatabaseType=Oracle", "supports only PostgreSQL"
    )
    r = n.install("20.0.877", overrides={"DatabaseScreen.Hostname": "dsm-db:notaport"})
    assert_refused(r, 2, "DatabaseScreen.Hostname=dsm-db:notaport has a bad port")

    r = n.lab.exec(
        n.container,
        ["/root/Manager-Linux-20.0.877.x64.sh", "-q", "-console", "-varfile", "/nope"],
        check=False,
    )
    assert_refused(r, 2, "cannot read response file '/nope'")
    r = n.lab.exec(
        n.container,
        [
            "/root/Manager-Linux-20.0.877.x64.sh",
            "-q",
            "-console",
            "-varfile",
            "/root/dsm.varfile",
            "-dir",
            "/srv",
        ],
        check=False,
    )
    assert_refused(r, 2, "unknown option '-dir'")

    assert n.leftovers() == []
    assert c.sql("SELECT to_regclass('dsm_schema') IS NULL") == "t"


def test_extra_node_cannot_join_an_empty_database(c):
    r = c.node2.install("20.0.877", new_node=True)
    assert_refused(
        r, 3, "AddressAndPortsScreen.NewNode=true", "no manager installation yet"
    )
    assert c.node2.leftovers() == []


def test_first_node_install(c):
    n = c.node1
    r = n.install("20.0.877")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "created schema 20" in r.stdout
    assert n.wait_ping(200, timeout=60).startswith("OK")
    assert n.http(LB_PING)[0] == 200
    v = n.version()
    assert v == {
        **v,
        "node": "node1",
        "version": "20.0.877",
        "schemaVersion": 20,
        "databaseSchemaVersion": 20,
        "state": "Online",
    }

    assert n.sh("stat -c '%a %U' /opt/dsm/dsm.properties /opt/dsm/dsm.keystore").split(
        "\n"
    )[:2] == ["600 root", "600 root"]
    props = n.sh("cat /opt/dsm/dsm.properties")
    assert f"database.password={DB_PASSWORD}" in props
    keystore_password = props.split("keystore.password=")[1].split("\n")[0]
    assert n.sh("cat /opt/dsm/version").strip() == "20.0.877"
    vmoptions = n.sh("cat /opt/dsm/dsm_s.vmoptions")
    for flag in (
        "-Xmx512m",
        "-Dsun.net.inetaddr.ttl=10",
        "-Dsun.net.inetaddr.negative.ttl=0",
    ):
        assert flag in vmoptions.split("\n")
    unit = n.sh("systemctl cat dsm_s")
    assert (
        "Type=simple" in unit
        and "Restart=on-failure" in unit
        and "@/opt/dsm/dsm_s.vmoptions" in unit
    )
    assert n.sh("systemctl is-enabled dsm_s").strip() == "enabled"

    # Secrets stay off command lines and out of the logs.
    assert_no_secret(r.stdout + r.stderr, "installer output", keystore_password)
    assert_no_secret(n.sh("ps -eo args"), "ps output", keystore_password)
    journal = journal_showing(n, "-> Online", unit=None)
    assert "dsm_s: state Offline (Starting) -> Online" in journal
    assert_no_secret(journal, "the journal", keystore_password)

    # The other ports: TLS heartbeat answers a line, the relay answers 200; reachable over the network.
    line = c.node2.sh(
        """python3 -c '
import socket, ssl
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
with ctx.wrap_socket(socket.create_connection(("node1", 4120), 5)) as s: print(s.recv(200).decode().strip())'"""
    )
    assert line.strip() == "OK node1 20.0.877"
    assert c.node2.http("/", port=4122, host="node1") == (200, "relay node1 20.0.877\n")
    code, body = c.node2.http("/", host="node1")
    assert code == 200 and "node1" in body
    assert c.node2.http(PING, host="node1")[0] == 200


def test_fresh_node_without_new_node_is_refused(c):
    r = c.node2.install("20.0.877")
    assert_refused(
        r,
        3,
        "already holds a manager installation",
        "set AddressAndPortsScreen.NewNode=true",
    )
    assert c.node2.leftovers() == []


def test_second_node_joins(c):
    r = c.node2.install("20.0.877", new_node=True)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "schema 20 matches: no migration" in r.stdout
    c.node2.wait_ping(200)
    wait_until(
        lambda: c.sql(
            "SELECT string_agg(name || ' ' || version || ' ' || state, ', ' ORDER BY name)"
            " FROM dsm_nodes"
        )
        == "node1 20.0.877 Online, node2 20.0.877 Online",
        20,
        "both nodes Online in dsm_nodes",
    )


def test_second_install_while_one_holds_the_lock_fails_at_once(c):
    n = c.node2
    pid = n.main_pid()
    # Another installer's session: hold the install lock from psql in the database container.
    holder = c.lab.popen(
        c.db,
        [
            "runuser",
            "-u",
            "postgres",
            "--",
            "psql",
            "-X",
            "-d",
            "dsm",
            "-c",
            f"SELECT pg_advisory_lock({LOCK_KEY})",
            "-c",
            "SELECT pg_sleep(300)",
        ],
        env={"PGAPPNAME": "test-lock-holder"},
    )
    try:
        wait_until(
            lambda: c.sql(
                f"SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = {LOCK_KEY}"
                " AND granted"
            )
            == "1",
            20,
            "the test's psql to hold the install lock",
        )
        started = time.monotonic()
        r = n.install("20.0.877", new_node=True)
        assert time.monotonic() - started < 20
        assert_refused(
            r,
            3,
            "another manager installation is in progress against database 'dsm'",
            "installs must run one at a time",
        )
    finally:
        c.sql(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'test-lock-holder'"
        )
        holder.kill()
        holder.wait()
    assert n.main_pid() == pid, "the refused install restarted the service"
    assert n.http(PING)[0] == 200


def test_patch_upgrade_keeps_schema_keystore_and_heap_and_other_nodes_stay_online(c):
    n = c.node1
    n.sh(
        "sed -i 's/^-Xmx.*/-Xmx600m/' /opt/dsm/dsm_s.vmoptions"
    )  # as the Ansible role will manage it
    keystore = n.sh("sha256sum /opt/dsm/dsm.keystore")
    migrated_at = c.sql("SELECT migrated_at FROM dsm_schema")

    proc = n.start_install("20.0.913")
    other_node = []
    while proc.poll() is None:
        other_node.append(c.node2.http(PING)[0])
        time.sleep(0.3)
    out, err = proc.communicate()
    assert proc.returncode == 0, out + err
    assert "no migration" in out
    assert other_node and set(other_node) == {
        200
    }, f"node2 answered {other_node} during node1's upgrade"

    n.wait_ping(200)
    assert n.version()["version"] == "20.0.913"
    assert (
        c.sql(
            "SELECT version || ' ' || manager_version || ' ' || migrated_at FROM dsm_schema"
        )
        == f"20 20.0.877 {migrated_at}"
    )
    assert n.sh("sha256sum /opt/dsm/dsm.keystore") == keystore
    assert "-Xmx600m" in n.sh("cat /opt/dsm/dsm_s.vmoptions").split("\n")
    assert n.sh("stat -c %a /opt/dsm/dsm.properties").strip() == "600"
    assert c.node2.http(PING)[0] == 200


def test_major_upgrade_migrates_and_the_older_node_needs_its_upgrade(c):
    n1, n2 = c.node1, c.node2
    # Race a second installer against the first one's migration: the lock turns it away.
    proc = n1.start_install("21.0.211", env={"DSM_SCHEMA_MIGRATION_SECONDS": "8"})
    try:
        wait_until(
            lambda: c.sql(
                f"SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a USING (pid) WHERE"
                f" l.locktype = 'advisory' AND l.objid = {LOCK_KEY} AND l.granted"
                " AND a.application_name = 'dsm-install:node1'"
            )
            == "1",
            30,
            "node1's installer to take the install lock",
        )
        assert_no_secret(n1.sh("ps -eo args"), "ps output during an install")
        r = n2.install("21.0.211")
        assert_refused(
            r, 3, "another manager installation is in progress", "dsm-install:node1"
        )
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, out + err
    assert "migrating database schema 20 -> 21" in out
    assert (
        c.sql(
            "SELECT version || ' ' || manager_version || ' ' || migrated_by FROM dsm_schema"
        )
        == "21 21.0.211 node1"
    )

    n1.wait_ping(200)
    assert n1.version()["schemaVersion"] == 21
    body = n2.wait_ping(503, timeout=20, contains="Offline (Upgrade Required)")
    assert "upgrade this node to 21.0.211" in body
    assert n2.http(LB_PING)[0] == 503
    v2 = n2.version()
    assert (v2["version"], v2["schemaVersion"], v2["databaseSchemaVersion"]) == (
        "20.0.877",
        20,
        21,
    )
    wait_until(
        lambda: c.sql("SELECT state FROM dsm_nodes WHERE name = 'node2'")
        == "Offline (Upgrade Required)",
        20,
        "node2's row to say Offline (Upgrade Required)",
    )

    r = n2.install("21.0.211")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "no migration" in r.stdout
    n2.wait_ping(200)
    assert n2.version()["version"] == "21.0.211"


def test_downgrade_is_refused(c, images, installers):
    n = c.node1
    pid = n.main_pid()
    r = n.install("20.0.913")
    assert_refused(r, 3, "refusing to downgrade", "runs manager 21.0.211")
    assert n.sh("cat /opt/dsm/version").strip() == "21.0.211"
    assert n.main_pid() == pid
    assert n.http(PING)[0] == 200

    # A new host with an older installer must not join a database of a newer schema either.
    container = c.lab.run("node3", images["jre"])
    c.lab.copy_in(container, installers["20.0.913"], "/root/")
    node3 = Node(c.lab, container, "node3", c.lab.ip(container))
    r = node3.install("20.0.913", new_node=True)
    assert_refused(
        r,
        3,
        "refusing to downgrade",
        "is at schema 21",
        "Use installer 21.0.211 or newer",
    )
    assert node3.leftovers() == []
    assert c.sql("SELECT count(*) FROM dsm_nodes WHERE name = 'node3'") == "0"


def test_nodes_come_back_after_the_database_restarts(c):
    c.lab.exec(c.db, "systemctl stop postgresql@15-main")
    try:
        for n in (c.node1, c.node2):
            n.wait_ping(503, timeout=30, contains="Offline (Database Unreachable)")
    finally:
        c.lab.exec(c.db, "systemctl start postgresql@15-main")
    for n in (c.node1, c.node2):
        n.wait_ping(200, timeout=40)
    journal = journal_showing(c.node1, "Offline (Database Unreachable) -> Online")
    assert "Online -> Offline (Database Unreachable)" in journal
    assert_no_secret(journal, "the journal")


def test_node_follows_the_database_name_to_another_address(c):
    lab, n = c.lab, c.node1
    # A second server with the same data stands in for the standby that a failover promotes.
    db2 = run_postgres(
        lab,
        "db2",
        database="dsm",
        user="dsm",
        password=DB_PASSWORD,
        image_tag=c.images["postgres"],
    )
    dump = lab.exec(
        c.db, ["runuser", "-u", "postgres", "--", "pg_dump", "-d", "dsm"]
    ).stdout
    psql(lab, db2, dump, database="dsm")
    connected = (
        "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'dsm_s:node1'"
    )

    # Move the name (node1's resolver only) while the old server still answers.
    moved = time.monotonic()
    n.sh(f"echo '{lab.ip(db2)} {DB_ALIAS}' >> /etc/hosts")
    wait_until(
        lambda: c.sql(connected, db2) == "1",
        40,
        "node1 to connect to dsm-db's new address",
    )
    assert time.monotonic() - moved < 30
    n.wait_ping(200, timeout=10)
    wait_until(
        lambda: c.sql(
            "SELECT state FROM dsm_nodes WHERE name = 'node1' AND last_seen > now() - interval '5 s'",
            db2,
        )
        == "Online",
        15,
        "node1 to report Online into the new server",
    )
    assert c.sql(connected) == "0"
    journal_showing(n, "dsm_s: database host dsm-db now resolves to")

    # The new address dies: the node says so; the name moves back: the node follows.
    lab.stop(db2, timeout=2)
    n.wait_ping(503, timeout=30, contains="Offline (Database Unreachable)")
    n.sh(
        f"grep -v ' {DB_ALIAS}$' /etc/hosts > /tmp/hosts && cat /tmp/hosts > /etc/hosts"
    )
    n.wait_ping(200, timeout=40)
    assert c.sql(connected) == "1"
    assert c.node2.http(PING)[0] == 200
