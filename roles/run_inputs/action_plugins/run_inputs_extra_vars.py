# -*- coding: utf-8 -*-
"""Refuse command-line variables that nothing in the suite reads, naming the closest known one."""

from __future__ import annotations

DOCUMENTATION = r"""
module: run_inputs_extra_vars
short_description: Check that every variable given with -e is one the suite knows
description:
  - Action plugin of the run_inputs role; runs on the controller.
  - Reads the names given on the command line (C(-e name=value), C(-e '{json}'), C(-e @file)) and fails when one is
    unknown, naming the closest known name. A misspelt name would otherwise be silently ignored, and the run would go
    ahead on the inventory's value (C(-e manager_verison=20.0.913) upgrading nothing and reporting success).
  - Known names are - every option of every role's C(meta/argument_specs.yml) and every variable of its
    C(defaults/main.yml) (all roles in the roles path); every variable the inventory defines (its host and group
    files next to each inventory source, and the variables inside the inventory files); the run switches of the
    playbooks (O(switches)); and names with a prefix in O(prefixes) (Ansible's own, AWX's).
  - Changes nothing; runs in check mode.
options:
  switches:
    description: Variables the playbooks themselves read, with a one-line description each (shown in the refusal).
    type: dict
    default: {}
  prefixes:
    description: Name prefixes always accepted.
    type: list
    elements: str
    default: [ansible_, awx_, tower_, molecule_]
"""

EXAMPLES = r"""
- name: Every -e variable is one the suite knows
  run_inputs_extra_vars:
    switches: {plan_only: "print the plan and stop"}
"""

RETURN = r"""
given:
  description: The names given with -e.
  type: list
  returned: always
unknown:
  description: Names given with -e that nothing reads (the run fails when there is any).
  type: list
  returned: always
"""

import difflib
import os
from pathlib import Path
from typing import Any, Iterable, Mapping

from ansible import constants as C
from ansible.errors import AnsibleError
from ansible.plugins.action import ActionBase
from ansible.utils.vars import load_extra_vars

YAML_SUFFIXES = ("", ".yml", ".yaml", ".json")


def _yaml_files(directory: Path) -> Iterable[Path]:
    if directory.is_file():
        yield directory
    elif directory.is_dir():
        for path in sorted(directory.rglob("*")):
            if path.is_file() and path.suffix in YAML_SUFFIXES and not path.name.startswith("."):
                yield path


def _inventory_file_names(data: Any) -> set[str]:
    """Variable names inside a YAML inventory: every group's `vars` and every host's variables."""
    names: set[str] = set()
    if not isinstance(data, Mapping):
        return names
    for group in data.values():
        if not isinstance(group, Mapping):
            continue
        names.update((group.get("vars") or {}).keys() if isinstance(group.get("vars"), Mapping) else ())
        for host_vars in (group.get("hosts") or {}).values() if isinstance(group.get("hosts"), Mapping) else ():
            if isinstance(host_vars, Mapping):
                names.update(host_vars.keys())
        if isinstance(group.get("children"), Mapping):
            names |= _inventory_file_names(group["children"])
    return names


def role_names(roles_paths: Iterable[str]) -> set[str]:
    """Every argument-spec option and every default of every role."""
    import yaml  # PyYAML ships with ansible-core

    names: set[str] = set()
    for roles_path in roles_paths:
        for role in sorted(Path(roles_path).glob("*")) if Path(roles_path).is_dir() else ():
            defaults = role / "defaults" / "main.yml"
            if defaults.is_file():
                names.update((yaml.safe_load(defaults.read_text()) or {}).keys())
            specs = role / "meta" / "argument_specs.yml"
            if specs.is_file():
                entry_points = (yaml.safe_load(specs.read_text()) or {}).get("argument_specs") or {}
                for entry in entry_points.values():
                    names.update((entry or {}).get("options") or {})
    return names


def closest(name: str, known: Iterable[str]) -> str:
    """The known name a misspelt one most likely meant; empty when none is close."""
    match = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.75)
    return match[0] if match else ""


def unknown_names(given: Iterable[str], known: set[str], prefixes: Iterable[str]) -> list[str]:
    prefixes = tuple(prefixes)
    return sorted(n for n in given if n not in known and not n.startswith(prefixes))


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False

    def _inventory_names(self, task_vars: Mapping[str, Any]) -> set[str]:
        names: set[str] = set()
        hostvars = task_vars.get("hostvars", {})
        sources = {task_vars.get("playbook_dir", "")}
        for host in hostvars:
            sources.add(hostvars.raw_get(host).get("inventory_dir") or "")
        for source in filter(None, sources):
            base = Path(source)
            for sub in ("group_vars", "host_vars"):
                for path in _yaml_files(base / sub):
                    data = self._loader.load_from_file(str(path)) or {}
                    if isinstance(data, Mapping):
                        names.update(data.keys())
            for path in base.glob("*"):
                if path.is_file() and path.suffix in (".yml", ".yaml"):
                    try:
                        names |= _inventory_file_names(self._loader.load_from_file(str(path)))
                    except AnsibleError:
                        continue
        return names

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        task_vars = task_vars or {}
        switches = dict(self._task.args.get("switches") or {})
        prefixes = list(self._task.args.get("prefixes") or ["ansible_", "awx_", "tower_", "molecule_"])
        given = sorted(load_extra_vars(self._loader).keys())
        result.update(changed=False, given=given, unknown=[])
        if not given:
            return result
        roles_paths = [p for p in C.DEFAULT_ROLES_PATH if os.path.isdir(p)]
        playbook_dir = task_vars.get("playbook_dir", "")
        if playbook_dir:
            roles_paths += [os.path.join(playbook_dir, "roles"), os.path.join(os.path.dirname(playbook_dir), "roles")]
        known = role_names(roles_paths) | self._inventory_names(task_vars) | set(switches)
        unknown = unknown_names(given, known, prefixes)
        result["unknown"] = unknown
        if unknown:
            hints = []
            for name in unknown:
                guess = closest(name, known)
                hints.append("{0} (did you mean {1}?)".format(name, guess) if guess else name)
            result["failed"] = True
            result["msg"] = (
                "Unknown variable(s) given with -e: {0}. No role, playbook or inventory of this suite reads them, so the "
                "run would go ahead without them. Correct the name or drop it. Nothing was changed.".format("; ".join(hints)))
        return result
