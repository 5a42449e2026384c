# -*- coding: utf-8 -*-
"""The change window as a person reads it (playbooks/change_window.yml)."""

from __future__ import annotations

DOCUMENTATION = r"""
  name: change_window_report
  short_description: The lines a person reads of a change-window evaluation
  description:
    - Turns a result of C(change_window_state) into lines - the combined state and its next transition (or
      that there is none within a year), then C(<calendar>: <state>) for each calendar, in input order.
    - It only words the evaluation; what is open is decided by C(change_window_state) alone.
  positional: _input
  options:
    _input:
      description: A result of C(change_window_state).
      type: dict
      required: true
"""

EXAMPLES = r"""
- name: Calendars are evaluated
  ansible.builtin.debug:
    msg: "{{ change_window_calendars | change_window_state | change_window_report }}"
# - Change window OPEN, next transition 2026-11-27T03:00:00Z
# - nightly-window: OPEN
# - christmas-freeze: OPEN
"""

RETURN = r"""
  _value:
    description: The combined state's line, then one line per calendar.
    type: list
    elements: str
"""

from collections.abc import Callable, Mapping
from typing import Any

from ansible.errors import AnsibleFilterError


def change_window_report(state: Any) -> list[str]:
    """The lines a person reads of a change_window_state result: the combined state, then each calendar's."""
    if not isinstance(state, Mapping) or "state" not in state:
        raise AnsibleFilterError("change_window_report: expected the result of change_window_state.")
    transition = state.get("next_transition")
    head = f"Change window {state['state']}" + (f", next transition {transition}" if transition
                                                else ", no transition within a year")
    return [head] + [f"{calendar['name']}: {calendar['state']}" for calendar in state.get("calendars") or []]


class FilterModule:
    """Ansible entry point."""

    def filters(self) -> dict[str, Callable[..., Any]]:
        """Map filter names to functions."""
        return {"change_window_report": change_window_report}
