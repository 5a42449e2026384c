"""Every role README's Variables section is what its argument specs say (tools/role_variables.py)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("role_variables", REPO / "tools" / "role_variables.py")
role_variables = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(role_variables)


def test_every_role_readme_lists_exactly_its_argument_specs():
    stale = role_variables.stale_readmes(write=False)
    assert not stale, f"not current (run python tools/role_variables.py): {[str(p.relative_to(REPO)) for p in stale]}"


def test_every_option_of_every_role_is_in_its_readme():
    import yaml

    for specs_file in sorted(REPO.glob("roles/*/meta/argument_specs.yml")):
        readme = (specs_file.parents[1] / "README.md").read_text()
        for entry in yaml.safe_load(specs_file.read_text())["argument_specs"].values():
            for option in entry.get("options") or {}:
                assert f"`{option}`" in readme, f"{specs_file.parents[1].name}: {option}"
