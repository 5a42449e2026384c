"""Place multi-tenant databases on registered database servers within their limits."""

from __future__ import annotations

import math
from typing import Any, Mapping, Sequence

from ansible.errors import AnsibleFilterError
from ansible.module_utils.parsing.convert_bool import boolean

DOCUMENTATION = r"""
name: tenant_db_placement
short_description: Assign each tenant database to a database server without exceeding its limit
description:
  - In multi-tenant mode the manager keeps one database per tenant on a registered database server.
    This filter decides which server each tenant database goes to.
  - Existing placements (a tenant dict with O(_input[].db_server)) are kept as they are, even when unbalanced,
    because moving a tenant database is a migration, not a placement decision.
  - New tenants are placed in input order, each on the server with the most free slots (limit minus count).
    Ties go to the server listed first in O(db_servers).
  - Balancing is by free slots, not by fill ratio. The limit is a count cap, not a measure of the server's
    size (a db.m5.xlarge and a db.m5.24xlarge both take 100 databases Single-AZ), so a ratio would not share
    load by capacity either. Equal free slots keep headroom on every server, and integer arithmetic keeps
    ties exact and the result deterministic.
  - Amazon RDS for SQL Server limits user databases per instance (system databases not counted) by instance
    size and availability mode. The limit is derived from O(db_servers[].instance_class),
    O(db_servers[].multi_az) and O(db_servers[].multi_az_mode); O(db_servers[].max_databases) may only
    lower it. Other engines need O(db_servers[].max_databases).
  - Fails, placing nothing, when the tenants do not fit, with the number of additional servers still needed.
positional: _input, db_servers
options:
  _input:
    description:
      - Tenants, in the order new ones should be placed.
      - Each item is a tenant name, or a dict with C(name) and optionally C(db_server), the server that already
        holds the tenant's database.
    type: list
    elements: raw
    required: true
  db_servers:
    description: Registered database servers, in order of preference for ties.
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description: Unique server name (for example the RDS instance identifier).
        type: str
        required: true
      engine:
        description:
          - RDS engine, for example C(sqlserver-se), C(sqlserver-ee), C(sqlserver-web), C(sqlserver-ex),
            C(oracle-se2), C(postgres). Any engine starting with C(sqlserver) uses the SQL Server limits.
        type: str
        required: true
      instance_class:
        description:
          - RDS instance class, C(db.<family>.<size>). Required for SQL Server; the size picks the limit.
        type: str
      multi_az:
        description: Whether the instance is Multi-AZ. SQL Server micro, small and medium classes are Single-AZ only.
        type: bool
        default: false
      multi_az_mode:
        description: SQL Server Multi-AZ technology. Ignored for other engines and for Single-AZ.
        type: str
        choices: [mirroring, always_on]
        default: mirroring
      max_databases:
        description:
          - Maximum tenant databases on this server.
          - Required for engines other than SQL Server.
          - For SQL Server an optional lower cap; above the AWS limit is an error.
        type: int
"""

EXAMPLES = r"""
- name: Place tenant databases
  ansible.builtin.set_fact:
    dsm_tenant_placement: "{{ dsm_tenants | tenant_db_placement(dsm_db_servers) }}"
  vars:
    dsm_tenants:
      - {name: acme, db_server: sql-a}   # already placed: kept
      - globex                           # new: placed by the filter
      - initech
    dsm_db_servers:
      - {name: sql-a, engine: sqlserver-se, instance_class: db.m5.xlarge, multi_az: true}   # mirroring: 50
      - {name: sql-b, engine: sqlserver-ee, instance_class: db.r5.2xlarge, multi_az: true, multi_az_mode: always_on,
         max_databases: 50}                                                                 # AWS 75, capped
      - {name: pg-a, engine: postgres, instance_class: db.m6g.large, multi_az: true, max_databases: 40}

# dsm_tenant_placement:
#   placements: {acme: sql-a, globex: sql-b, initech: sql-a}
#   per_server:
#     sql-a: {count: 2, limit: 50, free: 48}
#     sql-b: {count: 1, limit: 50, free: 49}
#     pg-a: {count: 0, limit: 40, free: 40}
#   new: [globex, initech]

- name: Create the databases that are new in this run
  ansible.builtin.debug:
    msg: "create tenant {{ item }} on {{ dsm_tenant_placement.placements[item] }}"
  loop: "{{ dsm_tenant_placement.new }}"
"""

RETURN = r"""
_value:
  description: The placement.
  type: dict
  contains:
    placements:
      description: Server of every tenant, existing and new, in input order.
      type: dict
      sample: {acme: sql-a, globex: sql-b}
    per_server:
      description: For every server, in O(db_servers) order, its tenant count, limit and free slots after placement.
      type: dict
      sample: {sql-a: {count: 1, limit: 75, free: 74}, sql-b: {count: 1, limit: 50, free: 49}}
    new:
      description: Tenants placed by this call (those without an existing placement), in input order.
      type: list
      elements: str
      sample: [globex]
"""

# Amazon RDS for SQL Server: user databases per DB instance (system databases not counted), by size.
# Values: (Single-AZ, Multi-AZ with database mirroring, Multi-AZ with Always On); None: no Multi-AZ.
# Source: /work/shared/REFERENCE.md, from AWS "Limitations for Microsoft SQL Server DB instances".
SQLSERVER_DB_LIMITS: dict[tuple[str, ...], tuple[int, int | None, int | None]] = {
    ("micro", "small", "medium"): (30, None, None),
    ("large",): (30, 30, 30),
    ("xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge"): (100, 50, 75),
    ("24xlarge", "32xlarge"): (100, 50, 100),
}

MULTI_AZ_MODES = ("mirroring", "always_on")


def _sqlserver_limit_table() -> dict[str, dict[str, int | None]]:
    """Index SQLSERVER_DB_LIMITS by size: {size: {single_az, mirroring, always_on}}."""
    table: dict[str, dict[str, int | None]] = {}
    for sizes, (single_az, mirroring, always_on) in SQLSERVER_DB_LIMITS.items():
        for size in sizes:
            table[size] = {"single_az": single_az, "mirroring": mirroring, "always_on": always_on}
    return table


_SQLSERVER_LIMITS_BY_SIZE = _sqlserver_limit_table()


def instance_size(instance_class: str) -> str | None:
    """Return the size of an RDS instance class (``db.m5.xlarge`` -> ``xlarge``), or None if malformed.

    Extra trailing parts (optimised-CPU classes such as ``db.r5.2xlarge.tpc2.mem4x``) are ignored.
    """
    parts = instance_class.strip().lower().split(".")
    if len(parts) < 3 or parts[0] != "db" or not parts[1] or not parts[2]:
        return None
    return parts[2]


def is_sqlserver(engine: str) -> bool:
    """Return True for RDS for SQL Server engines (sqlserver-se, -ee, -web, -ex, ...)."""
    return engine.strip().lower().startswith("sqlserver")


def sqlserver_limit(name: str, instance_class: str, multi_az: bool, multi_az_mode: str) -> int:
    """Return the AWS databases-per-instance limit of one SQL Server instance.

    Raises AnsibleFilterError, naming the server, for an unknown class or an unavailable Multi-AZ setup.
    """
    size = instance_size(instance_class)
    if size is None or size not in _SQLSERVER_LIMITS_BY_SIZE:
        known = ", ".join(_SQLSERVER_LIMITS_BY_SIZE)
        raise AnsibleFilterError(
            f"tenant_db_placement: database server '{name}': unknown SQL Server instance class "
            f"'{instance_class}'; expected db.<family>.<size> with size one of {known}"
        )
    row = _SQLSERVER_LIMITS_BY_SIZE[size]
    if not multi_az:
        limit = row["single_az"]
    else:
        limit = row[multi_az_mode]
        if limit is None:
            raise AnsibleFilterError(
                f"tenant_db_placement: database server '{name}': RDS for SQL Server does not offer Multi-AZ "
                f"on {instance_class} ({size} is Single-AZ only); set multi_az: false or use a large "
                f"or bigger instance class"
            )
    assert limit is not None
    return limit


def _to_int(value: Any) -> int | None:
    """Return value as an int if it is a non-negative integer (or a string of digits), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value >= 0 else None
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def _require_str(server: Mapping[str, Any], key: str, where: str) -> str:
    """Return server[key] as a non-empty string or raise naming the key."""
    value = server.get(key)
    if not isinstance(value, str) or not value.strip():
        raise AnsibleFilterError(f"tenant_db_placement: {where}: '{key}' is required (a non-empty string)")
    return value.strip()


def server_limit(server: Mapping[str, Any], index: int) -> tuple[str, int]:
    """Validate one db_servers item and return (name, databases limit)."""
    if not isinstance(server, Mapping):
        raise AnsibleFilterError(
            f"tenant_db_placement: db_servers[{index}] must be a dict with name, engine, instance_class, "
            f"got {type(server).__name__}"
        )
    name = _require_str(server, "name", f"db_servers[{index}]")
    where = f"database server '{name}'"
    engine = _require_str(server, "engine", where)

    raw_max = server.get("max_databases")
    max_databases = None if raw_max is None else _to_int(raw_max)
    if raw_max is not None and max_databases is None:
        raise AnsibleFilterError(
            f"tenant_db_placement: {where}: max_databases must be a whole number >= 0, got {raw_max!r}"
        )

    if not is_sqlserver(engine):
        if max_databases is None:
            raise AnsibleFilterError(
                f"tenant_db_placement: {where}: engine '{engine}' has no built-in databases limit; "
                f"set max_databases on this server"
            )
        return name, max_databases

    instance_class = _require_str(server, "instance_class", where)
    try:
        multi_az = boolean(server.get("multi_az") or False, strict=True)
    except TypeError as exc:
        raise AnsibleFilterError(
            f"tenant_db_placement: {where}: multi_az must be true or false, got {server.get('multi_az')!r}"
        ) from exc
    mode = server.get("multi_az_mode") or "mirroring"
    if mode not in MULTI_AZ_MODES:
        raise AnsibleFilterError(
            f"tenant_db_placement: {where}: multi_az_mode must be one of {', '.join(MULTI_AZ_MODES)}, got {mode!r}"
        )
    aws_limit = sqlserver_limit(name, instance_class, multi_az, mode)
    if max_databases is None:
        return name, aws_limit
    if max_databases > aws_limit:
        raise AnsibleFilterError(
            f"tenant_db_placement: {where}: max_databases {max_databases} is above the RDS for SQL Server "
            f"limit of {aws_limit} for {instance_class} ({_mode_label(multi_az, mode)}); "
            f"set max_databases to {aws_limit} or less, or remove it"
        )
    return name, max_databases


def _mode_label(multi_az: bool, mode: str) -> str:
    """Human label for an availability mode."""
    if not multi_az:
        return "Single-AZ"
    return "Multi-AZ with " + ("database mirroring" if mode == "mirroring" else "Always On")


def _tenant(item: Any, index: int) -> tuple[str, str | None]:
    """Validate one tenants item and return (name, existing server or None)."""
    if isinstance(item, str):
        name, existing = item, None
    elif isinstance(item, Mapping):
        name, existing = item.get("name"), item.get("db_server")
    else:
        raise AnsibleFilterError(
            f"tenant_db_placement: tenants[{index}] must be a tenant name or a dict with name "
            f"(and optionally db_server), got {type(item).__name__}"
        )
    if not isinstance(name, str) or not name.strip():
        raise AnsibleFilterError(f"tenant_db_placement: tenants[{index}]: tenant name is missing or empty")
    if existing is not None and not isinstance(existing, str):
        raise AnsibleFilterError(
            f"tenant_db_placement: tenant '{name}': db_server must be a server name, got {existing!r}"
        )
    return name.strip(), (existing.strip() or None) if existing else None


def _plural(count: int, singular: str, plural: str) -> str:
    """Return '1 database' / '2 databases'."""
    return f"{count} {singular if count == 1 else plural}"


def tenant_db_placement(tenants: Sequence[Any], db_servers: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Assign each tenant database to a database server without exceeding the server's limit.

    Existing placements are kept; new tenants go, in input order, to the server with the most free
    slots (ties: first in db_servers). Raises AnsibleFilterError on invalid input or when the tenants
    do not fit, naming what to fix. Nothing is partially placed: it returns the whole result or fails.
    """
    if not isinstance(tenants, Sequence) or isinstance(tenants, (str, bytes)):
        raise AnsibleFilterError("tenant_db_placement: input must be a list of tenants")
    if not isinstance(db_servers, Sequence) or isinstance(db_servers, (str, bytes)):
        raise AnsibleFilterError("tenant_db_placement: db_servers must be a list of database servers")

    limits: dict[str, int] = {}
    for index, server in enumerate(db_servers):
        name, limit = server_limit(server, index)
        if name in limits:
            raise AnsibleFilterError(
                f"tenant_db_placement: database server '{name}' is listed more than once in db_servers; "
                f"server names must be unique"
            )
        limits[name] = limit
    order = {name: index for index, name in enumerate(limits)}

    parsed: list[tuple[str, str | None]] = []
    seen: set[str] = set()
    for index, item in enumerate(tenants):
        name, existing = _tenant(item, index)
        if name in seen:
            raise AnsibleFilterError(
                f"tenant_db_placement: tenant '{name}' is listed more than once; tenant names must be unique"
            )
        seen.add(name)
        parsed.append((name, existing))

    counts = {name: 0 for name in limits}
    placements: dict[str, str] = {}
    for name, existing in parsed:
        if existing is None:
            continue
        if existing not in limits:
            known = ", ".join(limits) or "none"
            raise AnsibleFilterError(
                f"tenant_db_placement: tenant '{name}' is placed on database server '{existing}', which is not "
                f"in db_servers (known: {known}); add '{existing}' to db_servers or correct the tenant's db_server"
            )
        counts[existing] += 1
        placements[name] = existing

    for server, count in counts.items():
        if count > limits[server]:
            raise AnsibleFilterError(
                f"tenant_db_placement: database server '{server}' already holds {count} tenant databases but its "
                f"limit is {limits[server]}; move {count - limits[server]} of them to another server, or raise "
                f"its limit (a bigger instance class, Always On instead of mirroring, or max_databases)"
            )

    new = [name for name, existing in parsed if existing is None]
    free_total = sum(limits[s] - counts[s] for s in limits)
    if len(new) > free_total:
        _raise_capacity(len(new) - free_total, limits, db_servers)

    for name in new:
        # Most free slots first; ties by position in db_servers, then by name.
        target = min(limits, key=lambda s: (-(limits[s] - counts[s]), order[s], s))
        counts[target] += 1
        placements[name] = target

    return {
        "placements": {name: placements[name] for name, _ in parsed},
        "per_server": {
            s: {"count": counts[s], "limit": limits[s], "free": limits[s] - counts[s]} for s in limits
        },
        "new": new,
    }


def _raise_capacity(missing: int, limits: Mapping[str, int], db_servers: Sequence[Mapping[str, Any]]) -> None:
    """Raise the capacity error: how many tenant databases do not fit and how many servers to add."""
    what = f"{_plural(missing, 'tenant database does', 'tenant databases do')} not fit"
    largest = max(limits.values(), default=0)
    if largest == 0:
        raise AnsibleFilterError(
            f"tenant_db_placement: {what}: db_servers has no server that accepts tenant databases; "
            f"add a database server (with max_databases above 0 for engines other than SQL Server)"
        )
    servers = math.ceil(missing / largest)
    raisable = [
        s["name"].strip() for s in db_servers
        if s.get("max_databases") is not None and not _at_aws_limit(s, limits)
    ]
    hint = f" or raise max_databases on {', '.join(raisable)}" if raisable else ""
    raise AnsibleFilterError(
        f"tenant_db_placement: {what}: add {servers} more database "
        f"{'server' if servers == 1 else 'servers'} (limit {largest} each){hint}"
    )


def _at_aws_limit(server: Mapping[str, Any], limits: Mapping[str, int]) -> bool:
    """True if a SQL Server's max_databases already equals its AWS limit (so raising it is not an option)."""
    if not is_sqlserver(server["engine"]):
        return False
    name = server["name"].strip()
    aws_limit = sqlserver_limit(
        name,
        server["instance_class"],
        boolean(server.get("multi_az") or False, strict=True),
        server.get("multi_az_mode") or "mirroring",
    )
    return limits[name] >= aws_limit


class FilterModule:
    """Ansible filters for multi-tenant database placement."""

    def filters(self) -> dict[str, Any]:
        """Map filter names to functions."""
        return {"tenant_db_placement": tenant_db_placement}
