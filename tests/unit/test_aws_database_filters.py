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


# A valid server as validate.yml passes it: the role's defaults applied.
SERVER = {"name": "db", "engine": "postgres", "engine_version": "16.4", "instance_class": "db.m6g.large",
          "allocated_storage": 100, "multi_az": True, "multi_az_mode": "mirroring", "storage_type": "gp3",
          "max_databases": 50}


@pytest.mark.parametrize("change, problems", [
    ({}, []),
    ({"engine": "sqlserver-se", "engine_version": "15.00.4415.2.v1", "max_databases": None}, []),
    ({"name": "DB"}, ['aws_database_servers[0].name "DB": lower-case letters, digits and single hyphens, so that the'
                      ' RDS identifier <estate_name>-<name> starts with a letter and has at most 63 characters']),
    ({"name": "a--b"}, ["aws_database_servers[0].name"]),
    ({"name": "x" * 60}, ["aws_database_servers[0].name"]),
    ({"engine": "mysql"}, ['aws_database_servers[0].engine "mysql" is not supported; allowed: postgres, sqlserver-se,'
                           ' oracle-se2']),
    ({"instance_class": "m5.large"}, ['aws_database_servers[0].instance_class "m5.large" is not an RDS instance class']),
    ({"allocated_storage": 19}, ["aws_database_servers[0].allocated_storage 19 must be a whole number of GiB, 20 to"]),
    ({"allocated_storage": "100"}, []),
    ({"allocated_storage": 100.0}, ["aws_database_servers[0].allocated_storage 100.0 must be a whole number"]),
    ({"max_allocated_storage": 100}, ["aws_database_servers[0].max_allocated_storage must be a whole number of GiB"
                                      " above allocated_storage"]),
    ({"max_allocated_storage": 200}, []),
    ({"storage_type": "st1"}, ['aws_database_servers[0].storage_type "st1" must be one of gp2, gp3, io1']),
    ({"storage_type": "io1"}, ["aws_database_servers[0].iops is required with storage_type io1"]),
    ({"storage_type": "io1", "iops": 3000}, []),
    ({"storage_type": "gp2", "iops": 3000}, ["aws_database_servers[0].iops must be a whole number and needs"
                                             " storage_type gp3 or io1"]),
    ({"storage_type": "io1", "iops": 3000, "storage_throughput": 125},
     ["aws_database_servers[0].storage_throughput must be a whole number of MiB/s and needs storage_type gp3"]),
    # gp3 below the engine's threshold: RDS fixes the baseline and refuses iops.
    ({"iops": 3000}, ["aws_database_servers[0]: RDS fixes gp3 at 3000 IOPS / 125 MiB/s below 400 GiB for postgres"]),
    ({"engine": "oracle-se2", "engine_version": "19.0.0.0.ru-2024-07.rur-2024-07.r1", "allocated_storage": 200,
      "iops": 12000, "storage_throughput": 500}, []),
    ({"allocated_storage": 400}, []),
    ({"allocated_storage": 400, "iops": 3000}, ["aws_database_servers[0]: gp3 with 400 GiB or more needs iops >= 12000"]),
    # SQL Server has no gp3 threshold: at 400 GiB it must set both.
    ({"engine": "sqlserver-se", "engine_version": "15.00.4415.2.v1", "allocated_storage": 400},
     ["aws_database_servers[0]: gp3 with 400 GiB or more"]),
    ({"multi_az": "yes"}, ["aws_database_servers[0].multi_az must be true or false"]),
    ({"multi_az_mode": "other"}, ["aws_database_servers[0].multi_az_mode must be mirroring or always_on"]),
    ({"max_databases": None}, ["aws_database_servers[0].max_databases is required for engine postgres"]),
    ({"engine_version": None}, ["aws_database_servers[0].engine_version is required: pin the full version"]),
    ({"engine_version": "16"}, ["aws_database_servers[0].engine_version engine_version '16' is not a full postgres version"]),
])
def test_each_server_problem_names_the_field_and_the_fix(change, problems):
    server = {**SERVER, **change}
    server = {key: value for key, value in server.items() if not (value is None and key in change)}
    found = db.aws_database_server_problems([server], "dsm-lab")
    assert len(found) == len(problems), found
    for message, expected in zip(found, problems):
        assert message.startswith(expected)


def test_every_server_is_checked_and_named_by_its_index():
    found = db.aws_database_server_problems([SERVER, {**SERVER, "name": "Bad"}, "db"], "dsm-lab")
    assert [m.split(" ")[0] for m in found] == ["aws_database_servers[1].name", "aws_database_servers[2]"]


@pytest.mark.parametrize("tenants, placements, problem", [
    ([], {}, None),
    (["acme", {"name": "globex"}, {"name": "initech", "db_server": "db"}], {"initech": "db"}, None),
    ([5, {"db_server": "db"}], {}, 'got [5, {"db_server": "db"}]'),
    ([{"name": "acme", "db_server": "db-b"}], {"acme": "db"}, "disagree on the server of acme: a placement is never"),
])
def test_tenants_are_names_or_dicts_and_never_move(tenants, placements, problem):
    found = db.aws_database_tenant_problems(tenants, placements)
    assert found == [] if problem is None else problem in found[0]


@pytest.mark.parametrize("tenants, placements, expected", [
    ([], {}, []),
    (["acme"], {}, ["acme"]),
    # A recorded placement is kept, and a recorded tenant no longer listed still takes its slot.
    (["acme", {"name": "globex"}], {"acme": "db", "gone": "db-b"},
     [{"name": "acme", "db_server": "db"}, "globex", {"name": "gone", "db_server": "db-b"}]),
    ([{"name": "acme", "db_server": "db"}], {}, [{"name": "acme", "db_server": "db"}]),
])
def test_tenant_input_carries_every_recorded_placement(tenants, placements, expected):
    assert db.aws_database_tenant_input(tenants, placements) == expected


@pytest.mark.parametrize("results, statuses", [
    ([], []),
    ([{"__aws_database_item": {"name": "db"}, "instances": [{"db_instance_status": "creating"}]}], ["dsm-lab-db creating"]),
    # RDS has no such instance, or its status is not reported.
    ([{"__aws_database_item": {"name": "db"}, "instances": []}], ["dsm-lab-db not found"]),
    ([{"__aws_database_item": {"name": "db"}, "instances": [{}]}], ["dsm-lab-db not found"]),
    # The look-up itself failed: its error says why.
    ([{"__aws_database_item": {"name": "db"}, "msg": "AccessDenied"}], ["dsm-lab-db AccessDenied"]),
    ([{"__aws_database_item": {"name": "db"}}], ["dsm-lab-db unknown"]),
    ([{"__aws_database_item": {"name": "a"}, "instances": [{"db_instance_status": "available"}]},
      {"__aws_database_item": {"name": "b"}, "instances": [{"db_instance_status": "modifying"}]}],
     ["dsm-lab-a available", "dsm-lab-b modifying"]),
])
def test_a_wait_that_gave_up_says_each_servers_status(results, statuses):
    assert db.aws_database_wait_statuses(results, "dsm-lab") == statuses
