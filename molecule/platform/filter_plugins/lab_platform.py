# -*- coding: utf-8 -*-
"""A molecule scenario's platforms as this checkout's docker networks and containers (molecule/platform)."""

from __future__ import annotations

DOCUMENTATION = r"""
name: lab_platform_containers
short_description: A scenario's platforms as the docker containers and networks of one checkout
description:
  - A platform of a scenario's molecule.yml gives its C(name), C(image) and C(groups), and optionally C(networks)
    (each a C(name) and an C(ipv4_address)) and C(docker_networks) (a network's C(name) and C(ipam_config), for a
    network whose addresses matter). A network a platform joins but no platform declares gets docker's own subnet.
  - Docker's names carry the checkout's prefix O(checkout) (lab/checkout.py) so two checkouts run the same scenario
    side by side. A container is C(<checkout>-<name>), and on its network, C(<checkout>-<network>), it also answers
    to its platform name, which is its host name too: what the inventory and the roles call it.
  - C(lab_platform_containers) merges each platform into O(instance), how every lab instance runs (lab/instance.yml).
    A platform's C(volumes) are added to the instance's.
  - C(lab_platform_networks) lists the networks to create; C(lab_platform_instance_config) is molecule's instance
    config, which gives the inventory each host's container (C(ansible_host)) and the docker connection.
positional: _input, checkout, instance
options:
  _input:
    description: The scenario's platforms, C(molecule_yml.platforms).
    type: list
    elements: dict
    required: true
  checkout:
    description: The checkout's prefix, C(LAB_CHECKOUT).
    type: str
    required: true
  instance:
    description: The settings every lab instance runs with (C(lab_instance_container)); C(lab_platform_containers) only.
    type: dict
"""

EXAMPLES = r"""
- name: Scenario instances
  community.docker.docker_container:
    name: "{{ item.name }}"
    image: "{{ item.image }}"
    networks: "{{ item.networks | default(omit) }}"
    state: started
    # ... and the rest of the item's keys (molecule/platform/create.yml)
  loop: "{{ molecule_yml.platforms | lab_platform_containers(lookup('env', 'LAB_CHECKOUT'), lab_instance_container) }}"
"""

RETURN = r"""
_value:
  description: Keyword arguments of C(docker_container) or C(docker_network) per item, or molecule's instance config.
  type: list
  elements: dict
"""

from collections.abc import Mapping, Sequence
from typing import Any

from ansible.errors import AnsibleFilterError

_PLATFORM_KEYS = ("name", "image", "groups", "networks", "docker_networks", "volumes")


def _named(checkout: str, name: str) -> str:
    if not checkout:
        raise AnsibleFilterError('LAB_CHECKOUT is not set: run make test, or eval "$(lab/checkout.py)" before molecule.')
    return f"{checkout}-{name}"


def _platforms(platforms: Sequence[Mapping[str, Any]]) -> Sequence[Mapping[str, Any]]:
    for platform in platforms:
        unknown = sorted(set(platform) - set(_PLATFORM_KEYS))
        if unknown:
            raise AnsibleFilterError(
                f"platform {platform.get('name')!r}: {', '.join(unknown)} not understood; a platform gives"
                f" {', '.join(_PLATFORM_KEYS)}, and lab/instance.yml says how every lab instance runs."
            )
    return platforms


def lab_platform_networks(platforms: Sequence[Mapping[str, Any]], checkout: str) -> list[dict[str, Any]]:
    """One docker_network argument set per network the platforms join, in the order they first name it."""
    declared: dict[str, Any] = {}
    for platform in _platforms(platforms):
        for network in platform.get("docker_networks", []):
            if declared.setdefault(network["name"], network.get("ipam_config")) != network.get("ipam_config"):
                raise AnsibleFilterError(f"network {network['name']!r} is declared twice with different ipam_config.")
    names = dict.fromkeys(
        [network["name"] for platform in platforms for network in platform.get("networks", [])] + list(declared)
    )
    return [
        {"name": _named(checkout, name), **({"ipam_config": declared[name]} if declared.get(name) else {}),
         "labels": {"dsm-lab-checkout": checkout}}
        for name in names
    ]


def lab_platform_containers(
    platforms: Sequence[Mapping[str, Any]], checkout: str, instance: Mapping[str, Any]
) -> list[dict[str, Any]]:
    """One docker_container argument set per platform: the lab instance's settings, its image, names and networks."""
    containers = []
    for platform in _platforms(platforms):
        networks = [
            {"name": _named(checkout, network["name"]), "aliases": [platform["name"]],
             **({"ipv4_address": network["ipv4_address"]} if network.get("ipv4_address") else {})}
            for network in platform.get("networks", [])
        ]
        containers.append({
            **instance,
            "name": _named(checkout, platform["name"]),
            "hostname": platform["name"],
            "image": platform["image"],
            "volumes": [*instance.get("volumes", []), *platform.get("volumes", [])],
            **({"networks": networks} if networks else {}),
            "labels": {"dsm-lab-checkout": checkout},
        })
    return containers


def lab_platform_instance_config(platforms: Sequence[Mapping[str, Any]], checkout: str) -> list[dict[str, str]]:
    """Molecule's instance config: each platform's container, reached with the docker connection by its short name.

    The short name ``docker`` (not community.docker.docker) is the one Mitogen's strategy takes over.
    """
    return [
        {"instance": platform["name"], "address": _named(checkout, platform["name"]), "connection": "docker"}
        for platform in _platforms(platforms)
    ]


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {
            "lab_platform_networks": lab_platform_networks,
            "lab_platform_containers": lab_platform_containers,
            "lab_platform_instance_config": lab_platform_instance_config,
        }
