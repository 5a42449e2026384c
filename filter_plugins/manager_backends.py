"""The manager nodes as load-balancer backend servers: the name and the address each node registers with."""

from __future__ import annotations

from typing import Any

from ansible.errors import AnsibleFilterError

DOCUMENTATION = r"""
name: manager_backend_servers
short_description: Backend servers of the manager flows, one per manager node
description:
  - For every manager node's hostvars, the server the load balancer sends the node's flows to - its inventory name
    (the lb_membership role finds the node by it) and the address the node registers with the manager -
    C(manager_address) when the inventory sets it, else the node's own IPv4 (C(ansible_facts.default_ipv4)), as the
    manager role uses.
  - Fails naming the node when neither is known (gather the node's network facts first).
positional: _input
options:
  _input:
    description: Hostvars of the manager nodes, e.g. C(groups['managers'] | map('extract', hostvars)).
    type: list
    elements: dict
    required: true
"""

EXAMPLES = r"""
- name: Load balancer
  ansible.builtin.include_role:
    name: haproxy
  vars:
    haproxy_backend_servers: "{{ groups['managers'] | map('extract', hostvars) | manager_backend_servers }}"
"""

RETURN = r"""
_value:
  description: A list of dicts with C(name) and C(address), in the order of the input.
  type: list
  elements: dict
"""


def manager_backend_servers(hosts: Any) -> list[dict[str, str]]:
    servers = []
    for host in hosts or []:
        name = host["inventory_hostname"]
        address = str(host["manager_address"] if "manager_address" in host else "").strip()
        if not address:
            facts = host["ansible_facts"] if "ansible_facts" in host else {}
            address = str((facts.get("default_ipv4") or {}).get("address") or "")
        if not address:
            raise AnsibleFilterError(
                "manager_backend_servers: no address for {0}: set manager_address for it, or gather its network facts "
                "(gather_subset network) before the load balancer is configured".format(name))
        servers.append({"name": name, "address": address})
    return servers


class FilterModule:
    """Manager nodes as backend servers."""

    def filters(self) -> dict[str, Any]:
        return {"manager_backend_servers": manager_backend_servers}
