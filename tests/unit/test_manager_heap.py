"""The manager's heap sizing rule (roles/manager/filter_plugins/manager_heap.py), by worked examples.

The memory figures are what the kernel reports on instances of that size (MemTotal is a little under the
instance's nominal memory); the expected heaps are worked by hand from the rule in the role's README:
half of the memory, at least 512 MB, at most 8192 MB, unless manager_heap_mb is set."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from ansible.errors import AnsibleFilterError

PLUGIN = Path(__file__).resolve().parents[2] / "roles" / "manager" / "filter_plugins" / "manager_heap.py"
_spec = importlib.util.spec_from_file_location("manager_heap", PLUGIN)
assert _spec is not None and _spec.loader is not None
heap = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(heap)

DEFAULTS = (50, 512, 8192)

CASES = [
    # (label, memory MB, percent, min, max, fixed, heap MB)
    ("1 GiB instance: half is 474, raised to the floor", 949, *DEFAULTS, 0, 512),
    ("2 GiB instance: half", 1910, *DEFAULTS, 0, 955),
    ("16 GiB instance: half", 15792, *DEFAULTS, 0, 7896),
    ("32 GiB instance: half is 15 919, lowered to the ceiling", 31838, *DEFAULTS, 0, 8192),
    ("exactly the ceiling", 16384, *DEFAULTS, 0, 8192),
    ("8 GiB instance at 75 per cent, rounded down", 7810, 75, 512, 8192, 0, 5857),
    ("an explicit heap wins over the rule", 31838, *DEFAULTS, 3072, 3072),
    ("an explicit heap wins even above the ceiling", 65000, *DEFAULTS, 12288, 12288),
    ("numbers as strings, as inventories give them", "1910", "50", "512", "8192", "0", 955),
]


@pytest.mark.parametrize("label, memory, percent, low, high, fixed, expected", CASES, ids=[c[0] for c in CASES])
def test_the_heap_follows_the_rule(label, memory, percent, low, high, fixed, expected):
    assert heap.manager_heap_mb(memory, percent, low, high, fixed) == expected


REFUSALS = [
    ("no memory reading", 0, 50, 512, 8192, "above 0 MB"),
    ("a floor above the ceiling", 4096, 50, 4096, 2048, "manager_heap_min_mb 4096 is above manager_heap_max_mb 2048"),
    ("not a number", "lots", 50, 512, 8192, "whole number"),
]


@pytest.mark.parametrize("label, memory, percent, low, high, words", REFUSALS, ids=[r[0] for r in REFUSALS])
def test_a_rule_that_cannot_give_a_heap_says_why(label, memory, percent, low, high, words):
    with pytest.raises(AnsibleFilterError, match=words):
        heap.manager_heap_mb(memory, percent, low, high)


def test_the_filter_is_registered_under_its_documented_name():
    assert heap.FilterModule().filters() == {"manager_heap_mb": heap.manager_heap_mb}
