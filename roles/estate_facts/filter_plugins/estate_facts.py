"""What the runbook needs from the estate provision.yml made, picked from AWS's answers by tag."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ansible.errors import AnsibleFilterError

DOCUMENTATION = r"""
name: estate_facts_select
short_description: The estate's database server and target groups, from rds_instance_info and elb_target_group_info
description:
  - Keeps the target groups whose tag C(Estate) is the estate's and maps each tag C(Flow) (console, heartbeat,
    relay) to its ARN; the database server must carry the same tag.
  - Fails naming what is missing (or found twice) and the fix, so a runbook never runs against half an estate
    or another estate's resources.
positional: estate, database
options:
  _input:
    description: C({"instances": rds_instance_info.instances, "target_groups": elb_target_group_info.target_groups}).
    type: dict
    required: true
  estate:
    description: The estate's name (tag C(Estate)).
    type: str
    required: true
  database:
    description: The RDS identifier of the manager's database server, C(<estate>-<name>).
    type: str
    required: true
"""

EXAMPLES = r"""
estate_facts: "{{ {'instances': rds.instances, 'target_groups': tgs.target_groups} | estate_facts_select(estate_name, estate_name ~ '-db') }}"
"""

RETURN = r"""
_value:
  description: C({database: {identifier, endpoint, port, engine}, target_group_arns: {console, heartbeat, relay}}).
  type: dict
"""

FLOWS = ("console", "heartbeat", "relay")


def estate_facts_select(found: Mapping[str, Any], estate: str, database: str) -> dict[str, Any]:
    if not estate:
        raise AnsibleFilterError("estate_name is empty: set it in the inventory (group_vars/all/estate.yml).")
    problems: list[str] = []
    servers = [i for i in found.get("instances") or [] if i.get("db_instance_identifier") == database]
    server = servers[0] if servers else {}
    if not server:
        problems.append(f"no RDS server {database} (run provision.yml, or check estate_name and aws_database_servers)")
    elif (server.get("tags") or {}).get("Estate") != estate:
        problems.append(f"RDS server {database} is not tagged Estate={estate}: it is not this estate's")
    elif not (server.get("endpoint") or {}).get("address"):
        problems.append(f"RDS server {database} has no endpoint yet (status {server.get('db_instance_status', '?')}):"
                        " wait until it is available")

    arns: dict[str, list[str]] = {flow: [] for flow in FLOWS}
    for group in found.get("target_groups") or []:
        tags = group.get("tags") or {}
        if tags.get("Estate") == estate and tags.get("Flow") in arns:
            arns[tags["Flow"]].append(group["target_group_arn"])
    for flow, found_arns in arns.items():
        if len(found_arns) != 1:
            problems.append(f"{len(found_arns)} target groups tagged Estate={estate}, Flow={flow} (one expected;"
                            f" run provision.yml{', then remove the stray ones' if found_arns else ''})")
    if problems:
        raise AnsibleFilterError(f"The estate {estate} is not complete in AWS: " + "; ".join(problems) + ".")
    return {
        "database": {
            "identifier": database,
            "endpoint": server["endpoint"]["address"],
            "port": int(server["endpoint"].get("port") or server.get("db_instance_port") or 0),
            "engine": server.get("engine", ""),
        },
        "target_group_arns": {flow: found_arns[0] for flow, found_arns in arns.items()},
    }


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {"estate_facts_select": estate_facts_select}
