"""Unit tests for filter_plugins/tenant_db_placement.py (table-driven)."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from ansible.errors import AnsibleFilterError

PLUGIN = Path(__file__).resolve().parents[2] / "filter_plugins" / "tenant_db_placement.py"
_spec = importlib.util.spec_from_file_location("tenant_db_placement", PLUGIN)
assert _spec is not None and _spec.loader is not None
tdp = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(tdp)

place = tdp.tenant_db_placement

# The RDS for SQL Server table, written out independently of the plugin's own table.
# (instance class, Single-AZ, Multi-AZ mirroring, Multi-AZ Always On); None = Multi-AZ invalid.
LIMITS = [
    ("db.t3.micro", 30, None, None),
    ("db.t3.small", 30, None, None),
    ("db.t3.medium", 30, None, None),
    ("db.t3.large", 30, 30, 30),
    ("db.m5.large", 30, 30, 30),
    ("db.m5.xlarge", 100, 50, 75),
    ("db.r5.2xlarge", 100, 50, 75),
    ("db.m6i.4xlarge", 100, 50, 75),
    ("db.r6i.8xlarge", 100, 50, 75),
    ("db.m5.12xlarge", 100, 50, 75),
    ("db.x1e.16xlarge", 100, 50, 75),
    ("db.r5.24xlarge", 100, 50, 100),
    ("db.x2iedn.32xlarge", 100, 50, 100),
]
MODES = [  # (label, multi_az, multi_az_mode, column in LIMITS)
    ("single_az", False, None, 1),
    ("mirroring", True, "mirroring", 2),
    ("always_on", True, "always_on", 3),
]
VALID = [
    pytest.param(cls, multi_az, mode, row[col], id=f"{cls}-{label}")
    for row in LIMITS
    for cls in [row[0]]
    for label, multi_az, mode, col in MODES
    if row[col] is not None
]
INVALID_MULTI_AZ = [
    pytest.param(row[0], mode, id=f"{row[0]}-{label}")
    for row in LIMITS
    for label, multi_az, mode, col in MODES
    if multi_az and row[col] is None
]


def sql(name: str = "sql1", cls: str = "db.m5.xlarge", multi_az: bool = False, mode: str | None = None,
        engine: str = "sqlserver-se", **extra: Any) -> dict[str, Any]:
    """Build a SQL Server db_servers item."""
    server: dict[str, Any] = {"name": name, "engine": engine, "instance_class": cls, "multi_az": multi_az}
    if mode is not None:
        server["multi_az_mode"] = mode
    server.update(extra)
    return server


def pg(name: str = "pg1", max_databases: Any = 10, **extra: Any) -> dict[str, Any]:
    """Build a PostgreSQL db_servers item."""
    server = {"name": name, "engine": "postgres", "instance_class": "db.m5.large", "multi_az": True}
    if max_databases is not None:
        server["max_databases"] = max_databases
    server.update(extra)
    return server


def names(count: int, prefix: str = "t") -> list[str]:
    """Tenant names t000, t001, ..."""
    return [f"{prefix}{i:03d}" for i in range(count)]


def raises(tenants: Any, servers: Any) -> str:
    """Run the filter, expect AnsibleFilterError, return its message."""
    with pytest.raises(AnsibleFilterError) as info:
        place(tenants, servers)
    return str(info.value)


# --- the SQL Server limits table -------------------------------------------------------------

@pytest.mark.parametrize(("cls", "multi_az", "mode", "limit"), VALID)
def test_sqlserver_limit_reported(cls: str, multi_az: bool, mode: str | None, limit: int) -> None:
    result = place([], [sql(cls=cls, multi_az=multi_az, mode=mode)])
    assert result["per_server"] == {"sql1": {"count": 0, "limit": limit, "free": limit}}


@pytest.mark.parametrize(("cls", "multi_az", "mode", "limit"), VALID)
def test_sqlserver_limit_exact_exhaustion(cls: str, multi_az: bool, mode: str | None, limit: int) -> None:
    server = sql(cls=cls, multi_az=multi_az, mode=mode)
    full = place(names(limit), [server])
    assert full["per_server"]["sql1"] == {"count": limit, "limit": limit, "free": 0}
    assert set(full["placements"].values()) == {"sql1"}

    message = raises(names(limit + 1), [server])
    assert f"1 tenant database does not fit: add 1 more database server (limit {limit} each)" in message


@pytest.mark.parametrize("engine", ["sqlserver-se", "sqlserver-ee", "sqlserver-web", "sqlserver-ex"])
def test_every_sqlserver_edition_uses_the_table(engine: str) -> None:
    result = place([], [sql(engine=engine, cls="db.m5.xlarge", multi_az=True)])
    assert result["per_server"]["sql1"]["limit"] == 50


def test_multi_az_mode_defaults_to_mirroring() -> None:
    assert place([], [sql(cls="db.m5.xlarge", multi_az=True)])["per_server"]["sql1"]["limit"] == 50


def test_multi_az_mode_ignored_when_single_az() -> None:
    assert place([], [sql(cls="db.m5.xlarge", mode="always_on")])["per_server"]["sql1"]["limit"] == 100


@pytest.mark.parametrize(("cls", "mode"), INVALID_MULTI_AZ)
def test_multi_az_on_small_classes_is_invalid(cls: str, mode: str) -> None:
    message = raises(["a"], [sql(name="tiny-sql", cls=cls, multi_az=True, mode=mode)])
    assert "'tiny-sql'" in message
    assert cls in message
    assert "Single-AZ only" in message
    assert "multi_az: false" in message


@pytest.mark.parametrize(("value", "limit"), [("true", 50), ("yes", 50), ("false", 100), (None, 100)])
def test_multi_az_accepts_ansible_booleans(value: Any, limit: int) -> None:
    assert place([], [sql(multi_az=value)])["per_server"]["sql1"]["limit"] == limit


# --- max_databases -------------------------------------------------------------------------

@pytest.mark.parametrize(("server", "limit"), [
    pytest.param(pg(max_databases=10), 10, id="postgres"),
    pytest.param(pg(max_databases="12"), 12, id="postgres-string-from-extra-vars"),
    pytest.param({"name": "ora1", "engine": "oracle-se2", "instance_class": "db.m5.2xlarge",
                  "max_databases": 25}, 25, id="oracle-se2"),
    pytest.param({"name": "pg-noclass", "engine": "postgres", "max_databases": 7}, 7, id="no-class-needed"),
    pytest.param(sql(cls="db.m5.xlarge", max_databases=40), 40, id="sqlserver-lower-override"),
    pytest.param(sql(cls="db.m5.xlarge", multi_az=True, max_databases=50), 50, id="sqlserver-override-at-limit"),
])
def test_max_databases(server: dict[str, Any], limit: int) -> None:
    (reported,) = place([], [server])["per_server"].values()
    assert reported == {"count": 0, "limit": limit, "free": limit}


def test_non_sqlserver_engine_limit_is_enforced() -> None:
    assert place(names(10), [pg(max_databases=10)])["per_server"]["pg1"]["free"] == 0
    message = raises(names(11), [pg(max_databases=10)])
    assert "1 tenant database does not fit: add 1 more database server (limit 10 each)" in message
    assert "raise max_databases on pg1" in message


# --- capacity exhaustion ---------------------------------------------------------------------

@pytest.mark.parametrize(("tenants", "servers", "expected"), [
    pytest.param(
        names(112), [sql("a", multi_az=True), sql("b", multi_az=True)],
        "12 tenant databases do not fit: add 1 more database server (limit 50 each)",
        id="brief-example"),
    pytest.param(
        names(200), [sql("a", multi_az=True, mode="always_on"), sql("b", cls="db.m5.large")],
        "95 tenant databases do not fit: add 2 more database servers (limit 75 each)",
        id="largest-limit-counts"),
    pytest.param(
        names(251), [sql("a", multi_az=True)],
        "201 tenant databases do not fit: add 5 more database servers (limit 50 each)",
        id="rounds-up"),
    pytest.param(
        [{"name": f"old{i}", "db_server": "a"} for i in range(45)] + names(10), [sql("a", multi_az=True)],
        "5 tenant databases do not fit: add 1 more database server (limit 50 each)",
        id="existing-placements-use-capacity"),
    pytest.param(
        names(31), [pg("p1", 10), pg("p2", 20)],
        "1 tenant database does not fit: add 1 more database server (limit 20 each)",
        id="non-sqlserver"),
])
def test_capacity_exhausted(tenants: list[Any], servers: list[dict[str, Any]], expected: str) -> None:
    assert expected in raises(tenants, servers)


def test_capacity_hint_names_only_servers_whose_max_databases_can_rise() -> None:
    servers = [
        sql("at-aws-limit", multi_az=True, max_databases=50),
        sql("capped", multi_az=True, max_databases=20),
        sql("no-override", multi_az=True),
        pg("pg1", 5),
    ]
    message = raises(names(126), servers)
    assert message.endswith("or raise max_databases on capped, pg1")


def test_capacity_hint_absent_when_nothing_can_rise() -> None:
    message = raises(names(51), [sql(multi_az=True)])
    assert "max_databases" not in message


def test_no_servers_at_all() -> None:
    message = raises(["a", "b"], [])
    assert "2 tenant databases do not fit" in message
    assert "add a database server" in message


def test_no_tenants_no_servers() -> None:
    assert place([], []) == {"placements": {}, "per_server": {}, "new": []}


# --- existing placements and balancing -------------------------------------------------------

def test_existing_placements_kept_even_when_unbalanced() -> None:
    tenants = [{"name": f"old{i}", "db_server": "a"} for i in range(40)] + ["n1", "n2"]
    result = place(tenants, [sql("a"), sql("b")])
    assert all(result["placements"][f"old{i}"] == "a" for i in range(40))
    assert result["placements"]["n1"] == "b"
    assert result["placements"]["n2"] == "b"
    assert result["new"] == ["n1", "n2"]
    assert result["per_server"] == {
        "a": {"count": 40, "limit": 100, "free": 60},
        "b": {"count": 2, "limit": 100, "free": 98},
    }


def test_existing_placement_exactly_at_limit_is_accepted() -> None:
    tenants = [{"name": f"old{i}", "db_server": "a"} for i in range(30)] + ["n1"]
    result = place(tenants, [sql("a", cls="db.t3.medium"), sql("b", cls="db.t3.medium")])
    assert result["per_server"]["a"] == {"count": 30, "limit": 30, "free": 0}
    assert result["placements"]["n1"] == "b"


def test_existing_placement_on_server_with_no_room_left_still_places_new_elsewhere() -> None:
    tenants = ["n1", {"name": "old", "db_server": "b"}, "n2"]
    result = place(tenants, [pg("a", 2), pg("b", 1)])
    assert result["placements"] == {"n1": "a", "old": "b", "n2": "a"}
    assert result["new"] == ["n1", "n2"]


@pytest.mark.parametrize(("tenants", "servers", "expected"), [
    pytest.param(names(7), [sql("a"), sql("b"), sql("c")],
                 ["a", "b", "c", "a", "b", "c", "a"], id="round-robin-equal-servers"),
    pytest.param(names(4), [sql("c"), sql("b"), sql("a")],
                 ["c", "b", "a", "c"], id="ties-follow-server-order-not-name"),
    pytest.param(names(3), [sql("small", cls="db.m5.large"), sql("big")],
                 ["big", "big", "big"], id="most-free-slots-first"),
    pytest.param([{"name": "o1", "db_server": "a"}, {"name": "o2", "db_server": "a"}, "n1", "n2", "n3"],
                 [pg("a", 10), pg("b", 10)], ["a", "a", "b", "b", "a"], id="catches-up-then-alternates"),
    pytest.param(["x", {"name": "y", "db_server": ""}, {"name": "z", "db_server": None}],
                 [pg("a", 5), pg("b", 5)], ["a", "b", "a"], id="empty-db-server-means-new"),
])
def test_balancing(tenants: list[Any], servers: list[dict[str, Any]], expected: list[str]) -> None:
    result = place(tenants, servers)
    assert list(result["placements"].values()) == expected


def test_balancing_by_free_slots_across_different_limits() -> None:
    # 70 go to the 100-slot server until both have 30 free, then they alternate.
    result = place(names(80), [sql("big"), sql("large", cls="db.m5.large")])
    assert result["per_server"]["big"]["count"] == 75
    assert result["per_server"]["large"]["count"] == 5
    assert result["per_server"]["big"]["free"] == 25
    assert result["per_server"]["large"]["free"] == 25


def test_result_shape_and_order() -> None:
    tenants = ["n1", {"name": "old", "db_server": "b"}, {"name": "n2"}]
    result = place(tenants, [pg("a", 5), pg("b", 5)])
    assert list(result) == ["placements", "per_server", "new"]
    assert list(result["placements"]) == ["n1", "old", "n2"]
    assert list(result["per_server"]) == ["a", "b"]
    assert result["new"] == ["n1", "n2"]


def test_deterministic_and_input_not_modified() -> None:
    tenants = [{"name": "old", "db_server": "b"}] + names(20)
    servers = [sql("a", multi_az=True), sql("b", multi_az=True, mode="always_on"), pg("c", 8)]
    snapshot = (repr(tenants), repr(servers))
    first = place(tenants, servers)
    assert place(tenants, servers) == first
    assert (repr(tenants), repr(servers)) == snapshot


def test_rerun_with_placements_fed_back_places_nothing_new() -> None:
    servers = [sql("a"), sql("b")]
    first = place(names(5), servers)
    again = place([{"name": t, "db_server": s} for t, s in first["placements"].items()], servers)
    assert again["new"] == []
    assert again["placements"] == first["placements"]
    assert again["per_server"] == first["per_server"]


# --- errors name the thing to fix ------------------------------------------------------------

@pytest.mark.parametrize(("tenants", "servers", "patterns"), [
    pytest.param([{"name": "acme", "db_server": "gone"}], [sql("a")],
                 ["tenant 'acme'", "'gone'", "not in db_servers", "known: a"], id="existing-on-unknown-server"),
    pytest.param([{"name": f"o{i}", "db_server": "a"} for i in range(31)], [sql("a", cls="db.m5.large")],
                 ["server 'a'", "holds 31", "limit is 30", "move 1"], id="existing-over-limit"),
    pytest.param([{"name": f"o{i}", "db_server": "a"} for i in range(41)],
                 [sql("a", multi_az=True, max_databases=40)],
                 ["server 'a'", "holds 41", "limit is 40"], id="existing-over-max-databases"),
    pytest.param(["acme", {"name": "acme", "db_server": "a"}], [sql("a")],
                 ["tenant 'acme'", "more than once"], id="duplicate-tenant"),
    pytest.param([], [sql("a"), pg("a", 3)],
                 ["server 'a'", "more than once"], id="duplicate-server"),
    pytest.param([], [pg("pg-main", None)],
                 ["server 'pg-main'", "engine 'postgres'", "set max_databases"], id="non-sqlserver-without-max"),
    pytest.param([], [sql("big", cls="db.m5.xlarge", multi_az=True, mode="always_on", max_databases=80)],
                 ["server 'big'", "max_databases 80", "limit of 75", "Always On"], id="override-above-aws-limit"),
    pytest.param([], [sql("s", cls="db.m5.metal")],
                 ["server 's'", "'db.m5.metal'", "unknown SQL Server instance class"], id="unknown-size"),
    pytest.param([], [sql("s", cls="m5.xlarge")],
                 ["server 's'", "'m5.xlarge'", "db.<family>.<size>"], id="malformed-class"),
    pytest.param([], [sql("s", cls=None)],
                 ["server 's'", "'instance_class' is required"], id="sqlserver-without-class"),
    pytest.param([], [sql("s", multi_az=True, mode="log_shipping")],
                 ["server 's'", "multi_az_mode", "mirroring, always_on", "log_shipping"], id="bad-mode"),
    pytest.param([], [sql("s", multi_az="maybe")],
                 ["server 's'", "multi_az must be true or false"], id="bad-multi-az"),
    pytest.param([], [pg("p", -1)], ["server 'p'", "max_databases must be a whole number"], id="negative-max"),
    pytest.param([], [pg("p", True)], ["server 'p'", "max_databases must be a whole number"], id="bool-max"),
    pytest.param([], [{"engine": "postgres", "max_databases": 3}],
                 ["db_servers[0]", "'name' is required"], id="server-without-name"),
    pytest.param([], [{"name": "x", "max_databases": 3}],
                 ["server 'x'", "'engine' is required"], id="server-without-engine"),
    pytest.param([], ["db1"], ["db_servers[0] must be a dict"], id="server-not-a-dict"),
    pytest.param([{"db_server": "a"}], [sql("a")], ["tenants[0]", "tenant name"], id="tenant-without-name"),
    pytest.param([42], [sql("a")], ["tenants[0] must be a tenant name or a dict"], id="tenant-wrong-type"),
    pytest.param([{"name": "acme", "db_server": 3}], [sql("a")],
                 ["tenant 'acme'", "db_server must be a server name"], id="tenant-bad-db-server"),
    pytest.param("acme", [sql("a")], ["input must be a list of tenants"], id="tenants-not-a-list"),
    pytest.param([], {"name": "a"}, ["db_servers must be a list"], id="servers-not-a-list"),
])
def test_errors_name_the_thing_to_fix(tenants: Any, servers: Any, patterns: list[str]) -> None:
    message = raises(tenants, servers)
    assert message.startswith("tenant_db_placement: ")
    for pattern in patterns:
        assert pattern in message, f"{pattern!r} not in {message!r}"


# --- plugin contract ---------------------------------------------------------------------------

def test_filter_module_exports_the_filter() -> None:
    assert tdp.FilterModule().filters() == {"tenant_db_placement": place}


@pytest.mark.parametrize("attr", ["DOCUMENTATION", "EXAMPLES", "RETURN"])
def test_docs_are_valid_yaml(attr: str) -> None:
    assert yaml.safe_load(getattr(tdp, attr))


def test_documented_example_matches_behaviour() -> None:
    example = yaml.safe_load(tdp.EXAMPLES)[0]["vars"]
    result = place(example["dsm_tenants"], example["dsm_db_servers"])
    # The expected result is written as a YAML comment under the example task.
    comment = re.search(r"^# dsm_tenant_placement:\n((?:#.*\n)+)", tdp.EXAMPLES, re.MULTILINE)
    assert comment is not None
    documented = yaml.safe_load("\n".join(line[2:] for line in comment.group(1).splitlines()))
    assert result == documented


def test_documented_options_match_signature() -> None:
    doc = yaml.safe_load(tdp.DOCUMENTATION)
    assert doc["name"] == "tenant_db_placement"
    assert set(doc["options"]["db_servers"]["suboptions"]) == {
        "name", "engine", "instance_class", "multi_az", "multi_az_mode", "max_databases"}
