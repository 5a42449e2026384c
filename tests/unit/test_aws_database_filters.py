"""Unit tests for roles/aws_database/filter_plugins/aws_database.py (table-driven)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from ansible.errors import AnsibleFilterError

PLUGIN = Path(__file__).resolve().parents[2] / "roles" / "aws_database" / "filter_plugins" / "aws_database.py"
_spec = importlib.util.spec_from_file_location("aws_database_filters", PLUGIN)
assert _spec is not None and _spec.loader is not None
db = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(db)

# A Monday, so weekly windows are easy to read.
MONDAY = "2026-01-05T00:00:00Z"


@pytest.mark.parametrize("servers, ports", [
    ([{"engine": "postgres"}], [5432]),
    ([{"engine": "sqlserver-se"}, {"engine": "postgres"}], [1433, 5432]),
    # Oracle is reached on its SSL option's port only: plain 1521 stays closed.
    ([{"engine": "oracle-se2"}], [2484]),
    ([{"engine": "postgres"}, {"engine": "postgres"}], [5432]),
])
def test_the_database_group_admits_the_client_port_of_each_engine(servers, ports):
    assert db.aws_database_ports(servers) == ports


def test_an_unknown_engine_is_named():
    with pytest.raises(AnsibleFilterError, match=r"aws_database_servers\[1\].engine 'mysql' is not supported"):
        db.aws_database_ports([{"engine": "postgres"}, {"engine": "mysql"}])


@pytest.mark.parametrize("engine, rds_db_name, database_name, tls", [
    ("postgres", "dsm", "dsm", "parameter"),
    # RDS for SQL Server refuses DBName: the database is created by the preparation.
    ("sqlserver-se", None, "dsm", "parameter"),
    # Oracle's DBName is the SID, and the installer's database name is that SID.
    ("oracle-se2", "DSM", "DSM", "option"),
])
def test_each_engine_names_its_database_as_rds_and_the_installer_expect(engine, rds_db_name, database_name, tls):
    facts = db.aws_database_engine(engine)
    assert (facts["rds_db_name"], facts["database_name"], facts["tls"]) == (rds_db_name, database_name, tls)


@pytest.mark.parametrize("engine, version, family", [
    ("postgres", "16.4", "postgres16"),
    ("postgres", "17.2", "postgres17"),
    ("sqlserver-se", "15.00.4415.2.v1", "sqlserver-se-15.0"),
    ("sqlserver-se", "16.00.4165.4.v1", "sqlserver-se-16.0"),
    ("oracle-se2", "19.0.0.0.ru-2024-07.rur-2024-07.r1", "oracle-se2-19"),
])
def test_parameter_family_follows_the_pinned_major_version(engine, version, family):
    assert db.aws_database_parameter_family(engine, version) == family


@pytest.mark.parametrize("engine, version", [("postgres", "16"), ("postgres", 16.4), ("sqlserver-se", "15.0"),
                                             ("oracle-se2", "19")])
def test_a_version_rds_would_not_pin_is_refused_with_an_example(engine, version):
    with pytest.raises(AnsibleFilterError, match="such as"):
        db.aws_database_parameter_family(engine, version)


def server(version, engine="postgres"):
    return {"name": "db", "engine": engine, "engine_version": version}


@pytest.mark.parametrize("pinned, running, refused", [
    ("16.4", "16.4", False),
    # The runbook raised the pin: an upgrade to apply, not a problem.
    ("16.6", "16.4", False),
    # RDS upgraded on its own (forced): the module would try to downgrade.
    ("16.4", "16.6", True),
    ("16.4", "16.10", True),
    ("15.00.4415.2.v1", "15.00.4420.2.v1", True),
    ("19.0.0.0.ru-2024-07.rur-2024-07.r1", "19.0.0.0.ru-2024-10.rur-2024-10.r1", True),
])
def test_a_version_newer_than_the_pin_is_refused_naming_the_version_to_pin(pinned, running, refused):
    engine = "postgres" if pinned[0] == "1" and "." in pinned and pinned.count(".") == 1 else (
        "sqlserver-se" if ".00." in pinned else "oracle-se2")
    problems = db.aws_database_version_problems([server(pinned, engine)],
                                                [{"db_instance_identifier": "est-db", "engine_version": running}], "est")
    assert bool(problems) == refused
    if refused:
        assert f'engine_version: "{running}"' in problems[0] and "aws_database_servers[0]" in problems[0]


NIGHTLY = [{"name": "nightly", "type": "DEFAULT_CLOSED", "timezone": "UTC",
            "events": [{"summary": "window", "start": "2026-01-01T01:00:00", "end": "2026-01-01T05:00:00",
                        "rrule": "FREQ=DAILY"}]}]
FREEZE = [{"name": "freeze", "type": "DEFAULT_OPEN", "timezone": "UTC",
           "events": [{"summary": "year end", "start": "2026-12-20", "end": "2027-01-04"}]}]


@pytest.mark.parametrize("case, calendars, maintenance, backup, problem", [
    ("no calendar, no restriction", [], "sun:03:00-sun:03:30", "02:00-02:30", None),
    ("inside the nightly window", NIGHTLY, "sun:03:00-sun:03:30", "02:00-02:30", None),
    ("maintenance runs past the window", NIGHTLY, "sun:04:45-sun:05:15", "02:00-02:30", "maintenance_window"),
    ("backup outside the window", NIGHTLY, "sun:03:00-sun:03:30", "06:00-06:30", "backup_window"),
    # Open every day but the year-end freeze: a year ahead catches it.
    ("backup during a freeze", FREEZE, "sun:03:00-sun:03:30", "02:00-02:30", "calendar freeze is closed"),
    ("maintenance across midnight", NIGHTLY, "sat:23:30-sun:00:30", "02:00-02:30", "maintenance_window"),
    ("windows overlap", [], "sun:02:00-sun:03:00", "02:30-03:00", "overlap"),
    ("too short", [], "sun:02:00-sun:02:10", "04:00-04:30", "shorter than the 30 minutes"),
])
def test_rds_windows_lie_inside_an_open_change_window(case, calendars, maintenance, backup, problem):
    problems = db.aws_database_window_problems(calendars, maintenance, backup, at=MONDAY)
    if problem is None:
        assert problems == [], case
    else:
        assert any(problem in p for p in problems), (case, problems)


@pytest.mark.parametrize("window", ["sunday 03:00", "sun:3:00-sun:3:30", "sun:03:00-mon:25:00"])
def test_a_malformed_maintenance_window_names_the_variable(window):
    with pytest.raises(AnsibleFilterError, match="aws_database_maintenance_window"):
        db.aws_database_window_problems([], window, "02:00-02:30", at=MONDAY)


@pytest.mark.parametrize("engine, owns, multi", [
    ("postgres", 'ALTER DATABASE "dsm" OWNER TO "dsm_app"', 'CREATEDB CREATEROLE'),
    ("sqlserver-se", "ALTER ROLE db_owner ADD MEMBER [dsm_app]", "GRANT CREATE ANY DATABASE"),
    ("oracle-se2", 'CREATE USER "DSM_APP"', "GRANT CREATE USER"),
])
def test_the_manager_login_owns_its_database_and_creates_tenants_only_when_multi_tenant(engine, owns, multi):
    single = db.aws_database_prepare_statements(engine, "dsm_app", "dsm")
    tenants = db.aws_database_prepare_statements(engine, "dsm_app", "dsm", multi_tenant=True)
    assert any(owns in s for s in single)
    assert not any(multi in s for s in single) and any(multi in s for s in tenants)
    # The password is bound by the client, never part of the text.
    assert all(":password" in s or "PASSWORD" not in s.upper() for s in tenants)


def test_a_login_that_is_not_an_identifier_is_refused():
    with pytest.raises(AnsibleFilterError, match="login"):
        db.aws_database_prepare_statements("postgres", "dsm; DROP", "dsm")


def test_the_manager_is_told_the_client_port_and_the_database_the_installer_expects():
    plan = [{"name": "db", "engine": "oracle-se2"}, {"name": "sql", "engine": "sqlserver-se"}]
    found = [{"db_instance_identifier": "est-db", "endpoint": {"address": "est-db.x.rds.amazonaws.com", "port": 1521}}]
    out = db.aws_database_endpoints(plan, "est", found)
    assert out[0] == {"name": "db", "identifier": "est-db", "engine": "oracle-se2", "endpoint": "est-db.x.rds.amazonaws.com",
                      "port": 2484, "database_name": "DSM", "database_type": "Oracle"}
    # Not created yet (check mode): known but without an endpoint.
    assert (out[1]["endpoint"], out[1]["port"], out[1]["database_type"]) == ("", 1433, "Microsoft SQL Server")
