"""Record the tasks that would change something in a check run of playbooks/drift.yml, for its verdict play."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = r"""
name: drift_report
type: aggregate
short_description: The drifted hosts and tasks of a drift.yml run, written where its verdict play reads them
description:
  - Active only in a run of a playbook named C(drift.yml); every other run is left alone, so it needs no enabling.
  - Each task that reports a change (in check mode, a drift) is appended as C({host, task, play}) to a JSON file,
    emptied when the run starts - C($DRIFT_REPORT), or C(.cache/drift-report.json) beside C(playbooks/).
  - drift.yml's last play reads the file, lists the drifted hosts and tasks, and fails when there is any.
options: {}
"""


class CallbackModule(CallbackBase):
    """Changed tasks of a drift run, kept in a file."""

    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "drift_report"
    CALLBACK_NEEDS_ENABLED = False

    def __init__(self) -> None:
        super().__init__()
        self._path: Path | None = None
        self._drifts: list[dict[str, str]] = []
        self._play = ""

    def v2_playbook_on_start(self, playbook: Any) -> None:
        file_name = getattr(playbook, "_file_name", "") or ""
        if os.path.basename(file_name) != "drift.yml":
            self._path = None
            return
        default = Path(file_name).resolve().parent.parent / ".cache" / "drift-report.json"
        self._path = Path(os.environ.get("DRIFT_REPORT") or default)
        self._drifts = []
        self._write()

    def v2_playbook_on_play_start(self, play: Any) -> None:
        self._play = play.get_name()

    def v2_runner_on_ok(self, result: Any) -> None:
        if self._path is None or not result._result.get("changed"):
            return
        self._drifts.append({"host": result._host.get_name(), "task": result._task.get_name(), "play": self._play})
        self._write()

    def _write(self) -> None:
        assert self._path is not None
        self._path.parent.mkdir(parents=True, exist_ok=True)
        self._path.write_text(json.dumps(self._drifts, indent=1) + "\n")
