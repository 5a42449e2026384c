"""The check of -e variables (roles/run_inputs/action_plugins/run_inputs_extra_vars.py): which names the
suite knows, and the suggestion for a misspelt one."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PLUGIN = REPO / "roles" / "run_inputs" / "action_plugins" / "run_inputs_extra_vars.py"
_spec = importlib.util.spec_from_file_location("run_inputs_extra_vars", PLUGIN)
ri = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(ri)

KNOWN = ri.role_names([str(REPO / "roles")])


@pytest.mark.parametrize("name", [
    "manager_version",  # manager's argument spec
    "change_override_ticket", "change_window_at",  # change_window's
    "lb_membership_drain_timeout",  # lb_membership's defaults
    "rolling_upgrade_min_in_service",
])
def test_role_variables_are_known(name):
    assert name in KNOWN


@pytest.mark.parametrize("given,suggestion", [
    ("manager_verison", "manager_version"),
    ("change_overide_ticket", "change_override_ticket"),
    ("rolling_upgrade_min_inservice", "rolling_upgrade_min_in_service"),
])
def test_a_misspelt_name_is_unknown_and_the_closest_is_suggested(given, suggestion):
    assert ri.unknown_names([given], KNOWN, ["ansible_"]) == [given]
    assert ri.closest(given, KNOWN) == suggestion


def test_prefixes_and_switches_pass():
    assert ri.unknown_names(["ansible_user", "awx_job_id", "plan_only", "zzz_qqq"], KNOWN | {"plan_only"},
                            ["ansible_", "awx_"]) == ["zzz_qqq"]
    assert ri.closest("zzz_qqq", KNOWN) == ""


def test_inventory_file_variables_are_found():
    data = {"all": {"vars": {"estate_name": "x"}, "children": {"managers": {"hosts": {"m1": {"lab_az": "a"}},
                                                                             "vars": {"manager_bucket": "b"}}}}}
    assert ri._inventory_file_names(data) == {"estate_name", "lab_az", "manager_bucket"}
