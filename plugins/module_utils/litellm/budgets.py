# -*- coding: utf-8 -*-
# Copyright: (c) 2026, llmops maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""LiteLLM reusable budgets: input checks, comparable fields, what still uses a budget, the plan
and the public view.

What deleting a budget does in LiteLLM 1.106.12 (budget_management_endpoints.py: delete_budget is
a plain delete of the row; the foreign keys come from litellm-proxy-extras' migrations):

- a key whose ``budget_id`` names it, and a team membership (a member's budget in a team), lose
  the link (``ON DELETE SET NULL``): they are left without its limits, and nothing says so;
- a key's ``metadata.end_user_budget_id`` (the budget of the end users first seen through it) and a
  team's ``metadata.team_member_budget_id`` (its members' budget) are JSON, not foreign keys: they
  go on naming a budget that no longer exists, and new end users or members get no budget.

So ``state: absent`` refuses while anything uses the budget. With ``detach: true`` the keys are
unlinked first, explicitly (``budget_id: null``, ``end_user_budget_id: ""``). Teams cannot be:
LiteLLM has no request that unlinks a team's member budget or a member's budget.
"""

from __future__ import annotations

from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

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


# What uses a budget ------------------------------------------------------------------------

# Budget ids LiteLLM keeps in metadata (proxy/auth/auth_checks.py: KEY_END_USER_BUDGET_ID_METADATA_FIELD,
# team_endpoints.py: TeamMemberBudgetHandler.SYSTEM_MANAGED_METADATA_KEYS).
KEY_END_USER_BUDGET_FIELD = "end_user_budget_id"
TEAM_MEMBER_BUDGET_FIELD = "team_member_budget_id"


def key_name(record: Mapping[str, Any]) -> str:
    """A key as the messages name it: its alias, else LiteLLM's abbreviated key (never the hash)."""
    return record.get("key_alias") or "(no alias, %s)" % (record.get("key_name") or "key without a name")


def team_name(team: Mapping[str, Any]) -> str:
    return team.get("team_alias") or "(no alias, team_id %s)" % team.get("team_id")


def _metadata(record: Mapping[str, Any]) -> Mapping[str, Any]:
    metadata = record.get("metadata")
    return metadata if isinstance(metadata, Mapping) else {}


class BudgetLinks:
    """The keys and teams that use one budget, from every key and every team as LiteLLM lists them."""

    def __init__(self, budget_id: str, keys: Sequence[Mapping[str, Any]], teams: Sequence[Mapping[str, Any]]):
        self.budget_id = budget_id
        #: Keys whose budget_id is the budget (LiteLLM would set it to null).
        self.keys = [record for record in keys if record.get("budget_id") == budget_id]
        #: Keys that give the budget to their end users (metadata.end_user_budget_id).
        self.end_user_keys = [
            record for record in keys if _metadata(record).get(KEY_END_USER_BUDGET_FIELD) == budget_id
        ]
        #: (team, how it uses the budget) for each team that does.
        self.teams: List[Tuple[Mapping[str, Any], str]] = []
        for team in teams:
            uses = []
            if _metadata(team).get(TEAM_MEMBER_BUDGET_FIELD) == budget_id:
                uses.append("its members' budget")
            members = [m for m in team.get("team_memberships") or [] if m.get("budget_id") == budget_id]
            if members:
                uses.append("the budget of %s member(s)" % len(members))
            if uses:
                self.teams.append((team, " and ".join(uses)))

    @classmethod
    def read(cls, client: Any, budget_id: str) -> "BudgetLinks":
        teams = [dict(team, team_memberships=client.team_memberships(team["team_id"])) for team in client.list_teams()]
        return cls(budget_id, list(client.iter_keys()), teams)

    @property
    def linked(self) -> bool:
        return bool(self.keys or self.end_user_keys or self.teams)

    def key_names(self) -> List[str]:
        """Every key that detach unlinks, each named once, sorted."""
        return sorted({key_name(record) for record in self.keys + self.end_user_keys})

    def describe(self) -> str:
        parts = []
        if self.keys:
            parts.append("%s key(s) (%s)" % (len(self.keys), ", ".join(sorted(key_name(r) for r in self.keys))))
        if self.end_user_keys:
            parts.append(
                "%s key(s) as the budget of their end users (%s)"
                % (len(self.end_user_keys), ", ".join(sorted(key_name(r) for r in self.end_user_keys)))
            )
        if self.teams:
            parts.append(
                "%s team(s) (%s)"
                % (len(self.teams), ", ".join(sorted("%s: %s" % (team_name(t), how) for t, how in self.teams)))
            )
        return " and ".join(parts)

    def refusal(self, detach: bool) -> Optional[str]:
        """Why the budget must not be deleted now, or None."""
        if not self.linked:
            return None
        used = "budget %r is still used by %s" % (self.budget_id, self.describe())
        if self.teams:
            return (
                "%s; deleting it would leave those members without its limits, and LiteLLM has no request that "
                "unlinks a team's members' budget or a member's budget, so detach cannot either: keep the budget, "
                "or delete those teams first (which deletes their keys)" % used
            )
        if detach:
            return None
        return (
            "%s; deleting it would silently leave them without its limits (LiteLLM unlinks them). Point them at "
            "another budget first, or set detach: true to unlink them explicitly and delete the budget" % used
        )

    def detach(self, client: Any) -> None:
        """Unlink every key, so that none is left pointing at a budget that no longer exists."""
        for record in self.keys:
            client.update_key({"key": record["token"], "budget_id": None})
        for record in self.end_user_keys:
            client.update_key({"key": record["token"], KEY_END_USER_BUDGET_FIELD: ""})


class BudgetPlan(Plan):
    """What to do with one declared budget, computed from one read and no writes."""

    def __init__(
        self, params: Mapping[str, Any], record: Optional[Mapping[str, Any]], links: Optional[BudgetLinks] = None
    ):
        self.budget_id = params["budget_id"]
        #: What uses the budget, read only for a delete (its keys are unlinked first).
        self.links = links
        super().__init__(params, record)

    def detached_keys(self) -> List[str]:
        """The keys a delete unlinks first (predicted in check mode)."""
        if self.action != "delete" or self.links is None:
            return []
        return self.links.key_names()

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
            before = dict(self.current, budget_id=self.budget_id)
            if self.detached_keys():
                before["keys"] = self.detached_keys()
            return before
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
            if self.links is not None:
                self.links.detach(client)
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
