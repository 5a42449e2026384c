# -*- coding: utf-8 -*-
"""How the suite reads a field of a Secrets Manager secret, in one place (manager, postgresql, bootstrap.yml)."""

from __future__ import annotations

DOCUMENTATION = r"""
name: dsm_secret_field
short_description: One field of a Secrets Manager secret's JSON, as text, or '' when it cannot be read
description:
  - Takes what the C(amazon.aws.secretsmanager_secret) look-up returned for a secret (its C(SecretString)) and
    returns the field O(key) of its JSON object as text. A mapping is read as the parsed object.
  - Returns C('') when the secret could not be read (the look-up ran with C(errors=warn) and returned nothing), is
    not a JSON object, lacks the field, or the field is empty. The caller names the secret and the field then;
    the value itself is never part of any message.
  - The caller keeps the look-up's raw result only to tell "could not be read" (C(None)) from "no such field";
    ansible-core 2.14/2.15 turn a JSON string kept in a variable into a mapping, which is read the same.
positional: _input, key
options:
  _input:
    description: The secret's string as the look-up returned it (or that string parsed), or None.
    type: raw
    required: true
  key:
    description: The field of the JSON object, for example C(password).
    type: str
    required: true
"""

EXAMPLES = r"""
- name: The database password is read
  ansible.builtin.set_fact:
    manager_db_password: >-
      {{ lookup('amazon.aws.secretsmanager_secret', bootstrap_db_secret_id, region=estate_region, errors='warn')
         | dsm_secret_field('password') }}
  no_log: true
"""

RETURN = r"""
_value:
  description: The field as text; C('') when it cannot be read.
  type: str
"""

import json
import re
from collections.abc import Mapping
from typing import Any

_JSON_OBJECT = re.compile(r"\s*\{")


def dsm_secret_field(secret: Any, key: str) -> str:
    """The field ``key`` of the secret's JSON object as text, or '' (unreadable, not an object, missing, empty)."""
    if isinstance(secret, Mapping):
        parsed = secret
    elif isinstance(secret, str) and _JSON_OBJECT.match(secret):
        try:
            parsed = json.loads(secret)
        except ValueError:
            return ""
    else:
        return ""
    value = parsed.get(key) if isinstance(parsed, Mapping) else None
    return str(value) if value else ""


class FilterModule:
    """Ansible entry point."""

    def filters(self) -> dict[str, Any]:
        """Map filter names to functions."""
        return {"dsm_secret_field": dsm_secret_field}
