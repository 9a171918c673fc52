# -*- coding: utf-8 -*-
# Copyright: (c) 2026, llmops maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""LiteLLM teams: input checks, comparable fields, members, the plan and the public view."""

from __future__ import annotations

from typing import Any, Dict, List, Mapping, Optional, Sequence

from ansible_collections.llmops.litellm.plugins.module_utils.litellm.metadata import (
    is_managed,
    user_metadata,
)
from ansible_collections.llmops.litellm.plugins.module_utils.litellm.plan import Plan, cleared
from ansible_collections.llmops.litellm.plugins.module_utils.litellm.validation import (
    clear_errors,
    duration_errors,
    metadata_errors,
    numeric_errors,
)

# The user LiteLLM adds as team admin when a team is created with the master key
# (team_endpoints.py: _should_auto_add_team_creator, constants.py: LITELLM_PROXY_ADMIN_NAME).
PROXY_ADMIN_USER_ID = "default_user_id"

TEAM_NUMERIC_FIELDS = ("max_budget", "soft_budget", "rpm_limit", "tpm_limit")
TEAM_CLEARABLE_FIELDS = ("models", "max_budget", "soft_budget", "budget_duration", "rpm_limit", "tpm_limit", "metadata")
TEAM_FIELDS = (
    "team_alias",
    "models",
    "max_budget",
    "soft_budget",
    "budget_duration",
    "rpm_limit",
    "tpm_limit",
    "blocked",
    "metadata",
)


# Members ----------------------------------------------------------------------------------


def member_key(member: Mapping[str, Any]) -> str:
    return "user_id:%s" % member["user_id"] if member.get("user_id") else "user_email:%s" % member.get("user_email")


def member_identity(member: Mapping[str, Any]) -> Dict[str, Any]:
    if member.get("user_id"):
        return {"user_id": member["user_id"]}
    return {"user_email": member["user_email"]}


def member_body(member: Mapping[str, Any]) -> Dict[str, Any]:
    body = member_identity(member)
    body["role"] = member.get("role") or "user"
    return body


class MemberPlan:
    """Member additions, removals and role changes for one team."""

    def __init__(
        self, declared: Optional[Sequence[Mapping[str, Any]]], stored: Sequence[Mapping[str, Any]], purge: bool
    ):
        self.add = []  # type: List[Dict[str, Any]]
        self.remove = []  # type: List[Dict[str, Any]]
        self.update = []  # type: List[Dict[str, Any]]
        if declared is None:
            return
        wanted = {member_key(member): member_body(member) for member in declared}
        present = {}
        for member in stored:
            if member.get("user_id") or member.get("user_email"):
                present[member_key(member)] = member
        for identity, member in wanted.items():
            current = present.get(identity)
            if current is None and member.get("user_email") and not member.get("user_id"):
                current = _member_by_email(stored, member["user_email"])
            if current is None:
                self.add.append(member)
            elif (current.get("role") or "user") != member["role"]:
                self.update.append(dict(member, **member_identity(current)))
        if purge:
            for identity, member in present.items():
                if identity in wanted or _declared_by_email(declared, member):
                    continue
                if member.get("user_id") == PROXY_ADMIN_USER_ID:
                    continue
                self.remove.append(member_body(member))

    @property
    def changed(self) -> bool:
        return bool(self.add or self.remove or self.update)

    def apply(self, client: Any, team_id: str) -> None:
        for member in self.remove:
            client.team_member_delete(team_id, member_identity(member))
        for member in self.update:
            client.team_member_update(team_id, member_identity(member), member["role"])
        if self.add:
            client.team_member_add(team_id, self.add)


def _member_by_email(stored: Sequence[Mapping[str, Any]], email: str) -> Optional[Mapping[str, Any]]:
    for member in stored:
        if member.get("user_email") == email:
            return member
    return None


def _declared_by_email(declared: Sequence[Mapping[str, Any]], member: Mapping[str, Any]) -> bool:
    email = member.get("user_email")
    return bool(email) and any(item.get("user_email") == email and not item.get("user_id") for item in declared)


def members_view(members: Sequence[Mapping[str, Any]]) -> List[Dict[str, Any]]:
    """Members as sorted ``{user_id, user_email, role}`` (unset parts left out), without LiteLLM's own admin."""
    view = []
    for member in members:
        if member.get("user_id") == PROXY_ADMIN_USER_ID:
            continue
        entry = {name: member[name] for name in ("user_id", "user_email") if member.get(name)}
        entry["role"] = member.get("role") or "user"
        view.append(entry)
    return sorted(view, key=member_key)


# Input ------------------------------------------------------------------------------------


def validate_team_params(params: Mapping[str, Any], prefix: str = "") -> List[str]:
    """Every input error of one declared team, each naming its field."""
    errors = numeric_errors(prefix, params, TEAM_NUMERIC_FIELDS)
    errors.extend(duration_errors(prefix, params, ("budget_duration",)))
    soft, hard = params.get("soft_budget"), params.get("max_budget")
    if soft is not None and hard is not None and soft >= hard:
        errors.append(
            "%ssoft_budget: must be lower than max_budget (%s >= %s); LiteLLM refuses it" % (prefix, soft, hard)
        )
    for index, member in enumerate(params.get("members") or []):
        if not member.get("user_id") and not member.get("user_email"):
            errors.append("%smembers[%s]: needs user_id or user_email" % (prefix, index))
    identities = [member_key(member) for member in params.get("members") or []]
    duplicates = sorted({identity for identity in identities if identities.count(identity) > 1})
    if duplicates:
        errors.append("%smembers: listed more than once: %s" % (prefix, ", ".join(duplicates)))
    if not params.get("team_alias") and not params.get("team_id"):
        errors.append("%steam_alias: team_alias or team_id is required" % prefix)
    errors.extend(clear_errors(prefix, params))
    errors.extend(metadata_errors(prefix, params))
    return errors


# Fields -----------------------------------------------------------------------------------


def team_current_fields(record: Mapping[str, Any]) -> Dict[str, Any]:
    return {
        "team_alias": record.get("team_alias"),
        "models": list(record.get("models") or []),
        "max_budget": record.get("max_budget"),
        "soft_budget": record.get("soft_budget"),
        "budget_duration": record.get("budget_duration"),
        "rpm_limit": record.get("rpm_limit"),
        "tpm_limit": record.get("tpm_limit"),
        "blocked": bool(record.get("blocked")),
        "metadata": record.get("metadata") if isinstance(record.get("metadata"), Mapping) else {},
    }


def team_desired_fields(params: Mapping[str, Any]) -> Dict[str, Any]:
    desired = {field: params[field] for field in TEAM_FIELDS if params.get(field) is not None}
    for field in params.get("clear_fields") or []:
        desired[field] = cleared(field)
    return desired


# Plan -------------------------------------------------------------------------------------


class TeamPlan(Plan):
    """What to do with one declared team (fields and members), computed from one read and no writes."""

    unordered_fields = ("models",)

    def __init__(self, params: Mapping[str, Any], record: Optional[Mapping[str, Any]]):
        self.members = MemberPlan(None, [], False)
        super().__init__(params, record)

    def desired_fields(self) -> Dict[str, Any]:
        return team_desired_fields(self.params)

    def current_fields(self, record: Mapping[str, Any]) -> Dict[str, Any]:
        return team_current_fields(record)

    def comparators(self) -> Dict[str, Any]:
        return self.metadata_comparators()

    def plan_more(self) -> None:
        stored = self.record.get("members_with_roles") or []
        self.members = MemberPlan(self.params.get("members"), stored, self.params.get("purge_members", True))

    @property
    def changed(self) -> bool:
        return self.action != "none" or self.members.changed

    def fields(self) -> List[str]:
        if self.action == "delete":
            return ["state"]
        if self.action == "create":
            return sorted(self.desired) + (["members"] if self.params.get("members") else [])
        return sorted(self.changes) + (["members"] if self.members.changed else [])

    def budget_error(self) -> Optional[str]:
        """LiteLLM refuses soft_budget >= max_budget, comparing a new value with the stored other one."""
        if self.record is None or self.state == "absent":
            return None
        if "soft_budget" not in self.desired and "max_budget" not in self.desired:
            return None
        soft, hard = self.effective("soft_budget"), self.effective("max_budget")
        if soft is not None and hard is not None and soft >= hard:
            return (
                "soft_budget: must be lower than max_budget (%s >= %s, counting the stored value); LiteLLM refuses it"
                % (soft, hard)
            )
        return None

    def _view(self, fields: Mapping[str, Any], members: Optional[Sequence[Mapping[str, Any]]]) -> Dict[str, Any]:
        state = dict(fields)
        if "metadata" in state:
            state["metadata"] = user_metadata(state["metadata"], self.desired.get("metadata"))
        if members is not None:
            state["members"] = members_view(members)
        return state

    def _declared_members(self) -> Optional[Sequence[Mapping[str, Any]]]:
        declared = self.params.get("members")
        if self.action == "create" and not declared:
            return None
        return declared

    def before(self) -> Dict[str, Any]:
        if self.record is None:
            return {}
        if self.state == "absent":
            return {"team_alias": self.record.get("team_alias"), "team_id": self.record["team_id"]}
        stored = None
        if self.params.get("members") is not None:
            stored = self.record.get("members_with_roles") or []
        return self._view({name: self.current[name] for name in self.desired}, stored)

    def after(self) -> Dict[str, Any]:
        if self.state == "absent":
            return {}
        fields = dict(self.desired)
        if "metadata" in fields:
            fields["metadata"] = self.metadata_after()
        return self._view(fields, self._declared_members())

    def create_body(self) -> Dict[str, Any]:
        body = {name: value for name, value in self.desired.items() if value is not None}
        body["metadata"] = self.metadata_after()
        if self.params.get("team_id"):
            body["team_id"] = self.params["team_id"]
        if self.params.get("members"):
            body["members_with_roles"] = [member_body(member) for member in self.params["members"]]
        return body

    def update_body(self) -> Dict[str, Any]:
        body = {"team_id": self.record["team_id"]}
        for field in self.changes:
            if field == "metadata":
                body["metadata"] = self.metadata_after()
            else:
                body[field] = self.desired[field]
        return body

    def predicted(self) -> Optional[Dict[str, Any]]:
        if self.state == "absent":
            return None
        if self.record is None:
            return dict(self.create_body(), team_id=self.params.get("team_id"))
        predicted = dict(self.record)
        predicted.update(self.desired)
        if "metadata" in self.desired:
            predicted["metadata"] = self.metadata_after()
        return predicted

    def apply(self, client: Any) -> Dict[str, Any]:
        """The writes; returns ``{"record": ...}``: the created team, or the id of the one changed."""
        if self.action == "delete":
            client.delete_teams([self.record["team_id"]])
            return {"record": None}
        if self.action == "create":
            return {"record": client.new_team(self.create_body())}
        team_id = self.record["team_id"]
        if self.changes:
            client.update_team(self.update_body())
        self.members.apply(client, team_id)
        return {"record": {"team_id": team_id}}


def public_team(record: Optional[Mapping[str, Any]]) -> Optional[Dict[str, Any]]:
    if not record:
        return None
    fields = team_current_fields(record)
    fields.update(
        {
            "team_id": record.get("team_id"),
            "members": members_view(record.get("members_with_roles") or []),
            "spend": record.get("spend"),
            "budget_reset_at": record.get("budget_reset_at"),
            "organization_id": record.get("organization_id"),
            "created_at": record.get("created_at"),
            "updated_at": record.get("updated_at"),
            "managed": is_managed(record),
        }
    )
    return fields
