"""The molecule platform (molecule/platform) and the checkout's slot (lab/checkout.py): two checkouts get
different docker names, subnets and ports, and every scenario's instances run as lab/instance.yml says."""

from __future__ import annotations

import importlib.util
import os
import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]


def _load(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


platform = _load("lab_platform", ROOT / "molecule" / "platform" / "filter_plugins" / "lab_platform.py")
checkout = _load("lab_checkout", ROOT / "lab" / "checkout.py")
INSTANCE = yaml.safe_load((ROOT / "lab" / "instance.yml").read_text())["lab_instance_container"]
SUBNET = [{"subnet": "10.180.106.0/24", "gateway": "10.180.106.1"}]
DB = {"name": "db", "image": "pg", "groups": ["databases"], "docker_networks": [{"name": "net", "ipam_config": SUBNET}],
      "networks": [{"name": "net", "ipv4_address": "10.180.106.21"}]}
NODE = {"name": "node-1", "image": "jre", "groups": ["managers"], "networks": [{"name": "net"}]}
PLAIN = {"name": "plain", "image": "base", "groups": ["managers"]}


def test_a_container_is_the_lab_instance_under_the_checkouts_name():
    db, node, plain = platform.lab_platform_containers([DB, NODE, PLAIN], "dsm3", INSTANCE)
    assert db == {**INSTANCE, "name": "dsm3-db", "hostname": "db", "image": "pg", "volumes": INSTANCE["volumes"],
                  "networks": [{"name": "dsm3-net", "aliases": ["db"], "ipv4_address": "10.180.106.21"}],
                  "labels": {"dsm-lab-checkout": "dsm3"}}
    # On its checkout's network a node answers to its platform name: what the inventory and the roles call it.
    assert node["networks"] == [{"name": "dsm3-net", "aliases": ["node-1"]}]
    assert "networks" not in plain and plain["command"] == "/lib/systemd/systemd"


def test_a_platforms_volumes_come_after_the_instances():
    (container,) = platform.lab_platform_containers([{**PLAIN, "volumes": ["/srv:/srv:ro"]}], "dsm0", INSTANCE)
    assert container["volumes"] == [*INSTANCE["volumes"], "/srv:/srv:ro"]


def test_networks_are_the_checkouts_with_the_declared_subnet():
    assert platform.lab_platform_networks([NODE, DB, PLAIN], "dsm3") == [
        {"name": "dsm3-net", "ipam_config": SUBNET, "labels": {"dsm-lab-checkout": "dsm3"}}]
    assert platform.lab_platform_networks([NODE], "dsm0") == [{"name": "dsm0-net", "labels": {"dsm-lab-checkout": "dsm0"}}]
    assert platform.lab_platform_networks([PLAIN], "dsm0") == []


def test_the_instance_config_gives_the_inventory_each_container():
    assert platform.lab_platform_instance_config([DB, PLAIN], "dsm1") == [
        {"instance": "db", "address": "dsm1-db", "connection": "docker"},
        {"instance": "plain", "address": "dsm1-plain", "connection": "docker"}]


# Each of the three filters the platform's playbooks call, so each one's refusal is exercised on its own.
FILTERS = {
    "networks": platform.lab_platform_networks,
    "containers": lambda platforms, checkout: platform.lab_platform_containers(platforms, checkout, INSTANCE),
    "instance_config": platform.lab_platform_instance_config,
}


@pytest.mark.parametrize("called", sorted(FILTERS))
@pytest.mark.parametrize("platforms, checkout, message", [
    ([DB], "", "LAB_CHECKOUT is not set"),
    ([{**NODE, "privileged": True}], "dsm0", "platform 'node-1': privileged not understood; a platform gives"),
])
def test_a_platform_the_lab_cannot_run_is_refused_by_name(called, platforms, checkout, message):
    with pytest.raises(platform.AnsibleFilterError, match=message):
        FILTERS[called](platforms, checkout)


def test_a_network_declared_twice_differently_is_refused():
    twice = [DB, {**NODE, "docker_networks": [{"name": "net", "ipam_config": [{"subnet": "10.9.0.0/24"}]}]}]
    with pytest.raises(platform.AnsibleFilterError, match="network 'net' is declared twice with different ipam_config"):
        platform.lab_platform_networks(twice, "dsm0")


def test_every_container_scenario_uses_the_platform_and_names_nothing_fixed():
    """No scenario redefines how an instance runs, and its networks, subnets and ports come from the checkout."""
    for path in sorted(ROOT.glob("molecule/*/molecule.yml")):
        config = yaml.safe_load(path.read_text())
        if config["driver"].get("options", {}).get("managed") is False:
            continue
        assert config["provisioner"]["playbooks"]["create"] == "../platform/create.yml", path
        assert config["provisioner"]["playbooks"]["destroy"] == "../platform/destroy.yml", path
        for entry in config["platforms"]:
            assert set(entry) <= set(platform._PLATFORM_KEYS), (path, entry["name"])


# The scenarios' subnets and ports as they were written before they came from the checkout's slot.
FIXED = re.compile(r"\b(10\.199\.\d|172\.30\.91|5011|5014|5015|5105|5106|5107)\b")


@pytest.mark.parametrize("path", sorted(p.relative_to(ROOT).as_posix() for p in ROOT.glob("molecule/**/*")
                                        if p.suffix in (".yml", ".py", ".sh") and "__pycache__" not in p.parts))
def test_no_scenario_file_names_a_fixed_subnet_or_port(path):
    for number, line in enumerate((ROOT / path).read_text().splitlines(), 1):
        assert not FIXED.search(line), f"{path}:{number}: {line.strip()} (use LAB_NET and LAB_PORTS: lab/checkout.py)"


def test_two_checkouts_lease_two_slots_and_each_keeps_its_own(tmp_path):
    leases, first, second = tmp_path / "leases", tmp_path / "a" / "main", tmp_path / "b" / "main"
    first.mkdir(parents=True)
    second.mkdir(parents=True)
    assert checkout.lease_slot(first, leases) == 0
    assert checkout.lease_slot(second, leases) == 1
    assert checkout.lease_slot(first, leases) == 0
    envs = [checkout.slot_env(slot) for slot in (0, 1)]
    for key in ("LAB_CHECKOUT", "LAB_NET", "LAB_PORTS"):
        assert envs[0][key] != envs[1][key]
    assert envs[0] == {"LAB_CHECKOUT": "dsm0", "LAB_NET": "10.180", "LAB_PORTS": "51"}


def test_the_slot_of_a_checkout_that_is_gone_is_taken_again(tmp_path):
    leases, gone, new = tmp_path / "leases", tmp_path / "gone", tmp_path / "new"
    gone.mkdir()
    new.mkdir()
    assert checkout.lease_slot(gone, leases) == 0
    gone.rmdir()
    assert checkout.lease_slot(new, leases) == 0


def test_every_slot_held_is_an_error_that_says_what_to_do(tmp_path):
    leases = tmp_path / "leases"
    for slot in range(checkout.SLOTS):
        (tmp_path / str(slot)).mkdir()
        checkout.lease_slot(tmp_path / str(slot), leases)
    (tmp_path / "one-more").mkdir()
    with pytest.raises(SystemExit, match="set LAB_SLOT to a slot that is free"):
        checkout.lease_slot(tmp_path / "one-more", leases)


@pytest.mark.parametrize("value, outcome", [("4", {"LAB_CHECKOUT": "dsm4", "LAB_NET": "10.184", "LAB_PORTS": "55"}),
                                            ("16", "out of range"), ("x", "not a slot number")])
def test_lab_slot_picks_the_slot(monkeypatch, value, outcome):
    monkeypatch.setitem(os.environ, "LAB_SLOT", value)
    if isinstance(outcome, dict):
        assert checkout.checkout_env() == outcome
    else:
        with pytest.raises(SystemExit, match=outcome):
            checkout.checkout_env()
