# -*- coding: utf-8 -*-
"""The manager's JVM heap for a host: the sizing rule of the role's README, in one place."""

from __future__ import annotations

DOCUMENTATION = r"""
name: manager_heap_mb
short_description: The manager's JVM heap (-Xmx, MB) for a host of a given memory
description:
  - Returns O(fixed) when it is above 0 (an operator's explicit heap).
  - Otherwise O(percent) per cent of the host's memory O(_input), rounded down to a whole MB, then raised to
    O(minimum) and lowered to O(maximum).
  - Fails on a memory size that is not a positive number, or on O(minimum) above O(maximum).
positional: _input, percent, minimum, maximum, fixed
options:
  _input:
    description: The host's memory in MB (C(ansible_facts.memtotal_mb)).
    type: int
    required: true
  percent:
    description: Share of the memory the heap gets, 1 to 100.
    type: int
    required: true
  minimum:
    description: Smallest heap the rule gives (MB).
    type: int
    required: true
  maximum:
    description: Largest heap the rule gives (MB).
    type: int
    required: true
  fixed:
    description: An explicit heap (MB); 0 uses the rule.
    type: int
    default: 0
"""

EXAMPLES = r"""
# A 16 GiB instance (m6i.xlarge) with the defaults: half of 15 792 MB (what the kernel reports) is 7 896 MB.
__manager_heap_mb: >-
  {{ ansible_facts['memtotal_mb'] | manager_heap_mb(manager_heap_percent, manager_heap_min_mb, manager_heap_max_mb,
     manager_heap_mb) }}
"""

RETURN = r"""
_value:
  description: The heap in MB.
  type: int
"""

from typing import Any

from ansible.errors import AnsibleFilterError


def manager_heap_mb(memtotal_mb: Any, percent: Any, minimum: Any, maximum: Any, fixed: Any = 0) -> int:
    """The heap in MB: ``fixed`` when above 0, else ``percent`` of the memory clamped to minimum..maximum."""
    try:
        memory, share, low, high, explicit = (int(v) for v in (memtotal_mb, percent, minimum, maximum, fixed))
    except (TypeError, ValueError) as err:
        raise AnsibleFilterError(f"manager_heap_mb: every argument is a whole number of MB or per cent ({err})") from err
    if explicit > 0:
        return explicit
    if memory <= 0:
        raise AnsibleFilterError(f"manager_heap_mb: the host's memory must be above 0 MB, not {memory}")
    if low > high:
        raise AnsibleFilterError(f"manager_heap_mb: manager_heap_min_mb {low} is above manager_heap_max_mb {high}")
    return min(max(memory * share // 100, low), high)


class FilterModule:
    """Ansible entry point."""

    def filters(self) -> dict[str, Any]:
        """Map filter names to functions."""
        return {"manager_heap_mb": manager_heap_mb}
