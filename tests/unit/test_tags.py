"""One tag vocabulary across the suite (README, "Tags"): a role's name selects the whole role where a playbook
applies it, `<role>-<phase>` one phase of its tasks, and `always` what must run whatever the selection."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from tests.support.task_files import tasks


REPO = Path(__file__).resolve().parents[2]
PHASES = ("install", "config", "upload")
ROLE_FILES = sorted([*REPO.glob("roles/*/tasks/*.yml"), *REPO.glob("roles/*/handlers/*.yml")])
PLAYBOOKS = sorted(REPO.glob("playbooks/**/*.yml"))


def tags(node: dict) -> list[str]:
    given = node.get("tags") or []
    return [given] if isinstance(given, str) else [str(tag) for tag in given]


@pytest.mark.parametrize("path", [p.relative_to(REPO).as_posix() for p in ROLE_FILES])
def test_a_roles_tasks_are_tagged_with_its_own_phases_or_always(path):
    role = Path(path).parts[1]
    allowed = {"always", *(f"{role}-{phase}" for phase in PHASES)}
    for task in tasks(yaml.safe_load((REPO / path).read_text()), blocks=True):
        stray = set(tags(task)) - allowed
        assert not stray, f"{path}: '{task.get('name')}' is tagged {sorted(stray)}; use one of {sorted(allowed)}"


def applied_roles():
    for path in PLAYBOOKS:
        for play in yaml.safe_load(path.read_text()) or []:
            for entry in play.get("roles") or []:
                entry = {"role": entry} if isinstance(entry, str) else entry
                yield path.relative_to(REPO).as_posix(), entry.get("role") or entry.get("name"), tags(entry)


APPLIED = list(applied_roles())


def test_the_playbooks_apply_roles_at_all():
    assert len(APPLIED) > 10


# The playbooks an operator runs a part of; the others apply their roles whole.
SELECTABLE = ("playbooks/provision.yml", "playbooks/site.yml")


@pytest.mark.parametrize("path, role, given", APPLIED, ids=[f"{a[0]}: {a[1]}" for a in APPLIED])
def test_a_playbook_tags_a_role_with_its_name(path, role, given):
    allowed = [[role]] if path in SELECTABLE else [[], [role]]
    assert given in allowed, f"{path}: role {role} is tagged {given}; tag it [{role}]"


@pytest.mark.parametrize("path", [p.relative_to(REPO).as_posix() for p in PLAYBOOKS])
def test_a_playbooks_own_plays_blocks_and_tasks_are_tagged_always_or_not_at_all(path):
    for play in yaml.safe_load((REPO / path).read_text()) or []:
        sections = [play.get(key) for key in ("pre_tasks", "tasks", "post_tasks", "handlers")]
        for node in [play, *tasks(sections, blocks=True)]:
            assert set(tags(node)) <= {"always"}, f"{path}: '{node.get('name')}' is tagged {tags(node)}"
