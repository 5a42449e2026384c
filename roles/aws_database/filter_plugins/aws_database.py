# -*- coding: utf-8 -*-
"""What each database engine needs on Amazon RDS and from the manager, in one place."""

from __future__ import annotations

DOCUMENTATION = r"""
name: aws_database_engine
short_description: The facts of one RDS engine the estate supports (port, TLS, database name, parameter family)
description:
  - Returns, for C(postgres), C(sqlserver-se) or C(oracle-se2), everything the roles and the manager need to know
    about the engine. This table is the only place that knows it; the other filters of this file read it.
  - "C(port): where the engine listens; C(client_port): the port the manager connects to and the database security
    group admits (Oracle: the SSL option's port, plain 1521 stays closed)."
  - "C(rds_db_name): what RDS's DBName means for the engine - PostgreSQL creates that database, Oracle takes it
    as the SID, SQL Server refuses any value (None)."
  - "C(database_name): C(DatabaseScreen.DatabaseName) for the installer (Oracle: the SID)."
  - "C(database_type): C(DatabaseScreen.DatabaseType) for the installer."
  - "C(tls): how RDS is made to refuse clear-text connections - a parameter (C(rds.force_ssl)) or the Oracle SSL
    option (the group then admits only the SSL port)."
other filters:
  - C(aws_database_ports(servers)) - sorted client ports of the declared servers (the database security group).
  - C(aws_database_parameter_family(engine, version)) - the DB parameter group family, e.g. postgres16.
  - C(aws_database_version_problems(servers, instances)) - servers whose running version is newer than the pinned one.
  - C(aws_database_window_problems(calendars, maintenance, backup)) - RDS windows that are not inside an open
    period of every change calendar over the next year.
  - C(aws_database_prepare_statements(engine, login, database, multi_tenant)) - the SQL the vendor documents to
    prepare the manager's database and login, the password as the placeholder C(:password).
  - C(aws_database_server_problems(servers, estate_name)) - every problem of the declared servers (defaults
    applied), one message each naming C(aws_database_servers[i].<field>) and the fix; empty when all are valid.
  - C(aws_database_tenant_problems(tenants, placements)) - tenants that are malformed or disagree with their
    recorded placement; empty when none.
  - C(aws_database_tenant_input(tenants, placements)) - the tenants as C(tenant_db_placement) takes them, recorded
    placements included.
  - C(aws_database_wait_statuses(results, estate_name)) - C(<identifier> <status>) of each server of a wait for
    availability that gave up, from the loop's results.
positional: _input
options:
  _input:
    description: The RDS engine name.
    type: str
    required: true
"""

EXAMPLES = r"""
- name: The security group admits the engines' client ports
  ansible.builtin.debug:
    msg: "{{ aws_database_servers | aws_database_ports }}"   # [1433, 5432]

- name: Parameter group family of a pinned version
  ansible.builtin.debug:
    msg: "{{ 'postgres' | aws_database_parameter_family('16.4') }}"   # postgres16
"""

RETURN = r"""
_value:
  description: The engine's facts.
  type: dict
  contains:
    port: {description: The engine's listener port., type: int}
    client_port: {description: The port clients use and the security group admits., type: int}
    license_model: {description: RDS license model., type: str}
    rds_db_name: {description: RDS DBName, or None where RDS refuses one., type: str}
    database_name: {description: The installer's DatabaseScreen.DatabaseName., type: str}
    database_type: {description: The installer's DatabaseScreen.DatabaseType., type: str}
    tls: {description: How TLS is required, C(parameter) or C(option)., type: str}
"""

import datetime as dt
import importlib.util
import json
import re
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ansible.errors import AnsibleFilterError

# Amazon RDS User Guide (engine pages: "Using SSL/TLS", "Working with parameter groups", Oracle "Secure Sockets
# Layer" option) and the vendor's database preparation pages for Deep Security Manager 20.
ENGINES: dict[str, dict[str, Any]] = {
    "postgres": {
        "port": 5432,
        "client_port": 5432,
        "license_model": "postgresql-license",
        # RDS creates this database (owned by the master user; the preparation hands it to the manager's login).
        "rds_db_name": "dsm",
        "database_name": "dsm",
        "database_type": "PostgreSQL",
        "tls": "parameter",
        "tls_parameters": {"rds.force_ssl": "1"},
    },
    "sqlserver-se": {
        "port": 1433,
        "client_port": 1433,
        "license_model": "license-included",
        # RDS for SQL Server refuses DBName: the preparation creates the database.
        "rds_db_name": None,
        "database_name": "dsm",
        "database_type": "Microsoft SQL Server",
        "tls": "parameter",
        # Static for SQL Server: applied at the next reboot (at creation, the first boot).
        "tls_parameters": {"rds.force_ssl": "1"},
    },
    "oracle-se2": {
        "port": 1521,
        # The SSL option's listener; the database group admits only this one, so TLS is the only way in.
        "client_port": 2484,
        "license_model": "license-included",
        # The SID (8 characters at most); the manager's schema is its login.
        "rds_db_name": "DSM",
        "database_name": "DSM",
        "database_type": "Oracle",
        "tls": "option",
        "tls_option": {
            "option_name": "SSL",
            "port": 2484,
            "option_settings": [
                {"name": "SQLNET.SSL_VERSION", "value": "1.2"},
                {"name": "SQLNET.CIPHER_SUITE", "value": "SSL_RSA_WITH_AES_256_GCM_SHA384"},
            ],
        },
    },
}

# Versions as RDS writes them: postgres 16.4, sqlserver 15.00.4415.2.v1, oracle 19.0.0.0.ru-2024-07.rur-2024-07.r1.
_VERSION_PATTERNS = {
    "postgres": re.compile(r"^(?P<major>1[0-9]|[2-9][0-9])\.(?P<minor>[0-9]+)$"),
    "sqlserver-se": re.compile(r"^(?P<major>1[3-9]|[2-9][0-9])\.00\.(?P<minor>[0-9]+)\.[0-9]+\.v[0-9]+$"),
    "oracle-se2": re.compile(r"^(?P<major>19)\.0\.0\.0\.ru-(?P<minor>[0-9]{4}-[0-9]{2})\.rur-[0-9]{4}-[0-9]{2}\.r[0-9]+$"),
}
_VERSION_EXAMPLES = {"postgres": "16.4", "sqlserver-se": "15.00.4415.2.v1",
                     "oracle-se2": "19.0.0.0.ru-2024-07.rur-2024-07.r1"}

_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_MAINTENANCE = re.compile(r"^(mon|tue|wed|thu|fri|sat|sun):([01][0-9]|2[0-3]):([0-5][0-9])-"
                          r"(mon|tue|wed|thu|fri|sat|sun):([01][0-9]|2[0-3]):([0-5][0-9])$")
_BACKUP = re.compile(r"^([01][0-9]|2[0-3]):([0-5][0-9])-([01][0-9]|2[0-3]):([0-5][0-9])$")
_MINIMUM_WINDOW = dt.timedelta(minutes=30)


def aws_database_engine(engine: Any) -> dict[str, Any]:
    """The facts of ``engine``; fails naming the supported engines."""
    if engine not in ENGINES:
        raise AnsibleFilterError(
            f"aws_database_engine: engine {engine!r} is not supported; use one of {', '.join(ENGINES)}."
        )
    return dict(ENGINES[engine])


def aws_database_engines(_unused: Any = None) -> dict[str, dict[str, Any]]:
    """The whole table, by engine name (for checks that list the supported engines)."""
    return {name: dict(facts) for name, facts in ENGINES.items()}


def aws_database_ports(servers: Any) -> list[int]:
    """Sorted client ports of the servers' engines; an unknown engine fails naming it."""
    if not isinstance(servers, Sequence) or isinstance(servers, (str, bytes)):
        raise AnsibleFilterError("aws_database_ports: expected the list aws_database_servers.")
    ports = set()
    for index, server in enumerate(servers):
        engine = server.get("engine") if isinstance(server, Mapping) else None
        if engine not in ENGINES:
            raise AnsibleFilterError(f"aws_database_servers[{index}].engine {engine!r} is not supported; use one of"
                                     f" {', '.join(ENGINES)}.")
        ports.add(ENGINES[engine]["client_port"])
    return sorted(ports)


def _version(engine: str, version: Any) -> re.Match[str]:
    # A number (16.4 unquoted in YAML) is refused too: 16.10 would read as 16.1.
    match = _VERSION_PATTERNS[engine].match(version) if isinstance(version, str) else None
    if match is None:
        raise AnsibleFilterError(
            f"aws_database_parameter_family: engine_version {version!r} is not a full {engine} version as RDS names"
            f" it, such as {_VERSION_EXAMPLES.get(engine, '?')} (aws rds describe-db-engine-versions --engine {engine})."
        )
    return match


def aws_database_version_error(engine: Any, version: Any) -> str:
    """Why ``version`` cannot be pinned for ``engine`` ('' when it can): every server pins its version."""
    if version is None or version == "":
        return (f"is required: pin the full version RDS runs, such as \"{_VERSION_EXAMPLES.get(engine, '?')}\"; minor"
                " upgrades are the runbook's, never RDS's own")
    try:
        _version(engine, version)
    except AnsibleFilterError as error:
        return str(error).split(": ", 1)[1]
    return ""


def aws_database_parameter_family(engine: Any, version: Any) -> str:
    """The DB parameter group family of a pinned engine version."""
    aws_database_engine(engine)
    major = _version(engine, version)["major"]
    if engine == "postgres":
        return f"postgres{major}"
    if engine == "sqlserver-se":
        return f"sqlserver-se-{major}.0"
    return f"oracle-se2-{major}"


def _version_key(engine: str, version: str) -> tuple:
    match = _version(engine, version)
    minor = match["minor"]
    return int(match["major"]), tuple(int(part) for part in re.split(r"[-.]", minor))


def aws_database_version_problems(servers: Any, instances: Any, estate_name: str) -> list[str]:
    """Servers RDS runs on a newer version than the inventory pins (a forced upgrade): one message each.

    ``instances`` is rds_instance_info's list; a server's RDS identifier is <estate_name>-<name>.
    A newer version is refused rather than applied: the module would try to downgrade, which RDS rejects.
    """
    running = {i.get("db_instance_identifier"): i.get("engine_version") for i in instances or []}
    problems = []
    for index, server in enumerate(servers or []):
        server = {**server, "identifier": f"{estate_name}-{server.get('name')}"}
        actual = running.get(server["identifier"])
        pinned = server.get("engine_version")
        if not actual or not pinned or actual == pinned:
            continue
        engine = server["engine"]
        if _version_key(engine, actual) > _version_key(engine, pinned):
            problems.append(
                f"aws_database_servers[{index}].engine_version is {pinned} but RDS runs {server['identifier']} on"
                f" {actual} (an upgrade made outside the runbook, e.g. one AWS forced): set engine_version:"
                f" \"{actual}\" in the inventory; nothing was changed"
            )
    return problems


def aws_database_endpoints(plan: Any, estate_name: str, instances: Any) -> list[dict[str, Any]]:
    """What provisioning tells the manager about each server: [{name, identifier, engine, endpoint, port,
    database_name, database_type}]. ``port`` is the client port (Oracle: the SSL listener); ``endpoint`` is ''
    until RDS has assigned one (check mode, or a creation not waited for)."""
    by_id = {i.get("db_instance_identifier"): i for i in instances or [] if isinstance(i, Mapping)}
    out = []
    for server in plan or []:
        facts = aws_database_engine(server.get("engine"))
        identifier = f"{estate_name}-{server.get('name')}"
        found = by_id.get(identifier, {})
        out.append({
            "name": server.get("name"),
            "identifier": identifier,
            "engine": server.get("engine"),
            "endpoint": (found.get("endpoint") or {}).get("address", ""),
            "port": facts["client_port"],
            "database_name": facts["database_name"],
            "database_type": facts["database_type"],
        })
    return out


def _parse_window(kind: str, text: Any) -> tuple[int, int]:
    """(start, end) in minutes of the week (maintenance) or of the day (backup), end after start."""
    if kind == "maintenance":
        match = _MAINTENANCE.match(str(text))
        if match is None:
            raise AnsibleFilterError(
                f"aws_database_maintenance_window {text!r} is not ddd:hh24:mi-ddd:hh24:mi in UTC, such as"
                " sun:03:00-sun:03:30."
            )
        day1, h1, m1, day2, h2, m2 = match.groups()
        start = _DAYS.index(day1) * 1440 + int(h1) * 60 + int(m1)
        end = _DAYS.index(day2) * 1440 + int(h2) * 60 + int(m2)
        period = 7 * 1440
    else:
        match = _BACKUP.match(str(text))
        if match is None:
            raise AnsibleFilterError(
                f"aws_database_backup_window {text!r} is not hh24:mi-hh24:mi in UTC, such as 02:00-02:30."
            )
        h1, m1, h2, m2 = (int(part) for part in match.groups())
        start, end, period = h1 * 60 + m1, h2 * 60 + m2, 1440
    if end <= start:
        end += period
    return start, end


def _occurrences(kind: str, window: tuple[int, int], start: dt.datetime, horizon: dt.datetime):
    """Every (begin, end) of a weekly or daily window between ``start`` and ``horizon``, UTC."""
    step = dt.timedelta(days=7 if kind == "maintenance" else 1)
    anchor = start.replace(hour=0, minute=0, second=0, microsecond=0)
    if kind == "maintenance":
        anchor -= dt.timedelta(days=anchor.weekday())
    begin = anchor + dt.timedelta(minutes=window[0]) - step
    while begin < horizon:
        end = begin + dt.timedelta(minutes=window[1] - window[0])
        if end > start:
            yield begin, end
        begin += step


def _change_window_module():
    """The change-window gate's evaluator (filter_plugins/change_window.py): one meaning of "open"."""
    name = "suite_change_window"
    if name in sys.modules:
        return sys.modules[name]
    path = Path(__file__).resolve().parents[3] / "filter_plugins" / "change_window.py"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None or not path.is_file():
        raise AnsibleFilterError(f"aws_database_window_problems: {path} is missing; it evaluates the change calendars.")
    module = importlib.util.module_from_spec(spec)
    # Registered before it runs: its dataclasses look their module up by name.
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def aws_database_window_problems(calendars: Any, maintenance: Any, backup: Any, at: Any = None,
                                 days: int = 366) -> list[str]:
    """Why the RDS maintenance and backup windows are not always inside an open change window.

    Each occurrence over the next ``days`` (a year: yearly freezes count) must lie wholly in a period
    where every calendar is OPEN, with the change-window gate's semantics. Also checks the RDS rules:
    both windows at least 30 minutes, and they must not overlap. Returns one message per problem,
    naming the variable and the first occurrence that falls outside.
    """
    windows = {"maintenance": _parse_window("maintenance", maintenance), "backup": _parse_window("backup", backup)}
    problems = []
    for kind, (start, end) in windows.items():
        if end - start < _MINIMUM_WINDOW.total_seconds() / 60:
            problems.append(f"aws_database_{kind}_window {maintenance if kind == 'maintenance' else backup}"
                            " is shorter than the 30 minutes RDS requires")
    gate = _change_window_module()
    instant = gate.parse_instant(at)
    horizon = instant + dt.timedelta(days=days)
    if _overlap(windows, instant, horizon):
        problems.append(f"aws_database_maintenance_window {maintenance} and aws_database_backup_window {backup}"
                        " overlap, which RDS refuses: move one of them")
    calendars = list(calendars or [])
    if not calendars:
        return problems
    timelines = [gate.build_timeline(c, n, instant, horizon + dt.timedelta(days=8)) for n, c in enumerate(calendars, 1)]
    for kind, window in windows.items():
        for begin, end in _occurrences(kind, window, instant, horizon):
            closed = [t.name for t in timelines if not t.is_open(begin) or (t.next_change(begin, end) or end) < end]
            if closed:
                text = maintenance if kind == "maintenance" else backup
                problems.append(
                    f"aws_database_{kind}_window {text} (UTC) is not inside an open change window on"
                    f" {begin:%Y-%m-%d %H:%M}-{end:%H:%M} UTC: calendar {', '.join(closed)} is closed then. Move the"
                    " window into a period every calendar of change_window_calendars keeps open, so RDS changes"
                    " nothing outside the change calendar"
                )
                break
    return problems


def _overlap(windows: dict[str, tuple[int, int]], start: dt.datetime, horizon: dt.datetime) -> bool:
    week = start + dt.timedelta(days=14)
    maintenance = list(_occurrences("maintenance", windows["maintenance"], start, week))
    backup = list(_occurrences("backup", windows["backup"], start, week))
    return any(m0 < b1 and b0 < m1 for m0, m1 in maintenance for b0, b1 in backup)


_IDENTIFIER = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,29}$")


def aws_database_prepare_statements(engine: Any, login: Any, database: Any, multi_tenant: bool = False) -> list[str]:
    """The SQL that prepares the manager's database and its own login, run as the RDS master user.

    From the vendor's database preparation pages (Deep Security Manager 20: "Microsoft SQL Server",
    "Oracle Database", "PostgreSQL"): the login owns only the manager's database; multi-tenancy adds the
    right to create the tenants' databases, which the manager does itself. The password is the
    placeholder :password, bound by the client, never written here.
    """
    aws_database_engine(engine)
    for name, value in (("login", login), ("database", database)):
        if not isinstance(value, str) or not _IDENTIFIER.match(value):
            raise AnsibleFilterError(
                f"aws_database_prepare_statements: {name} {value!r} must be a letter then letters, digits or _"
                " (30 characters at most)."
            )
    if engine == "postgres":
        statements = [
            f'CREATE ROLE "{login}" LOGIN PASSWORD :password',
            # RDS's master is no superuser: it must be a member of the role it hands the database to.
            f'GRANT "{login}" TO CURRENT_USER',
            f'ALTER DATABASE "{database}" OWNER TO "{login}"',
            f'REVOKE ALL ON DATABASE "{database}" FROM PUBLIC',
            f'GRANT ALL ON DATABASE "{database}" TO "{login}"',
        ]
        if multi_tenant:
            statements.append(f'ALTER ROLE "{login}" CREATEDB CREATEROLE')
    elif engine == "sqlserver-se":
        statements = [
            f"CREATE LOGIN [{login}] WITH PASSWORD = :password, CHECK_POLICY = ON",
            f"CREATE DATABASE [{database}]",
            f"USE [{database}]; CREATE USER [{login}] FOR LOGIN [{login}]",
            f"USE [{database}]; ALTER ROLE db_owner ADD MEMBER [{login}]",
        ]
        if multi_tenant:
            statements.append(f"USE [master]; GRANT CREATE ANY DATABASE TO [{login}]")
    else:
        statements = [
            f'CREATE USER "{login.upper()}" IDENTIFIED BY :password DEFAULT TABLESPACE USERS QUOTA UNLIMITED ON USERS',
            f'GRANT CREATE SESSION, CREATE TABLE, CREATE SEQUENCE, CREATE TRIGGER, CREATE VIEW, CREATE PROCEDURE'
            f' TO "{login.upper()}"',
        ]
        if multi_tenant:
            statements.append(f'GRANT CREATE USER, ALTER USER, DROP USER, GRANT ANY PRIVILEGE, GRANT ANY ROLE'
                              f' TO "{login.upper()}"')
    return statements


# What a server may say, checked once here (tasks/validate.yml asserts the list is empty).
# RDS instance identifier <estate_name>-<name>: letter first, letters, digits and single hyphens, no trailing hyphen.
_IDENTIFIER_RDS = re.compile(r"^[a-z](?!.*--)[a-z0-9-]{0,62}(?<!-)$")
_INSTANCE_CLASS = re.compile(r"^db\.[a-z0-9-]+\.[a-z0-9]+(\.[a-z0-9]+)*$")
_WHOLE_NUMBER = re.compile(r"^[0-9]+$")
STORAGE_TYPES = ("gp2", "gp3", "io1")
MULTI_AZ_MODES = ("mirroring", "always_on")
# Below these sizes RDS fixes gp3 at its baseline and refuses iops and storage_throughput (SQL Server: never).
_GP3_BASELINE_BELOW = {"postgres": 400, "oracle-se2": 200}
_MISSING = object()


def _to_json(value: Any) -> str:
    """The value as the assert messages show it (Ansible's to_json)."""
    try:
        return json.dumps(value)
    except TypeError:
        return json.dumps(str(value))


def _whole(value: Any) -> bool:
    """True for a whole number written with digits only (100 or "100"; not 1e2, true or 100.0)."""
    return _WHOLE_NUMBER.match(str(value)) is not None


def _int(value: Any, default: int = 0) -> int:
    """Jinja's int filter: a number, a numeric string, else ``default``."""
    try:
        return int(value, 10) if isinstance(value, str) else int(value)
    except (TypeError, ValueError, OverflowError):
        try:
            return int(float(value))
        except (TypeError, ValueError, OverflowError):
            return default


def _known_engine(engine: Any) -> bool:
    return isinstance(engine, str) and engine in ENGINES


def aws_database_server_problems(servers: Any, estate_name: str) -> list[str]:
    """Every problem of the declared servers (defaults applied), one message each naming
    aws_database_servers[i].<field> and the fix; an empty list when every server is valid."""
    if not isinstance(servers, Sequence) or isinstance(servers, (str, bytes)):
        return ["aws_database_servers must be a list of dicts with name, engine, instance_class, allocated_storage"]
    problems: list[str] = []
    for index, server in enumerate(servers):
        where = f"aws_database_servers[{index}]"
        if not isinstance(server, Mapping):
            problems.append(f"{where} must be a dict with name, engine, instance_class, allocated_storage")
            continue
        problems.extend(f"{where}{text}" for text in _server_problems(server, str(estate_name)))
    return problems


def _server_problems(s: Mapping[str, Any], estate_name: str) -> list[str]:
    """One server's problems, each starting with the field (``.name ...``) or ``: `` for the whole server."""
    out: list[str] = []
    name = s.get("name", _MISSING)
    if not (isinstance(name, str) and _IDENTIFIER_RDS.match(f"{estate_name}-{name}")):
        out.append(f".name {_to_json(s.get('name', ''))}: lower-case letters, digits and single hyphens, so that the"
                   " RDS identifier <estate_name>-<name> starts with a letter and has at most 63 characters")
    engine = s.get("engine", "")
    if not _known_engine(engine):
        out.append(f".engine {_to_json(engine)} is not supported; allowed: {', '.join(ENGINES)}")
    instance_class = s.get("instance_class", "")
    if not (isinstance(instance_class, str) and _INSTANCE_CLASS.match(instance_class)):
        out.append(f".instance_class {_to_json(instance_class)} is not an RDS instance class db.<family>.<size>,"
                   " for example db.m6g.large")
    allocated = s.get("allocated_storage", "")
    if not (_whole(allocated) and 20 <= _int(allocated) <= 65536):
        out.append(f".allocated_storage {_to_json(allocated)} must be a whole number of GiB, 20 to 65536")
    allocated_gib = _int(s.get("allocated_storage", 0))
    if "max_allocated_storage" in s and not (_whole(s["max_allocated_storage"])
                                             and _int(s["max_allocated_storage"]) > allocated_gib):
        out.append(".max_allocated_storage must be a whole number of GiB above allocated_storage"
                   " (storage autoscaling limit)")
    storage_type = s.get("storage_type")
    if storage_type not in STORAGE_TYPES:
        out.append(f".storage_type {_to_json(storage_type)} must be one of {', '.join(STORAGE_TYPES)}")
    if storage_type == "io1" and "iops" not in s:
        out.append(".iops is required with storage_type io1")
    if "iops" in s and (storage_type not in ("gp3", "io1") or not _whole(s["iops"])):
        out.append(".iops must be a whole number and needs storage_type gp3 or io1")
    if "storage_throughput" in s and (storage_type != "gp3" or not _whole(s["storage_throughput"])):
        out.append(".storage_throughput must be a whole number of MiB/s and needs storage_type gp3")
    threshold = _GP3_BASELINE_BELOW.get(engine, 0) if isinstance(engine, str) else 0
    if (storage_type == "gp3" and ("iops" in s or "storage_throughput" in s) and allocated_gib < threshold):
        out.append(f": RDS fixes gp3 at 3000 IOPS / 125 MiB/s below {threshold} GiB for {engine} and rejects iops"
                   " and storage_throughput there; remove them or allocate more")
    if storage_type == "gp3" and allocated_gib >= 400 and (
            _int(s.get("iops", 12000 if threshold else 0)) < 12000
            or _int(s.get("storage_throughput", 500 if threshold else 0)) < 500):
        out.append(": gp3 with 400 GiB or more needs iops >= 12000 and storage_throughput >= 500"
                   " (amazon.aws.rds_instance refuses less on every update; SQL Server stays at 3000 / 125 unless"
                   " set), or storage_type gp2")
    if not isinstance(s.get("multi_az"), bool):
        out.append(".multi_az must be true or false")
    if s.get("multi_az_mode") not in MULTI_AZ_MODES:
        out.append(".multi_az_mode must be mirroring or always_on (SQL Server Multi-AZ technology)")
    if _known_engine(engine) and not engine.startswith("sqlserver") and "max_databases" not in s:
        out.append(f".max_databases is required for engine {engine}: how many tenant databases this server may hold")
    version_error = aws_database_version_error(engine, s.get("engine_version")) if _known_engine(engine) else ""
    if version_error:
        out.append(f".engine_version {version_error}")
    return out


def _tenant_name_ok(tenant: Any) -> bool:
    return isinstance(tenant, str) or (isinstance(tenant, Mapping) and isinstance(tenant.get("name"), str))


def aws_database_tenant_problems(tenants: Any, placements: Any) -> list[str]:
    """Why aws_database_tenants cannot be placed as listed: items that are neither a name nor {name, db_server},
    else tenants whose db_server disagrees with the recorded placement (a placement is never moved)."""
    tenants = list(tenants or [])
    placements = dict(placements or {})
    bad = [t for t in tenants if not _tenant_name_ok(t)]
    if bad:
        return ["aws_database_tenants: items must be a tenant name or a dict with name and optionally db_server, got "
                + _to_json(bad)]
    conflicts = [t["name"] for t in tenants if isinstance(t, Mapping) and "db_server" in t
                 and placements.get(t["name"], t["db_server"]) != t["db_server"]]
    if conflicts:
        return [f"aws_database_tenants and aws_database_tenant_placements disagree on the server of"
                f" {', '.join(map(str, conflicts))}: a placement is never moved, fix one of them"]
    return []


def aws_database_tenant_input(tenants: Any, placements: Any) -> list[Any]:
    """The tenants as tenant_db_placement takes them: each listed tenant with its server (its own db_server or the
    recorded placement) when it has one, then the recorded tenants no longer listed, whose databases still take
    a slot. Expects tenants that aws_database_tenant_problems accepted."""
    placements = dict(placements or {})
    out: list[Any] = []
    seen: set[str] = set()
    for tenant in tenants or []:
        name = tenant["name"] if isinstance(tenant, Mapping) else tenant
        server = (tenant.get("db_server") if isinstance(tenant, Mapping) else None) or placements.get(name)
        out.append({"name": name, "db_server": server} if server else name)
        seen.add(name)
    out.extend({"name": name, "db_server": server} for name, server in placements.items() if name not in seen)
    return out


def aws_database_wait_statuses(results: Any, estate_name: str) -> list[str]:
    """'<estate_name>-<name> <status>' for each server of a wait that gave up, from its loop's results: the
    status RDS reported ('not found' when RDS has no such instance), or the error of a look-up that failed."""
    out = []
    for result in results or []:
        if not isinstance(result, Mapping):
            continue
        if "instances" in result:
            instances = result["instances"] or []
            status = (instances[0] if instances else {}).get("db_instance_status", "not found")
        else:
            status = result.get("msg", "unknown")
        server = result.get("__aws_database_item") or {}
        out.append(f"{estate_name}-{server.get('name')} {status}")
    return out


class FilterModule:
    """Ansible entry point."""

    def filters(self) -> dict[str, Any]:
        """Map filter names to functions."""
        return {
            "aws_database_engine": aws_database_engine,
            "aws_database_engines": aws_database_engines,
            "aws_database_ports": aws_database_ports,
            "aws_database_parameter_family": aws_database_parameter_family,
            "aws_database_version_error": aws_database_version_error,
            "aws_database_version_problems": aws_database_version_problems,
            "aws_database_endpoints": aws_database_endpoints,
            "aws_database_window_problems": aws_database_window_problems,
            "aws_database_prepare_statements": aws_database_prepare_statements,
            "aws_database_server_problems": aws_database_server_problems,
            "aws_database_tenant_problems": aws_database_tenant_problems,
            "aws_database_tenant_input": aws_database_tenant_input,
            "aws_database_wait_statuses": aws_database_wait_statuses,
        }
