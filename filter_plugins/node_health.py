"""One line per manager node - what it runs and where it stands in the load balancers - as read, never assumed."""

from __future__ import annotations

from typing import Any, Mapping, Sequence

from ansible.errors import AnsibleFilterError

DOCUMENTATION = r"""
name: lb_membership_summary
short_description: Summarise a node's membership in every load balancer, and the estate's health one line a node
description:
  - C(lb_membership_summary) turns the rows the lb_membership role's C(status) action reads
    (C(lb_membership_status) - HAProxy backends, elbv2 target groups, classic ELBs) into one text and whether the
    node serves in every one of them (HAProxy C(UP...), target group C(healthy), classic ELB C(InService)).
  - C(node_health_lines) gives, for every node's hostvars, the manager role's reading of the node
    (C(manager_node.summary)) and its load-balancer membership, one line a node; a node without a reading says so.
  - C(health_problems) gives what playbooks/health.yml found wrong, one line a problem (empty - healthy), from the
    reading C(health_check) it leaves on every node - C(answers), C(condition) (the manager role's), C(in_rotation)
    and C(rotation) (C(lb_membership_summary)), C(database) (its port answered from the node), C(certificate_ok)
    and C(certificate_end). A node without a reading did not answer.
positional: _input
options:
  _input:
    description:
      - C(lb_membership_summary) - the rows of C(lb_membership_status).
      - C(node_health_lines) - the hostvars of every node (e.g. C(ansible_play_hosts_all | map('extract', hostvars))).
    type: list
    elements: dict
    required: true
"""

EXAMPLES = r"""
- name: Health of every node
  ansible.builtin.debug:
    msg: "{{ ansible_play_hosts_all | map('extract', hostvars) | node_health_lines }}"
  run_once: true
"""

RETURN = r"""
_value:
  description:
    - C(lb_membership_summary) - a dict, C(text) (e.g. C(be_console UP, be_heartbeat UP)) and C(serving) (bool; false
      when no row was read).
    - C(node_health_lines) - a list of strings, C(<node>: <reading> | <membership>).
    - C(health_problems) - a list of strings, C(<node>: <what is wrong>).
  type: raw
"""


def lb_membership_summary(rows: Any) -> dict[str, Any]:
    """Text and serving flag of a node's membership rows."""
    if rows is None:
        rows = []
    if not isinstance(rows, Sequence) or isinstance(rows, (str, bytes)):
        raise AnsibleFilterError("lb_membership_summary needs the list lb_membership_status, got {0!r}".format(rows))
    parts, serving = [], bool(rows)
    for row in rows:
        if not isinstance(row, Mapping):
            raise AnsibleFilterError("lb_membership_summary: each row must be a dict, got {0!r}".format(row))
        if "backend" in row:
            name, status = str(row["backend"]), str(row.get("status", "absent"))
            ok = status.startswith("UP")
        elif "group" in row:
            name, status = str(row["group"]), str(row.get("state", "absent"))
            ok = status == "healthy"
        else:
            name, ok = str(row.get("elb", "elb")), bool(row.get("in_service"))
            status = "InService" if ok else "OutOfService"
        parts.append("{0} {1}".format(name, status))
        serving = serving and ok
    return {"text": ", ".join(parts) or "not read", "serving": serving}


def node_health_lines(hosts: Any) -> list[str]:
    """One line a node: the manager role's reading and the load-balancer membership."""
    lines = []
    for host in hosts or []:
        name = host["inventory_hostname"]
        node = host["manager_node"] if "manager_node" in host else {}
        rows = host["lb_membership_status"] if "lb_membership_status" in host else []
        lines.append("{0}: {1} | {2}".format(name, (node or {}).get("summary") or "no reading (did not answer)",
                                             lb_membership_summary(rows)["text"]))
    return lines


def health_problems(hosts: Any, days: int = 30) -> list[str]:
    """One line a problem: a node that does not answer, does not serve, is out of rotation, cannot reach the
    database, or whose certificate expires within the given days."""
    problems = []
    for host in hosts or []:
        name = host["inventory_hostname"]
        check = host["health_check"] if "health_check" in host else None
        if not isinstance(check, Mapping) or not check.get("answers"):
            problems.append("{0}: does not answer".format(name))
            continue
        if check.get("condition") != "serving":
            problems.append("{0}: the manager is {1}, not serving".format(name, check.get("condition") or "not read"))
        if not check.get("in_rotation"):
            problems.append("{0}: not in rotation ({1})".format(name, check.get("rotation") or "not read"))
        if not check.get("database"):
            problems.append("{0}: the database does not answer".format(name))
        if not check.get("certificate_ok"):
            problems.append("{0}: the certificate expires within {1} days ({2})".format(
                name, days, check.get("certificate_end") or "not read"))
    return problems


class FilterModule:
    """Health of the manager nodes as read."""

    def filters(self) -> dict[str, Any]:
        return {"lb_membership_summary": lb_membership_summary, "node_health_lines": node_health_lines,
                "health_problems": health_problems}
