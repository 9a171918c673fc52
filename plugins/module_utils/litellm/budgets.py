# -*- coding: utf-8 -*-
# Copyright: (c) 2026, llmops maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""LiteLLM reusable budgets: input checks, comparable fields, the plan and the public view."""

from __future__ import annotations

from typing import Any, Dict, List, Mapping, Optional

from ansible_collections.llmops.litellm.plugins.module_utils.litellm.plan import Plan
from ansible_collections.llmops.litellm.plugins.module_utils.litellm.validation import (
    clear_errors,
    duration_errors,
    numeric_errors,
)

BUDGET_FIELDS = ("max_budget", "soft_budget", "max_parallel_requests", "tpm_limit", "rpm_limit", "budget_duration")
BUDGET_NUMERIC_FIELDS = ("max_budget", "soft_budget", "max_parallel_requests", "tpm_limit", "rpm_limit")
PUBLIC_BUDGET_FIELDS = BUDGET_FIELDS + ("budget_id", "budget_reset_at", "created_at", "updated_at")


def validate_budget_params(params: Mapping[str, Any], prefix: str = "") -> List[str]:
    errors = numeric_errors(prefix, params, BUDGET_NUMERIC_FIELDS)
    errors.extend(duration_errors(prefix, params, ("budget_duration",)))
    errors.extend(clear_errors(prefix, params))
    return errors


def budget_desired_fields(params: Mapping[str, Any]) -> Dict[str, Any]:
    desired = {field: params[field] for field in BUDGET_FIELDS if params.get(field) is not None}
    for field in params.get("clear_fields") or []:
        desired[field] = None
    return desired


def budget_current_fields(record: Mapping[str, Any]) -> Dict[str, Any]:
    return {field: record.get(field) for field in BUDGET_FIELDS}


class BudgetPlan(Plan):
    """What to do with one declared budget, computed from one read and no writes."""

    def __init__(self, params: Mapping[str, Any], record: Optional[Mapping[str, Any]]):
        self.budget_id = params["budget_id"]
        super().__init__(params, record)

    def desired_fields(self) -> Dict[str, Any]:
        return budget_desired_fields(self.params)

    def current_fields(self, record: Mapping[str, Any]) -> Dict[str, Any]:
        return budget_current_fields(record)

    def fields(self) -> List[str]:
        if self.action == "delete":
            return ["state"]
        if self.action == "create":
            return sorted(self.desired)
        return sorted(self.changes)

    def before(self) -> Dict[str, Any]:
        if self.record is None:
            return {}
        if self.state == "absent":
            return dict(self.current, budget_id=self.budget_id)
        return dict({name: self.current[name] for name in self.desired}, budget_id=self.budget_id)

    def after(self) -> Dict[str, Any]:
        if self.state == "absent":
            return {}
        return dict(self.desired, budget_id=self.budget_id)

    def predicted(self) -> Optional[Dict[str, Any]]:
        if self.state == "absent":
            return None
        predicted = dict(self.record or {}, budget_id=self.budget_id)
        predicted.update(self.desired)
        return predicted

    def apply(self, client: Any) -> Dict[str, Any]:
        """The writes; returns ``{"record": ...}``: the budget as the create or update call returned it
        (None when it was deleted, or vanished before the update)."""
        if self.action == "delete":
            client.delete_budget(self.budget_id)
            return {"record": None}
        if self.action == "create":
            return {"record": client.new_budget(dict(self.desired, budget_id=self.budget_id))}
        body = {name: self.desired[name] for name in self.changes}
        body["budget_id"] = self.budget_id
        return {"record": client.update_budget(body)}


def public_budget(record: Optional[Mapping[str, Any]]) -> Optional[Dict[str, Any]]:
    if not record:
        return None
    return {field: record.get(field) for field in PUBLIC_BUDGET_FIELDS}
