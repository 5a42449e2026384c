"""Every OS a role supports gets the same settings: Amazon Linux vars are rendered here,
since its images cannot be run in the lab."""

from pathlib import Path

import pytest
import yaml

ROLES = Path(__file__).resolve().parents[2] / "roles"
OS_VARS = sorted(p for p in ROLES.glob("*/vars/*.yml") if p.stem != "main")
ROLES_WITH_OS_VARS = sorted({p.parts[-3] for p in OS_VARS})


@pytest.mark.parametrize("role", ROLES_WITH_OS_VARS)
def test_each_os_defines_the_same_settings(role):
    files = {p.stem: yaml.safe_load(p.read_text()) for p in OS_VARS if p.parts[-3] == role}
    assert {"Debian", "Amazon"} <= files.keys(), f"{role}: needs vars for Debian and Amazon Linux"
    keys = {os_name: set(data) for os_name, data in files.items()}
    assert len({frozenset(k) for k in keys.values()}) == 1, f"{role}: OS vars differ in keys: {keys}"


@pytest.mark.parametrize("role", ROLES_WITH_OS_VARS)
def test_no_os_setting_is_empty(role):
    for path in (p for p in OS_VARS if p.parts[-3] == role):
        for key, value in yaml.safe_load(path.read_text()).items():
            assert value not in (None, "", []), f"{path}: {key} is empty"
