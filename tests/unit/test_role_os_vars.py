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


# The names AWS documents for Amazon Linux 2023: Corretto 17 ("Amazon Corretto 17 Installation Instructions for
# Amazon Linux 2023": dnf install java-17-amazon-corretto-headless), the PostgreSQL JDBC driver and HAProxy from
# the AL2023 repository, RPM to list a package's files.
@pytest.mark.parametrize("role, wanted", [
    ("java_runtime", {"java-17-amazon-corretto-headless", "postgresql-jdbc", "rpm", "2023"}),
    ("haproxy", {"haproxy", "socat", "openssl", "2023"}),
])
def test_amazon_linux_2023_settings_name_what_aws_documents(role, wanted):
    values = yaml.safe_load((ROLES / role / "vars" / "Amazon.yml").read_text()).values()
    named = {item for value in values for item in (value if isinstance(value, list) else [value])}
    assert wanted <= named, f"{role}: Amazon.yml lacks {sorted(wanted - named)}"
