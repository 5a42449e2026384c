# -*- coding: utf-8 -*-
"""What the manager reads of its secrets, in one place."""

from __future__ import annotations

DOCUMENTATION = r"""
name: manager_secret_field
short_description: One field of a Secrets Manager secret's JSON, as text, or '' when it cannot be read
description:
  - Takes what the C(amazon.aws.secretsmanager_secret) look-up returned for a secret (its C(SecretString)) and
    returns the field O(key) of its JSON object as text.
  - Returns C('') when the secret could not be read (the look-up ran with C(errors=warn) and returned nothing), is
    not a JSON object, lacks the field, or the field is empty. The caller names the secret and the field then;
    the value itself is never part of any message.
  - Call it on the look-up in the same expression; ansible-core 2.14/2.15 would turn a JSON string kept in a
    variable into a mapping.
positional: _input, key
options:
  _input:
    description: The secret's string as the look-up returned it, or None.
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
         | manager_secret_field('password') }}
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


def manager_secret_field(secret: Any, key: str) -> str:
    """The field ``key`` of the secret's JSON object as text, or '' (unreadable, not an object, missing, empty)."""
    if not isinstance(secret, str) or not _JSON_OBJECT.match(secret):
        return ""
    try:
        parsed = json.loads(secret)
    except ValueError:
        return ""
    value = parsed.get(key) if isinstance(parsed, Mapping) else None
    return str(value) if value else ""


class FilterModule:
    """Ansible entry point."""

    def filters(self) -> dict[str, Any]:
        """Map filter names to functions."""
        return {"manager_secret_field": manager_secret_field}
