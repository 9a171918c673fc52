# -*- coding: utf-8 -*-
# Copyright: (c) 2026, llmops maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The shape every LiteLLM plan has (keys, teams, budgets).

A plan is computed from the declared parameters and the one stored record (or None), with no
request of its own. It says what to do (``action``: none, create, update or delete), which
managed fields differ (``changes``), what the diff shows (``before()`` / ``after()``), what the
object will look like (``predicted()``, for check mode) and, in ``apply(client)``, sends the
writes in order; ``execute(module)`` gives the module's result and applies it outside check mode.
"""

from __future__ import annotations

from typing import Any, Callable, Collection, Dict, List, Mapping, Optional, Tuple

from ansible_collections.llmops.litellm.plugins.module_utils.litellm.metadata import (
    OWNER_KEY,
    clears_metadata,
    marked,
    metadata_equal,
    metadata_to_send,
)
from ansible_collections.llmops.litellm.plugins.module_utils.reconcile import (
    FieldChange,
    ansible_diff,
    changed_fields,
)


class Plan:
    """What to do with one declared object; subclasses say how its fields are read and written."""

    #: Fields compared as sets.
    unordered_fields: Collection[str] = ()
    #: Keys masked in the diff.
    secret_keys: Collection[str] = ()

    def __init__(self, params: Mapping[str, Any], record: Optional[Mapping[str, Any]]) -> None:
        self.params = params
        self.record = record
        self.state = params.get("state") or "present"
        self.desired = self.desired_fields()
        self.current = self.current_fields(record) if record else None
        self.changes: Dict[str, FieldChange] = {}
        self.action = "none"
        self.warnings: List[str] = []
        if self.state == "absent":
            self.action = "delete" if record else "none"
        elif record is None:
            self.action = "create"
        else:
            self.changes = changed_fields(
                self.desired, self.current, unordered_fields=self.unordered_fields, comparators=self.comparators()
            )
            if self.changes:
                self.action = "update"
            self.plan_more()

    # What a subclass defines ---------------------------------------------------------------

    def desired_fields(self) -> Dict[str, Any]:
        """The managed fields: only those declared or listed in clear_fields."""
        raise NotImplementedError

    def current_fields(self, record: Mapping[str, Any]) -> Dict[str, Any]:
        """The comparable fields of the stored record."""
        raise NotImplementedError

    def comparators(self) -> Mapping[str, Callable[[Any, Any], bool]]:
        return {}

    def plan_more(self) -> None:
        """What an update needs besides field changes (blocking, rotation, members)."""

    def before(self) -> Dict[str, Any]:
        raise NotImplementedError

    def after(self) -> Dict[str, Any]:
        raise NotImplementedError

    def predicted(self) -> Optional[Dict[str, Any]]:
        """The stored record as it will be once the plan is applied (for check mode and no-ops)."""
        raise NotImplementedError

    def apply(self, client: Any) -> Dict[str, Any]:
        """Send the writes; return ``{"record": ...}`` (what the writes returned or identify) and extras."""
        raise NotImplementedError

    # Shared ---------------------------------------------------------------------------------

    @property
    def changed(self) -> bool:
        return self.action != "none"

    def fields(self) -> List[str]:
        """Names of what differs, as the module reports them in ``changes``."""
        return sorted(self.changes)

    def summary(self) -> Dict[str, Any]:
        return {"action": self.action, "fields": self.fields()}

    def diff(self) -> Dict[str, Any]:
        return ansible_diff(self.before(), self.after(), secret_keys=self.secret_keys)

    def execute(self, module: Any) -> Tuple[Dict[str, Any], Optional[Dict[str, Any]]]:
        """The module's result for the plan (changed, changes, diff) and what ``apply`` returned,
        None when nothing was written (no change, or check mode)."""
        result = {"changed": self.changed, "changes": self.fields()}
        if module.diff:
            result["diff"] = self.diff()
        applied = self.apply(module.client) if self.changed and not module.check_mode else None
        return result, applied

    # Metadata (keys and teams) ------------------------------------------------------------

    def metadata_comparators(self) -> Dict[str, Callable[[Any, Any], bool]]:
        exclusive = clears_metadata(self.params)
        return {"metadata": lambda declared, stored: metadata_equal(declared, stored, exclusive)}

    def metadata_after(self) -> Dict[str, Any]:
        """The whole metadata the object will have: for a new one the declared keys, the marker and
        the owner, else what ``metadata_to_send`` keeps of the stored metadata with the declared keys
        (the stored metadata as it is when none are declared), and the task's owner when it has one."""
        owner = self.params.get("owner")
        if self.record is None:
            return marked(self.desired.get("metadata"), owner)
        stored = self.record.get("metadata")
        if "metadata" in self.desired:
            result = metadata_to_send(self.desired["metadata"] or {}, stored, clears_metadata(self.params))
        else:
            result = dict(stored) if isinstance(stored, Mapping) else {}
        if owner is not None:
            result[OWNER_KEY] = owner
        return result

    def effective(self, field: str) -> Any:
        """A field's value after the plan: the desired one when managed, else the stored one."""
        if field in self.desired:
            return self.desired[field]
        return self.current.get(field) if self.current else None


def cleared(field: str) -> Any:
    """LiteLLM's "not set" for a field in clear_fields."""
    if field == "models":
        return []
    if field == "metadata":
        return {}
    return None
