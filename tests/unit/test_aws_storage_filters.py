"""Unit tests for roles/aws_storage/filter_plugins/aws_storage.py (table-driven)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest
import yaml
from ansible.errors import AnsibleFilterError

PLUGIN = Path(__file__).resolve().parents[2] / "roles" / "aws_storage" / "filter_plugins" / "aws_storage.py"
_spec = importlib.util.spec_from_file_location("aws_storage_filters", PLUGIN)
assert _spec is not None and _spec.loader is not None
storage = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(storage)

HEAD = [{"src": "/src/playbooks/bootstrap.yml", "dest": "bootstrap.yml"},
        {"src": "/src/bootstrap.cfg", "dest": "ansible.cfg"}]
USER = "/home/me/.ansible/collections/ansible_collections"
SYSTEM = "/venv/lib/python3.11/site-packages/ansible_collections"


def parts(root: str, name: str) -> list[dict[str, str]]:
    relative = name.replace(".", "/")
    return [{"src": f"{root}/{relative}/{part}", "dest": f"collections/ansible_collections/{relative}/{part}"}
            for part in ("MANIFEST.json", "meta", "plugins")]


@pytest.mark.parametrize("roles, collections, listings, tail", [
    ([], [], [], []),
    (["baseline", "manager"], [], [],
     [{"src": "/src/roles/baseline", "dest": "roles/baseline"}, {"src": "/src/roles/manager", "dest": "roles/manager"}]),
    # The first path that has the collection wins, as ansible-playbook would pick it.
    ([], ["amazon.aws"], [json.dumps({USER: {"amazon.aws": {"version": "9.0.0"}},
                                      SYSTEM: {"amazon.aws": {"version": "8.0.0"}}})], parts(USER, "amazon.aws")),
    ([], ["amazon.aws", "community.general"],
     [json.dumps({USER: {"community.general": {}}, SYSTEM: {"amazon.aws": {}}}),
      json.dumps({USER: {"community.general": {}}})],
     parts(SYSTEM, "amazon.aws") + parts(USER, "community.general")),
])
def test_the_bundle_holds_the_playbook_the_roles_and_each_collections_plugins(roles, collections, listings, tail):
    found = storage.aws_storage_bundle_sources(roles, "/src", "/src/playbooks/bootstrap.yml", "/src/bootstrap.cfg",
                                               collections, listings)
    assert found == HEAD + tail


@pytest.mark.parametrize("collections, listings, message", [
    (["amazon.aws"], ["{}"], "collection amazon.aws of aws_storage_bootstrap_collections is not installed"),
    (["amazon.aws"], [json.dumps({USER: {"community.general": {}}})], "amazon.aws .* is not installed"),
    (["amazon.aws"], ["Starting galaxy"], "listing of amazon.aws is not JSON"),
    (["amazon.aws"], [], "1 collections but 0 listings"),
])
def test_a_collection_the_controller_lacks_is_named(collections, listings, message):
    with pytest.raises(AnsibleFilterError, match=message):
        storage.aws_storage_bundle_sources([], "/src", "/p", "/c", collections, listings)


def test_the_roles_a_bundled_role_depends_on_come_along_once(tmp_path):
    for role, dependencies in {"manager": "[dsm, {role: java_runtime}]", "java_runtime": "[dsm]",
                               "dsm": "[]", "baseline": None}.items():
        (tmp_path / "roles" / role / "meta").mkdir(parents=True)
        if dependencies is not None:
            (tmp_path / "roles" / role / "meta" / "main.yml").write_text(f"dependencies: {dependencies}\n")
    found = storage.aws_storage_bundle_sources(["baseline", "manager"], str(tmp_path), "/p", "/c", [], [])
    assert [source["dest"] for source in found[2:]] == [
        "roles/baseline", "roles/manager", "roles/dsm", "roles/java_runtime"]


def test_the_suites_bootstrap_roles_bring_the_shared_defaults():
    checkout = str(PLUGIN.parents[3])
    roles = yaml.safe_load((PLUGIN.parents[1] / "defaults" / "main.yml").read_text())["aws_storage_bootstrap_roles"]
    found = storage.aws_storage_bundle_sources(roles, checkout, "/p", "/c", [], [])
    assert {"dest": "roles/dsm", "src": f"{checkout}/roles/dsm"} in found
