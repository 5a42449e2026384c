"""Record the run in ARA when $OPS_RUN_RECORDS asks for it; otherwise stay out of the way."""

from __future__ import annotations

import os
from typing import Any

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = r"""
name: run_records
type: notification
short_description: Every run recorded in ARA, behind one environment switch
description:
  - Enabled in C(ansible.cfg) for every run, but active only when C($OPS_RUN_RECORDS) is C(ara); otherwise it
    disables itself when loaded, so a developer's quick run pays nothing.
  - When active, it loads ARA's own callback (C(ara_default), from the C(ara) package the suite pins) and hands
    it every event. ARA's settings are its own environment variables - C(ARA_API_CLIENT=http),
    C(ARA_API_SERVER=http://127.0.0.1:8000) for the API server of C(lab/ara_server.py) (SQLite, or the lab's PostgreSQL).
  - Each play gets the variable C(run_record_url), the ARA page of this run, which the change window's audit
    records carry, so a line of C(change-window.jsonl) leads to the run that wrote it.
  - ARA failing (its server down) never fails the run; ARA's callback warns.
options: {}
"""

SWITCH = "OPS_RUN_RECORDS"


class CallbackModule(CallbackBase):
    """ARA's callback, behind $OPS_RUN_RECORDS=ara."""

    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "notification"
    CALLBACK_NAME = "run_records"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self) -> None:
        super().__init__()
        self._ara: Any = None
        self.disabled = os.environ.get(SWITCH, "") != "ara"

    def set_options(self, task_keys: Any = None, var_options: Any = None, direct: Any = None) -> None:
        super().set_options(task_keys=task_keys, var_options=var_options, direct=direct)
        if self.disabled:
            return
        from ansible.plugins.loader import callback_loader

        from ara.setup import callback_plugins as ara_callbacks

        # ARA's callback through the plugin loader, so its documented options (ARA_*) are read as ARA defines them.
        callback_loader.add_directory(ara_callbacks)
        self._ara = callback_loader.get("ara_default")
        self._ara.set_options(task_keys=task_keys, var_options=var_options, direct=direct)

    def v2_playbook_on_play_start(self, play: Any) -> None:
        self._ara.v2_playbook_on_play_start(play)
        record = getattr(self._ara, "playbook", None) or {}
        server = str(self._ara.get_option("api_server") or "").rstrip("/")
        if record.get("id") and server:
            play.vars["run_record_url"] = f"{server}/playbooks/{record['id']}.html"


def _forward(name: str):
    def method(self: CallbackModule, *args: Any, **kwargs: Any) -> None:
        getattr(self._ara, name)(*args, **kwargs)

    method.__name__ = name
    method.__doc__ = f"Hand {name} to ARA's callback."
    return method


# Every other event ARA's callback handles is handed to it as it is (only called when this plugin is active).
for _event in ("v2_playbook_on_start", "v2_playbook_on_handler_task_start", "v2_playbook_on_task_start",
               "v2_runner_on_start", "v2_runner_on_ok", "v2_runner_on_unreachable", "v2_runner_on_failed",
               "v2_runner_on_skipped", "v2_runner_item_on_ok", "v2_runner_item_on_failed", "v2_runner_item_on_skipped",
               "v2_playbook_on_include", "v2_playbook_on_stats"):
    setattr(CallbackModule, _event, _forward(_event))
