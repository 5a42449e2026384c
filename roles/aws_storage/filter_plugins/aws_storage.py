# -*- coding: utf-8 -*-
"""What goes into the bootstrap bundle, decided in one place."""

from __future__ import annotations

DOCUMENTATION = r"""
name: aws_storage_bundle_sources
short_description: The files of the bootstrap bundle, as the aws_storage_bundle module takes them
description:
  - Lists every C({src, dest}) of the bootstrap bundle a node runs at first boot - the playbook as C(bootstrap.yml),
    its C(ansible.cfg), each role of O(roles) from the checkout, and of each collection of O(collections) its
    C(MANIFEST.json), C(meta/) and C(plugins/) (no tests, docs or changelogs).
  - Each collection is taken from the first collections path that has it, as ansible-playbook would pick it,
    reading the output of C(ansible-galaxy collection list <name> --format json) (O(listings)).
  - Fails naming the collection when the controller does not have it.
positional: _input, checkout, playbook, cfg, collections, listings
options:
  _input:
    description: Roles to pack (C(aws_storage_bootstrap_roles)); their dependencies come along.
    type: list
    elements: str
    required: true
  checkout:
    description: The suite's checkout on the controller; roles are read from its C(roles/).
    type: path
    required: true
  playbook:
    description: The playbook the node runs, packed as C(bootstrap.yml).
    type: path
    required: true
  cfg:
    description: The bundle's Ansible configuration, packed as C(ansible.cfg).
    type: path
    required: true
  collections:
    description: Collections to pack (C(aws_storage_bootstrap_collections)), C(namespace.name).
    type: list
    elements: str
    required: true
  listings:
    description: For each of O(collections), in the same order, the JSON that ansible-galaxy printed.
    type: list
    elements: str
    required: true
"""

EXAMPLES = r"""
- name: Bootstrap bundle is built
  aws_storage_bundle:
    path: /tmp/bootstrap.tar.gz
    sources: >-
      {{ aws_storage_bootstrap_roles | aws_storage_bundle_sources(__aws_storage_checkout, __aws_storage_bootstrap_playbook,
         __aws_storage_bootstrap_cfg, aws_storage_bootstrap_collections,
         __aws_storage_collections.results | map(attribute='stdout') | list) }}
"""

RETURN = r"""
_value:
  description: The sources in bundle order - playbook, configuration, roles, then collections.
  type: list
  elements: dict
  sample:
    - {src: /src/playbooks/bootstrap.yml, dest: bootstrap.yml}
    - {src: /src/roles/aws_storage/files/bootstrap.cfg, dest: ansible.cfg}
    - {src: /src/roles/manager, dest: roles/manager}
    - {src: /src/roles/dsm, dest: roles/dsm}
    - {src: /home/me/.ansible/collections/ansible_collections/amazon/aws/plugins,
       dest: collections/ansible_collections/amazon/aws/plugins}
"""

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml
from ansible.errors import AnsibleFilterError

# What a node needs of a collection to run its plugins.
COLLECTION_PARTS = ("MANIFEST.json", "meta", "plugins")


def _collection_root(name: str, listing: Any) -> str:
    """The first collections path (.../ansible_collections) in ansible-galaxy's listing that has ``name``."""
    try:
        paths = json.loads(listing) if isinstance(listing, (str, bytes)) else listing
    except ValueError as error:
        raise AnsibleFilterError(f"aws_storage_bundle_sources: ansible-galaxy's listing of {name} is not JSON: {error}")
    for path, found in (paths or {}).items() if isinstance(paths, Mapping) else []:
        if isinstance(found, Mapping) and name in found:
            return path
    raise AnsibleFilterError(
        f"aws_storage_bundle_sources: collection {name} of aws_storage_bootstrap_collections is not installed on the"
        f" controller: ansible-galaxy collection install -r requirements.yml"
    )


def _with_dependencies(roles: Sequence[str], checkout: str) -> list[str]:
    """``roles`` in order, each followed by the roles its meta/main.yml depends on, recursively; each role once.

    A node runs the bundle's playbook offline, so a dependency left out fails there, not here.
    """
    packed: list[str] = []

    def add(role: str) -> None:
        if role in packed:
            return
        packed.append(role)
        meta = Path(checkout, "roles", role, "meta", "main.yml")
        try:
            dependencies = (yaml.safe_load(meta.read_text()) or {}).get("dependencies") or []
        except FileNotFoundError:
            return
        except yaml.YAMLError as error:
            raise AnsibleFilterError(f"aws_storage_bundle_sources: {meta} is not YAML: {error}")
        for dependency in dependencies:
            add(dependency if isinstance(dependency, str) else dependency.get("role") or dependency["name"])

    for role in roles:
        add(role)
    return packed


def aws_storage_bundle_sources(roles: Sequence[str], checkout: str, playbook: str, cfg: str,
                               collections: Sequence[str], listings: Sequence[Any]) -> list[dict[str, str]]:
    """Every {src, dest} of the bootstrap bundle: playbook, configuration, roles, then each collection's parts."""
    if len(collections) != len(listings):
        raise AnsibleFilterError(
            f"aws_storage_bundle_sources: {len(collections)} collections but {len(listings)} listings;"
            " give one ansible-galaxy listing per collection, in the same order"
        )
    sources = [{"src": playbook, "dest": "bootstrap.yml"}, {"src": cfg, "dest": "ansible.cfg"}]
    sources += [{"src": f"{checkout}/roles/{role}", "dest": f"roles/{role}"} for role in _with_dependencies(roles, checkout)]
    for name, listing in zip(collections, listings):
        relative = name.replace(".", "/")
        root = _collection_root(name, listing)
        sources += [{"src": f"{root}/{relative}/{part}", "dest": f"collections/ansible_collections/{relative}/{part}"}
                    for part in COLLECTION_PARTS]
    return sources


class FilterModule:
    """Ansible entry point."""

    def filters(self) -> dict[str, Any]:
        """Map filter names to functions."""
        return {"aws_storage_bundle_sources": aws_storage_bundle_sources}
