# Copyright: (c) 2026, llmops maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Records which tasks reported a change in a playbook run, and whether the run was in check mode.

Enabled by the Molecule scenario, so its tests can compare what ``--check`` predicted on a fresh
host with what the real converge then did. Each run writes
``$LLMOPS_CHANGES_DIR/<n>-<check|run>.json``: the changed tasks (role and name), in order, and the
failures."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from ansible import context
from ansible.plugins.callback import CallbackBase

DOCUMENTATION = r"""
name: llmops_changes
type: aggregate
short_description: Records the changed tasks of a run (test support)
description:
  - Writes the names of the tasks that reported a change, and whether the run was in check mode,
    to a JSON file in the folder named by E(LLMOPS_CHANGES_DIR).
requirements:
  - enabled in callbacks_enabled (E(ANSIBLE_CALLBACKS_ENABLED))
"""


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "llmops_changes"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._changed: list[dict] = []
        self._failed: list[dict] = []
        self._handler = False

    @staticmethod
    def _name(result) -> dict:
        task = result._task
        role = task._role.get_name() if task._role else ""
        return {"role": role, "task": task.get_name().split(" : ", 1)[-1], "host": result._host.get_name()}

    def v2_playbook_on_task_start(self, task, is_conditional):
        self._handler = False

    def v2_playbook_on_handler_task_start(self, task):
        self._handler = True

    def v2_runner_on_ok(self, result):
        if result._result.get("changed"):
            self._changed.append({**self._name(result), "handler": self._handler})

    def v2_runner_on_failed(self, result, ignore_errors=False):
        if not ignore_errors:
            self._failed.append(self._name(result))

    def v2_playbook_on_stats(self, stats):
        folder = os.environ.get("LLMOPS_CHANGES_DIR")
        if not folder:
            return
        out = Path(folder)
        out.mkdir(parents=True, exist_ok=True)
        check = bool(context.CLIARGS.get("check"))
        n = len(list(out.glob("*.json"))) + 1
        record = {"check": check, "finished": time.time(), "changed": self._changed, "failed": self._failed}
        (out / f"{n:03d}-{'check' if check else 'run'}.json").write_text(json.dumps(record, indent=1))
