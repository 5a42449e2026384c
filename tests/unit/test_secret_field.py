"""Unit tests for roles/dsm/filter_plugins/dsm.py (dsm_secret_field, table-driven)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

PLUGIN = Path(__file__).resolve().parents[2] / "roles" / "dsm" / "filter_plugins" / "dsm.py"
_spec = importlib.util.spec_from_file_location("dsm_filters", PLUGIN)
assert _spec is not None and _spec.loader is not None
dsm = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(dsm)


@pytest.mark.parametrize("secret, key, value", [
    ('{"username": "dsm", "password": "p@ss 1"}', "password", "p@ss 1"),
    (' \n{"activation_code": "AP-1"}', "activation_code", "AP-1"),
    # Numbers come back as text: every secret is handed on as a string.
    ('{"password": 12345}', "password", "12345"),
    # Unreadable (the look-up warned and returned nothing), not an object, no such key, empty: '' for the caller
    # to name the secret and the key.
    (None, "password", ""),
    ("", "password", ""),
    ("plain", "password", ""),
    ('{"password": ', "password", ""),
    ('["password"]', "password", ""),
    ('{"other": "x"}', "password", ""),
    ('{"password": ""}', "password", ""),
    ('{"password": null}', "password", ""),
    # A JSON string an older ansible-core turned into a mapping on the way.
    ({"username": "dsm", "password": "p@ss 1"}, "password", "p@ss 1"),
    ({"password": ""}, "password", ""),
    (["password"], "password", ""),
])
def test_a_field_is_read_as_text_or_empty(secret, key, value):
    assert dsm.dsm_secret_field(secret, key) == value
