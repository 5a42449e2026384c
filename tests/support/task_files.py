"""The tasks of a role's task file or of a playbook, as YAML gives them, for tests that read the suite's code."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any


def tasks(node: Any, blocks: bool = False) -> Iterator[dict]:
    """Every task dict in a task file or playbook: the tasks of blocks, rescues and handlers; the blocks
    themselves too with ``blocks`` (a block's own keywords, such as its tags, count as well)."""
    if isinstance(node, list):
        for item in node:
            yield from tasks(item, blocks)
    elif isinstance(node, dict):
        if blocks and "block" in node:
            yield node
        for key in ("tasks", "pre_tasks", "post_tasks", "handlers", "block", "rescue", "always"):
            if key in node:
                yield from tasks(node[key], blocks)
        if not any(key in node for key in ("tasks", "pre_tasks", "block", "hosts")):
            yield node
