"""The tasks of a role's task file or of a playbook, as YAML gives them, for tests that read the suite's code."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any


def tasks(node: Any) -> Iterator[dict]:
    """Every task dict in a task file or playbook: the tasks of blocks, rescues and handlers, not the blocks."""
    if isinstance(node, list):
        for item in node:
            yield from tasks(item)
    elif isinstance(node, dict):
        for key in ("tasks", "pre_tasks", "post_tasks", "handlers", "block", "rescue", "always"):
            if key in node:
                yield from tasks(node[key])
        if not any(key in node for key in ("tasks", "pre_tasks", "block", "hosts")):
            yield node
