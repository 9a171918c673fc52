# -*- coding: utf-8 -*-
# Copyright: (c) 2026, llmops maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""LiteLLM virtual keys: options, input checks, comparable fields, the plan and the public view.

``litellm_key`` and the bulk ``litellm_keys`` share this one definition of "the same key".
"""

from __future__ import annotations

from typing import Any, Dict, List, Mapping, Optional

from ansible_collections.llmops.litellm.plugins.module_utils.litellm.client import token_hash
from ansible_collections.llmops.litellm.plugins.module_utils.litellm.metadata import (
    OWNER_KEY,
    is_managed,
    owner_of,
    user_metadata,
)
from ansible_collections.llmops.litellm.plugins.module_utils.litellm.model_access import models_team_refuses
from ansible_collections.llmops.litellm.plugins.module_utils.litellm.plan import Plan, cleared
from ansible_collections.llmops.litellm.plugins.module_utils.litellm.validation import (
    clear_errors,
    clear_fields_option,
    duration_errors,
    limit_options,
    metadata_errors,
    numeric_errors,
    state_option,
)

# key_management_endpoints.py: _common_key_generation_helper checks these on a custom key.
CUSTOM_KEY_PREFIX = "sk-"
CUSTOM_KEY_MIN_LENGTH = 16

KEY_NUMERIC_FIELDS = ("max_budget", "soft_budget", "rpm_limit", "tpm_limit", "max_parallel_requests")
KEY_CLEARABLE_FIELDS = (
    "models",
    "max_budget",
    "soft_budget",
    "budget_duration",
    "budget_id",
    "rpm_limit",
    "tpm_limit",
    "max_parallel_requests",
    "team",
    "user_id",
    "metadata",
)
# Fields of a key declared as they are stored (``team`` is resolved to ``team_id`` apart).
KEY_PLAIN_FIELDS = tuple(field for field in KEY_CLEARABLE_FIELDS if field != "team")
KEY_BUILTIN_DEFAULTS = {"state": "present", "rotate_key": False, "clear_fields": []}

PUBLIC_KEY_FIELDS = (
    "token",
    "key_alias",
    "key_name",
    "models",
    "max_budget",
    "soft_budget",
    "budget_duration",
    "budget_reset_at",
    "budget_id",
    "rpm_limit",
    "tpm_limit",
    "max_parallel_requests",
    "team_id",
    "user_id",
    "metadata",
    "blocked",
    "expires",
    "spend",
    "created_at",
    "updated_at",
    "created_by",
)


def key_option_spec(with_defaults: bool = True) -> Dict[str, Any]:
    """Options of one declared key; without defaults for the elements of a bulk list."""
    spec = {
        "key_alias": {"type": "str", "required": True, "no_log": False},
        "state": state_option("present", "absent", "blocked"),
        "blocked": {"type": "bool"},
        "key": {"type": "str", "no_log": True},
        "rotate_key": {"type": "bool", "default": False, "no_log": False},
        "team": {"type": "str"},
        "user_id": {"type": "str"},
        "models": {"type": "list", "elements": "str"},
    }
    spec.update(limit_options("max_budget", "soft_budget", "budget_duration"))
    spec["budget_id"] = {"type": "str"}
    spec.update(limit_options("rpm_limit", "tpm_limit", "max_parallel_requests"))
    spec.update(
        metadata={"type": "dict"},
        duration={"type": "str"},
        clear_fields=clear_fields_option(KEY_CLEARABLE_FIELDS),
    )
    if not with_defaults:
        for option in spec.values():
            option.pop("default", None)
    return spec


def validate_key_params(params: Mapping[str, Any], prefix: str = "") -> List[str]:
    """Every input error of one declared key, each naming its field."""
    errors = numeric_errors(prefix, params, KEY_NUMERIC_FIELDS)
    errors.extend(duration_errors(prefix, params, ("budget_duration", "duration")))
    key_value = params.get("key")
    if key_value is not None and (
        not key_value.startswith(CUSTOM_KEY_PREFIX) or len(key_value) < CUSTOM_KEY_MIN_LENGTH
    ):
        errors.append(
            "%skey: a custom key must start with %r and be at least %s characters long"
            % (prefix, CUSTOM_KEY_PREFIX, CUSTOM_KEY_MIN_LENGTH)
        )
    if params.get("state") == "blocked" and params.get("blocked") is False:
        errors.append("%sblocked: false contradicts state: blocked" % prefix)
    if params.get("soft_budget") is not None and params.get("budget_id") is not None:
        errors.append(
            "%ssoft_budget: cannot be combined with budget_id; LiteLLM would write the soft budget into the shared "
            "budget %r. Set soft_budget on the budget instead." % (prefix, params["budget_id"])
        )
    if not params.get("key_alias"):
        errors.append("%skey_alias: must be a non-empty string" % prefix)
    errors.extend(clear_errors(prefix, params))
    errors.extend(metadata_errors(prefix, params))
    return errors


def key_current_fields(record: Mapping[str, Any]) -> Dict[str, Any]:
    """Comparable fields of a stored key (``/key/list`` full object or ``/key/info``)."""
    budget_table = record.get("litellm_budget_table")
    soft_budget = budget_table.get("soft_budget") if isinstance(budget_table, Mapping) else None
    return {
        "models": list(record.get("models") or []),
        "max_budget": record.get("max_budget"),
        "soft_budget": soft_budget,
        "budget_duration": record.get("budget_duration"),
        "budget_id": record.get("budget_id"),
        "rpm_limit": record.get("rpm_limit"),
        "tpm_limit": record.get("tpm_limit"),
        "max_parallel_requests": record.get("max_parallel_requests"),
        "team_id": record.get("team_id"),
        "user_id": record.get("user_id"),
        "metadata": record.get("metadata") if isinstance(record.get("metadata"), Mapping) else {},
        "blocked": bool(record.get("blocked")),
        "owner": owner_of(record),
    }


def key_desired_fields(params: Mapping[str, Any], team_id: Optional[str]) -> Dict[str, Any]:
    """The managed fields of a declared key: only the ones the user set or asked to clear."""
    desired = {field: params[field] for field in KEY_PLAIN_FIELDS if params.get(field) is not None}
    if params.get("team") is not None:
        desired["team_id"] = team_id
    for field in params.get("clear_fields") or []:
        desired["team_id" if field == "team" else field] = cleared(field)
    # The task's owner, kept in the metadata (llmops_owner); without one, ownership is left as it is.
    if params.get("owner") is not None:
        desired["owner"] = params["owner"]
    return desired


def key_wants_blocked(params: Mapping[str, Any]) -> bool:
    return params.get("state") == "blocked" or bool(params.get("blocked"))


class KeyPlan(Plan):
    """What to do with one declared key, computed from one read and no writes."""

    unordered_fields = ("models",)
    secret_keys = ("key",)

    def __init__(self, params: Mapping[str, Any], record: Optional[Mapping[str, Any]], team_id: Optional[str]):
        self.alias = params["key_alias"]
        self.team_id = team_id
        self.block = None  # type: Optional[str]
        self.rotate = False
        self.done = []  # type: List[str]
        self.done_fields = []  # type: List[str]
        super().__init__(params, record)

    def desired_fields(self) -> Dict[str, Any]:
        return key_desired_fields(self.params, self.team_id)

    def current_fields(self, record: Mapping[str, Any]) -> Dict[str, Any]:
        return key_current_fields(record)

    def comparators(self) -> Dict[str, Any]:
        return self.metadata_comparators()

    def plan_more(self) -> None:
        wants_blocked = key_wants_blocked(self.params)
        if wants_blocked != self.current["blocked"]:
            self.block = "block" if wants_blocked else "unblock"
        key_value = self.params.get("key")
        stored = self.record.get("token")
        if self.params.get("rotate_key"):
            self.rotate = key_value is None or token_hash(key_value) != stored
        elif key_value is not None and stored and token_hash(key_value) != stored:
            self.warnings.append(
                "key %r: the declared key value differs from the stored key; set rotate_key: true to rotate it"
                % self.alias
            )

    @property
    def changed(self) -> bool:
        return self.action != "none" or self.block is not None or self.rotate

    def fields(self) -> List[str]:
        fields = sorted(self.changes)
        if self.block:
            fields.append("blocked")
        if self.rotate:
            fields.append("key")
        return fields

    def create_body(self) -> Dict[str, Any]:
        body = {"key_alias": self.alias}
        for field, value in self.desired.items():
            if field in ("metadata", "owner") or value is None:
                continue
            body[field] = value
        body["metadata"] = self.metadata_after()
        if self.params.get("duration"):
            body["duration"] = self.params["duration"]
        if self.params.get("key") is not None:
            body["key"] = self.params["key"]
        if key_wants_blocked(self.params):
            body["blocked"] = True
        return body

    def update_bodies(self, token: str) -> List[Dict[str, Any]]:
        """``/key/update`` bodies, in order. LiteLLM validates a move to another team against the
        key as stored (models, limits, user membership), so the move goes last, on its own."""
        body = {"key": token}
        for field in self.changes:
            if field in ("metadata", "owner"):
                body["metadata"] = self.metadata_after()
            else:
                body[field] = self.desired[field]
        moving = body.get("team_id") is not None
        if not moving or len(body) == 2:
            return [body]
        team_id = body.pop("team_id")
        return [body, {"key": token, "team_id": team_id}]

    def owner_error(self) -> Optional[str]:
        """Why this task may not declare the stored key: it belongs to another owner. A key without
        an owner is taken over; a task without an owner leaves ownership alone."""
        owner, stored = self.params.get("owner"), owner_of(self.record)
        if owner is None or stored is None or stored == owner:
            return None
        return (
            "owner: key %r belongs to owner %r, not to this task's owner %r; declare it in the task of owner %r, "
            "or remove %r from the key's metadata to hand it over" % (self.alias, stored, owner, stored, OWNER_KEY)
        )

    def team_move_error(self, team: Mapping[str, Any], groups: Any = None) -> Optional[str]:
        """Why LiteLLM would refuse to put this key in ``team``
        (key_management_endpoints.py: validate_key_team_change), or None. ``groups`` gives the
        proxy's access groups (model_access.ProxyModelGroups, or a callable returning one), read
        only when the team's names and patterns do not grant a model of the key."""
        if self.record is None or "team_id" not in self.changes:
            return None
        name = "%s (%s)" % (team.get("team_alias"), team.get("team_id"))
        outside = models_team_refuses(self.effective("models"), team, groups)
        if outside:
            return "team: team %s does not allow model(s) %s used by the key (team models: %s)" % (
                name,
                ", ".join(outside),
                ", ".join(team.get("models") or []),
            )
        # validate_key_team_change compares rpm_limit only for a key that has a tpm_limit
        if self.effective("tpm_limit") is not None:
            for limit in ("tpm_limit", "rpm_limit"):
                mine, theirs = self.effective(limit), team.get(limit)
                if mine and theirs and mine > theirs:
                    return "team: the key's %s %s exceeds team %s's %s" % (limit, mine, name, theirs)
        user_id = self.effective("user_id")
        members = [member.get("user_id") for member in team.get("members_with_roles") or []]
        if user_id is not None and user_id not in members:
            return "team: user_id %s is not a member of team %s; add the member to the team first" % (user_id, name)
        return None

    def before(self) -> Dict[str, Any]:
        if self.record is None:
            return {}
        state = {"key_alias": self.alias, "state": "blocked" if self.current["blocked"] else "present"}
        for field in self.desired:
            value = self.current.get(field)
            state[field] = user_metadata(value, self.desired.get("metadata")) if field == "metadata" else value
        return state

    def after(self) -> Dict[str, Any]:
        if self.state == "absent":
            return {}
        state = {"key_alias": self.alias, "state": "blocked" if key_wants_blocked(self.params) else "present"}
        state.update(self.desired)
        if "metadata" in self.desired:
            state["metadata"] = user_metadata(self.metadata_after(), self.desired["metadata"])
        if self.rotate:
            state["key"] = "(new value)"
        return state

    def predicted(self) -> Optional[Dict[str, Any]]:
        if self.state == "absent":
            return None
        stored = self.record or {}
        predicted = dict(stored, key_alias=self.alias)
        predicted.update(
            {field: value for field, value in self.desired.items() if field not in ("soft_budget", "owner")}
        )
        if "soft_budget" in self.desired:
            predicted["litellm_budget_table"] = {"soft_budget": self.desired["soft_budget"]}
        if self.record is None or "metadata" in self.desired or "owner" in self.desired:
            predicted["metadata"] = self.metadata_after()
        predicted["blocked"] = key_wants_blocked(self.params)
        return predicted

    def steps(self) -> List[str]:
        """The writes the plan makes, in order: create, delete, or rotate, update, block / unblock."""
        if self.action in ("create", "delete"):
            return [self.action]
        steps = ["rotate"] if self.rotate else []
        if self.action == "update":
            steps.append("update")
        if self.block:
            steps.append(self.block)
        return steps

    def _step(self, name: str, fields: List[str], call: Any, *args: Any) -> Any:
        """One write, noted in ``done`` once it took effect (also when its answer was lost)."""
        try:
            response = call(*args)
        except Exception as exc:
            if getattr(exc, "applied", False):
                self._done(name, fields)
            raise
        self._done(name, fields)
        return response

    def _done(self, name: str, fields: List[str]) -> None:
        if name not in self.done:
            self.done.append(name)
        self.done_fields.extend(field for field in fields if field not in self.done_fields)

    def done_summary(self) -> Dict[str, Any]:
        """Like ``summary()``, for the writes that took effect (part of the plan)."""
        return {"action": self.action, "fields": sorted(self.done_fields)}

    def apply(self, client: Any) -> Dict[str, Any]:
        """The writes; returns ``{"record": {"token": ...} or None, "api_key": ...}``
        (api_key only for a secret LiteLLM generated in this run). ``done`` lists the steps that
        took effect, so a failure part-way reports only those."""
        self.done, self.done_fields = [], []
        if self.action == "delete":
            self._step("delete", ["state"], client.delete_keys, [self.record["token"]])
            return {"record": None, "api_key": None}
        if self.action == "create":
            response = self._step("create", self.fields(), client.generate_key, self.create_body())
            generated = self.params.get("key") is None
            return {"record": response, "api_key": response.get("key") if generated else None}
        token = self.record["token"]
        api_key = None
        if self.rotate:
            body = {"key": token}
            if self.params.get("key") is not None:
                body["new_key"] = self.params["key"]
            response = self._step("rotate", ["key"], client.regenerate_key, body)
            token = response.get("token_id") or response.get("token") or token_hash(response["key"])
            if self.params.get("key") is None:
                api_key = response.get("key")
        if self.action == "update":
            for body in self.update_bodies(token):
                self._step("update", sorted(field for field in body if field != "key"), client.update_key, body)
        if self.block:
            call = client.block_key if self.block == "block" else client.unblock_key
            self._step(self.block, ["blocked"], call, token)
        return {"record": {"token": token}, "api_key": api_key}


def public_key(record: Optional[Mapping[str, Any]]) -> Optional[Dict[str, Any]]:
    """A key record reduced to documented, secret-free fields (the raw key is never in a record)."""
    if not record:
        return None
    result = {field: record.get(field) for field in PUBLIC_KEY_FIELDS if field != "soft_budget"}
    result["soft_budget"] = key_current_fields(record)["soft_budget"]
    result["blocked"] = bool(record.get("blocked"))
    result["managed"] = is_managed(record)
    result["owner"] = owner_of(record)
    return result
