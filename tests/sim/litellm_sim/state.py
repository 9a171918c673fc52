"""In-memory LiteLLM management state: keys, teams, budgets, and the endpoint behaviours.

Each public ``*_endpoint`` method answers one route and names, in its docstring, the LiteLLM
1.106.12 function it mirrors (paths relative to ``site-packages/litellm``). Validation
helpers (budget durations, duration parsing, secret-name safety) are LiteLLM's own functions,
imported from the pinned package, so their messages and edge cases are LiteLLM's.
"""

from __future__ import annotations

import copy
import hashlib
import json
import math
import os
import re
import secrets
import threading
import time
import uuid
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from typing import Any

from litellm.constants import (
    LENGTH_OF_LITELLM_GENERATED_KEY,
    LITELLM_PROXY_ADMIN_NAME,
    MINIMUM_CUSTOM_KEY_LENGTH,
    UI_SESSION_TOKEN_TEAM_ID,
)
from litellm.litellm_core_utils.duration_parser import duration_in_seconds
from litellm.proxy._types import (
    CommonProxyErrors,
    LiteLLM_DeletedTeamTable,
    LiteLLM_ManagementEndpoint_MetadataFields,
    LiteLLM_ManagementEndpoint_MetadataFields_Premium,
    LiteLLM_Reserved_Metadata_Fields,
    TeamListResponseObject,
)
from litellm.proxy.common_utils.timezone_utils import budget_duration_error, get_budget_reset_time
from litellm.secret_managers.base_secret_manager import raise_if_unsafe_secret_name
from litellm.types.proxy.management_endpoints.team_endpoints import TeamListItem, TeamListResponse
from pydantic import ValidationError

from .errors import ApiError, PlainText, handled_http_exception, proxy_exception, raw_http_exception
from .model_access import router_for, team_can_call
from .validation import RequestInvalid, validate, validate_query

DEFAULT_MODELS = ("gpt-4o", "gpt-4o-mini", "claude-3-5-sonnet", "claude-3-5-haiku", "text-embedding-3-small")
DEFAULT_WILDCARDS = ("openai/*",)
DEFAULT_ACCESS_GROUPS = ("cheap-models",)
# model_info.access_groups of the deployments: the models each access group holds.
ACCESS_GROUP_MEMBERS = {"cheap-models": ("gpt-4o-mini", "claude-3-5-haiku")}

KEY_COLUMNS = frozenset(
    [
        "key_alias",
        "models",
        "aliases",
        "config",
        "spend",
        "max_budget",
        "user_id",
        "team_id",
        "agent_id",
        "project_id",
        "max_parallel_requests",
        "metadata",
        "tpm_limit",
        "rpm_limit",
        "tpd_limit",
        "budget_duration",
        "budget_reset_at",
        "allowed_cache_controls",
        "allowed_routes",
        "permissions",
        "model_max_budget",
        "budget_fallbacks",
        "budget_id",
        "organization_id",
        "blocked",
        "expires",
        "auto_rotate",
        "rotation_interval",
        "router_settings",
        "access_group_ids",
        "budget_limits",
    ]
)
TEAM_COLUMNS = frozenset(
    [
        "team_alias",
        "organization_id",
        "metadata",
        "tpm_limit",
        "rpm_limit",
        "tpd_limit",
        "max_budget",
        "soft_budget",
        "models",
        "blocked",
        "budget_duration",
        "budget_reset_at",
        "model_max_budget",
        "router_settings",
        "access_group_ids",
        "budget_limits",
        "default_team_member_models",
        "policies",
    ]
)
# Raw team rows /_sim/seed may also set: a member list as an older LiteLLM (or a hand-edited
# database) could have left it, which LiteLLM's own team models then refuse.
TEAM_SEED_COLUMNS = TEAM_COLUMNS | frozenset(["members_with_roles", "members", "admins", "spend", "created_at"])
TEAM_SYSTEM_METADATA_KEYS = ("team_member_budget_id",)
# team_endpoints.py: list_team_v2 (valid_sort_columns).
TEAM_SORT_COLUMNS = ("team_id", "team_alias", "created_at")
# proxy_server.py: otel_unhandled_exception_handler (an exception an endpoint did not handle).
UNHANDLED_EXCEPTION_BODY = {"error": {"message": "Internal server error", "type": "internal_server_error"}}
# db/exception_handler.py: PrismaDBExceptionHandler.service_unavailable_proxy_exception.
DB_UNAVAILABLE_BODY = {
    "error": {
        "message": "Service Unavailable, the authentication database is temporarily unreachable. Please retry shortly.",
        "type": "no_db_connection",
        "param": "None",
        "code": "503",
    }
}
BUDGET_COLUMNS = (
    "budget_id",
    "max_budget",
    "soft_budget",
    "max_parallel_requests",
    "tpm_limit",
    "rpm_limit",
    "tpd_limit",
    "model_max_budget",
    "budget_duration",
    "budget_reset_at",
)
WRITE_ROUTES = frozenset(
    [
        "/key/generate",
        "/key/update",
        "/key/delete",
        "/key/block",
        "/key/unblock",
        "/key/regenerate",
        "/team/new",
        "/team/update",
        "/team/delete",
        "/team/member_add",
        "/team/member_delete",
        "/team/member_update",
        "/budget/new",
        "/budget/update",
        "/budget/delete",
    ]
)


# PostgreSQL types of the integer limit columns (proxy/schema.prisma: Int is int4, BigInt int8;
# the same in LiteLLM_VerificationToken, LiteLLM_TeamTable and LiteLLM_BudgetTable).
INT4_COLUMNS = frozenset(["max_parallel_requests"])
INT8_COLUMNS = frozenset(["tpm_limit", "rpm_limit", "tpd_limit"])
INT4_MAX, INT8_MAX = 2**31 - 1, 2**63 - 1


class ColumnOutOfRange(Exception):
    """What the database layer raises for an integer beyond its column (a prisma DataError in
    LiteLLM): Prisma refuses a number beyond 64 bits itself (P2033), PostgreSQL an int4 overflow
    (SQLSTATE 22003, Prisma's P2020). Each endpoint turns it into its own 500 (or 400) answer."""


def check_column_ranges(values: Mapping[str, Any]) -> None:
    for name, value in values.items():
        if not isinstance(value, int) or isinstance(value, bool):
            continue
        if name in INT8_COLUMNS and not -INT8_MAX - 1 <= value <= INT8_MAX:
            raise ColumnOutOfRange(
                "A number used in the query does not fit into a 64 bit signed integer. Consider using `BigInt` "
                "as field type if you're trying to store large integers"
            )
        if name in INT4_COLUMNS and not -INT4_MAX - 1 <= value <= INT4_MAX:
            raise ColumnOutOfRange(f'Value out of range for the type. value "{value}" is out of range for type integer')


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat()


def hash_token(token: str) -> str:
    """proxy/utils.py: hash_token (SHA-256 of the key)."""
    return hashlib.sha256(token.encode()).hexdigest()


def hash_token_if_needed(token: str) -> str:
    """proxy/utils.py: hash_token_if_needed (only ``sk-`` values are hashed)."""
    return hash_token(token) if token.startswith("sk-") else token


def is_valid_api_key(key: str) -> bool:
    """proxy/utils.py: is_valid_api_key."""
    if 3 <= len(key) <= 100:
        return bool(re.match(r"^sk-[A-Za-z0-9_-]+$", key) or re.match(r"^[a-fA-F0-9]{64}$", key))
    return False


def abbreviate_api_key(api_key: str) -> str:
    """proxy/auth/auth_utils.py: abbreviate_api_key."""
    if len(api_key) < MINIMUM_CUSTOM_KEY_LENGTH:
        return "sk-..."
    return f"sk-...{api_key[-4:]}"


def _non_negative_error(field: str, value: float | None) -> str | None:
    if value is not None and (not math.isfinite(value) or value < 0):
        return f"{field} must be a non-negative finite number. Received: {value}"
    return None


def _reset_at(budget_duration: str | None) -> str | None:
    return None if budget_duration is None else get_budget_reset_time(budget_duration=budget_duration).isoformat()


def _enterprise_detail(feature: str) -> dict[str, str]:
    """proxy/utils.py: require_enterprise_license (as used by set_object_metadata_field)."""
    return {
        "error": f"This feature is only available for LiteLLM Enterprise users: {feature}. "
        f"{CommonProxyErrors.not_premium_user.value}"
    }


class Simulator:
    """The state of one simulated LiteLLM proxy with a database."""

    def __init__(
        self,
        master_key: str,
        models: tuple[str, ...] = DEFAULT_MODELS,
        wildcards: tuple[str, ...] = DEFAULT_WILDCARDS,
        access_groups: tuple[str, ...] = DEFAULT_ACCESS_GROUPS,
        stats_file: str | None = None,
    ) -> None:
        self.master_key = master_key
        self.stats_file = stats_file
        self.lock = threading.RLock()
        self.base_models = (tuple(models), tuple(wildcards), tuple(access_groups))
        self.reset()

    # Test control ------------------------------------------------------------------------

    def reset(self) -> None:
        with self.lock:
            self.keys: dict[str, dict[str, Any]] = {}
            self.deleted_keys: list[dict[str, Any]] = []
            self.teams: dict[str, dict[str, Any]] = {}
            self.deleted_teams: list[dict[str, Any]] = []
            self.faults: list[dict[str, Any]] = []
            self.budgets: dict[str, dict[str, Any]] = {}
            # LiteLLM_TeamMembership rows by (team_id, user_id): a member's spend and budget in a team.
            self.memberships: dict[tuple[str, str], dict[str, Any]] = {}
            self.models, self.wildcards, self.access_groups = (list(part) for part in self.base_models)
            self._router = None
            self.premium_user = False
            self.auto_add_proxy_admin_to_teams = True
            self.stats: dict[str, Any] = {"requests": 0, "writes": 0, "by_route": {}}
            self._publish_stats()

    def record_request(self, method: str, route: str) -> None:
        with self.lock:
            self.stats["requests"] += 1
            name = f"{method} {route}"
            self.stats["by_route"][name] = self.stats["by_route"].get(name, 0) + 1
            if method == "POST" and route in WRITE_ROUTES:
                self.stats["writes"] += 1
                self._publish_stats()

    def _publish_stats(self) -> None:
        """Mirror the counters to a file, which test playbooks read far cheaper than over HTTP."""
        if not self.stats_file:
            return
        temporary = f"{self.stats_file}.tmp"
        with open(temporary, "w", encoding="utf-8") as handle:
            json.dump(self.stats, handle)
        os.replace(temporary, self.stats_file)

    def stats_snapshot(self) -> dict[str, Any]:
        with self.lock:
            return copy.deepcopy(self.stats)

    def configure(self, body: Mapping[str, Any]) -> dict[str, Any]:
        with self.lock:
            if "premium_user" in body:
                self.premium_user = bool(body["premium_user"])
            if "auto_add_proxy_admin_to_teams" in body:
                self.auto_add_proxy_admin_to_teams = bool(body["auto_add_proxy_admin_to_teams"])
            if "models" in body:
                self.models = list(body["models"])
                self._router = None
            return {
                "premium_user": self.premium_user,
                "auto_add_proxy_admin_to_teams": self.auto_add_proxy_admin_to_teams,
                "models": self.models,
            }

    def seed(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """Insert raw key rows, as an older LiteLLM without alias uniqueness could have left them."""
        with self.lock:
            tokens = []
            for raw in body.get("keys", []):
                row = self._new_key_row(token=hash_token(f"sk-seed-{uuid.uuid4().hex}"))
                row.update({name: value for name, value in raw.items() if name in KEY_COLUMNS})
                self.keys[row["token"]] = row
                tokens.append(row["token"])
            team_ids = []
            for raw in body.get("teams", []):
                row = self._new_team_row(team_id=raw.get("team_id") or str(uuid.uuid4()))
                row.update({name: value for name, value in raw.items() if name in TEAM_SEED_COLUMNS})
                self.teams[row["team_id"]] = row
                team_ids.append(row["team_id"])
            return {"tokens": tokens, "team_ids": team_ids}

    def add_faults(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """``{"path", "method"?, "match"?, "status"?, "delay"?, "applied"?, "count"?, "body"?}``, or
        ``{"faults": [...]}`` to replace the list (``[]`` clears it). See ``take_fault``."""
        with self.lock:
            if "faults" in body:
                self.faults = []
                entries = list(body["faults"])
            else:
                entries = [body]
            for entry in entries:
                if not entry.get("path"):
                    raise ValueError("a fault needs a path")
                fault = {
                    "path": entry["path"],
                    "method": entry.get("method"),
                    "match": dict(entry.get("match") or {}),
                    "status": entry.get("status"),
                    "delay": float(entry.get("delay") or 0),
                    "applied": bool(entry.get("applied")),
                    "count": int(entry.get("count", 1)),
                    "body": entry.get("body"),
                    "served": 0,
                }
                if fault["status"] is None and not fault["applied"]:
                    fault["status"] = 503
                self.faults.append(fault)
            return self.faults_snapshot()

    def faults_snapshot(self) -> dict[str, Any]:
        with self.lock:
            return {"faults": copy.deepcopy(self.faults)}

    def take_fault(self, method: str, route: str, query: Mapping[str, str], body: Any) -> dict[str, Any] | None:
        """The first armed fault matching the request, its count decremented, or None.

        A fault answers ``status`` (default 503) after ``delay`` seconds without handling the
        request; with ``applied`` the request is handled first, then its answer is replaced by
        ``status`` (when set) after ``delay`` seconds: the write happened, its answer was lost.
        ``match`` holds body (or query) fields the request must carry with these values.
        """
        fields = dict(query)
        if isinstance(body, Mapping):
            fields.update(body)
        with self.lock:
            for fault in self.faults:
                if fault["count"] <= 0 or fault["path"] != route:
                    continue
                if fault["method"] and fault["method"].upper() != method:
                    continue
                if any(fields.get(name) != value for name, value in fault["match"].items()):
                    continue
                fault["count"] -= 1
                fault["served"] += 1
                return dict(fault)
        return None

    @staticmethod
    def fault_answer(fault: Mapping[str, Any]) -> tuple[int, Any]:
        """What a faulted request gets: LiteLLM's own body for 500 and 503, a gateway's text otherwise."""
        if fault.get("delay"):
            time.sleep(fault["delay"])
        status = int(fault["status"])
        if fault.get("body") is not None:
            return status, fault["body"]
        if status == 503:
            return status, DB_UNAVAILABLE_BODY
        if status == 500:
            return status, UNHANDLED_EXCEPTION_BODY
        return status, f"<html><body><h1>{status} Gateway error</h1></body></html>"

    # Auth --------------------------------------------------------------------------------

    def authenticate(self, authorization: str | None) -> None:
        """proxy/auth/user_api_key_auth.py: _user_api_key_auth_builder and
        proxy/auth/auth_exception_handler.py: _as_proxy_exception, for the master key only."""
        if not authorization:
            raise proxy_exception(401, "Authentication Error, No api key passed in.", "auth_error", "None")
        api_key = authorization
        for prefix in ("Bearer ", "bearer ", "Basic "):
            if api_key.startswith(prefix):
                api_key = api_key[len(prefix) :]
                break
        if secrets.compare_digest(api_key, self.master_key):
            return
        masked = f"{api_key[:4]}****{api_key[-4:]}" if len(api_key) > 8 else "****"
        if not api_key.startswith("sk-"):
            raise proxy_exception(
                401,
                f"LiteLLM Virtual Key expected. Received={masked}, expected to start with 'sk-'.",
                "auth_error",
                "None",
            )
        raise proxy_exception(
            401,
            f"Authentication Error, Invalid proxy server token passed. Received API Key = "
            f"{abbreviate_api_key(api_key)}, Key Hash (Token) ={hash_token(api_key)}. Unable to find token in cache "
            "or `LiteLLM_VerificationTokenTable`",
            "token_not_found_in_db",
            "key",
        )

    # Shared helpers ----------------------------------------------------------------------

    def _merge_metadata_fields(self, metadata: dict[str, Any] | None, data: Any, fields: set[str]) -> dict:
        """common_utils.py: set_object_metadata_field / prepare_metadata_fields: fields that
        LiteLLM stores inside metadata, premium ones refused without a licence."""
        merged = dict(metadata or {})
        for field in LiteLLM_ManagementEndpoint_MetadataFields_Premium:
            value = getattr(data, field, None)
            if field in fields and value is not None:
                if value and not self.premium_user:
                    raise handled_http_exception(403, _enterprise_detail(field))
                merged[field] = value
        for field in LiteLLM_ManagementEndpoint_MetadataFields:
            value = getattr(data, field, None)
            if field in fields and value is not None:
                merged[field] = value.isoformat() if isinstance(value, datetime) else value
        return merged

    def _budget_row(self, **values: Any) -> dict[str, Any]:
        stamp = now_iso()
        row = dict.fromkeys(BUDGET_COLUMNS)
        row.update(
            {
                "budget_id": str(uuid.uuid4()),
                "allowed_models": [],
                "temp_budget_increase": None,
                "temp_budget_expiry": None,
                "created_at": stamp,
                "created_by": LITELLM_PROXY_ADMIN_NAME,
                "updated_at": stamp,
                "updated_by": LITELLM_PROXY_ADMIN_NAME,
            }
        )
        row.update(values)
        return row

    def _key_view(self, row: Mapping[str, Any]) -> dict[str, Any]:
        view = copy.deepcopy(dict(row))
        budget = self.budgets.get(row.get("budget_id") or "")
        view["litellm_budget_table"] = copy.deepcopy(budget) if budget else None
        view["object_permission"] = None
        return view

    def _new_key_row(self, token: str) -> dict[str, Any]:
        stamp = now_iso()
        return {
            "token": token,
            "key_name": None,
            "key_alias": None,
            "soft_budget_cooldown": False,
            "spend": 0.0,
            "total_spend": 0.0,
            "expires": None,
            "models": [],
            "aliases": {},
            "config": {},
            "router_settings": {},
            "user_id": None,
            "team_id": None,
            "agent_id": None,
            "project_id": None,
            "permissions": {},
            "max_parallel_requests": None,
            "metadata": {},
            "blocked": None,
            "tpm_limit": None,
            "rpm_limit": None,
            "tpd_limit": None,
            "max_budget": None,
            "budget_duration": None,
            "budget_reset_at": None,
            "allowed_cache_controls": [],
            "allowed_routes": [],
            "key_type": "default",
            "policies": [],
            "access_group_ids": [],
            "model_spend": {},
            "model_max_budget": {},
            "budget_fallbacks": {},
            "budget_id": None,
            "organization_id": None,
            "object_permission_id": None,
            "created_at": stamp,
            "created_by": LITELLM_PROXY_ADMIN_NAME,
            "updated_at": stamp,
            "updated_by": LITELLM_PROXY_ADMIN_NAME,
            "settings_updated_at": None,
            "last_active": None,
            "rotation_count": 0,
            "auto_rotate": False,
            "rotation_interval": None,
            "last_rotation_at": None,
            "key_rotation_at": None,
            "budget_limits": None,
        }

    def _new_team_row(self, team_id: str) -> dict[str, Any]:
        stamp = now_iso()
        return {
            "team_id": team_id,
            "team_alias": None,
            "organization_id": None,
            "object_permission_id": None,
            "admins": [],
            "members": [],
            "members_with_roles": [],
            "team_member_permissions": [],
            "metadata": {},
            "max_budget": None,
            "soft_budget": None,
            "spend": 0.0,
            "models": [],
            "max_parallel_requests": None,
            "tpm_limit": None,
            "rpm_limit": None,
            "tpd_limit": None,
            "budget_duration": None,
            "budget_reset_at": None,
            "blocked": False,
            "created_at": stamp,
            "updated_at": stamp,
            "model_spend": {},
            "model_max_budget": {},
            "router_settings": {},
            "access_group_ids": [],
            "policies": [],
            "default_team_member_models": [],
            "budget_limits": None,
            "model_id": None,
            "allow_team_guardrail_config": False,
        }

    def _alias_taken(self, key_alias: str | None, except_token: str | None = None) -> None:
        """key_management_endpoints.py: _enforce_unique_key_alias."""
        if key_alias is None:
            return
        for token, row in self.keys.items():
            if row.get("key_alias") == key_alias and token != except_token:
                raise proxy_exception(
                    400,
                    f"Key with alias '{key_alias}' already exists. Unique key aliases across all keys are required.",
                    "bad_request_error",
                    "key_alias",
                )

    @staticmethod
    def _check_alias_format(key_alias: str | None) -> None:
        """key_management_endpoints.py: _validate_key_alias_format (default settings: only the
        path-traversal / control-character rule applies)."""
        if key_alias is None:
            return
        try:
            raise_if_unsafe_secret_name(key_alias)
        except ValueError:
            raise proxy_exception(400, "Invalid key_alias", "bad_request_error", "key_alias") from None

    @staticmethod
    def _expires(duration: str | None, updating: bool = False) -> str | None:
        """key_management_endpoints.py: generate_key_helper_fn and prepare_key_update_data
        (duration -> expires). LiteLLM does not validate ``duration`` up front: the parser's
        ValueError becomes a 500 on /key/generate and an "Authentication Error" 400 on
        /key/update (update_key_fn's catch-all)."""
        if duration is None:
            return None
        try:
            seconds = duration_in_seconds(duration)
            return (datetime.now(timezone.utc) + timedelta(seconds=seconds)).isoformat()
        except (ValueError, OverflowError) as exc:
            if updating:
                raise proxy_exception(400, f"Authentication Error, {exc}", "auth_error", "None") from None
            raise proxy_exception(500, str(exc), "internal_server_error", None) from None

    def _members_with_user_ids(self, members: list[Any]) -> list[dict[str, Any]]:
        """team_endpoints.py: _validate_and_populate_member_user_info: a member added by email
        gets the user_id of a newly created user."""
        result = []
        for member in members:
            entry = member.model_dump() if hasattr(member, "model_dump") else dict(member)
            if not entry.get("user_id"):
                entry["user_id"] = str(uuid.uuid4())
            result.append(
                {"user_id": entry.get("user_id"), "user_email": entry.get("user_email"), "role": entry["role"]}
            )
        return result

    # Keys --------------------------------------------------------------------------------

    def key_generate_endpoint(self, query: Mapping[str, str], body: Any) -> tuple[int, Any]:
        """proxy/management_endpoints/key_management_endpoints.py: generate_key_fn,
        _common_key_generation_helper, generate_key_helper_fn.

        Reproduces: negative or non-finite max_budget / soft_budget (400), budget_duration
        validation (400), alias uniqueness (400, param key_alias), custom key format (``sk-``,
        16+ characters, 400), an unparsable ``duration`` (500), metadata-backed fields folded
        into metadata, soft_budget creating a budget row linked by budget_id, the proxy admin
        creating keys for a team_id that does not exist, and the response carrying the
        secret ``key`` with ``token`` set to the hash.
        """
        data = validate("GenerateKeyRequest", body)
        fields = data.model_fields_set
        with self.lock:
            for field in ("max_budget", "soft_budget"):
                error = _non_negative_error(field, getattr(data, field))
                if error:
                    raise handled_http_exception(400, {"error": error})
            duration_problem = budget_duration_error(data.budget_duration)
            if duration_problem:
                raise handled_http_exception(400, {"error": duration_problem})
            if data.organization_id is not None:
                raise handled_http_exception(400, f"Organization not found for organization_id={data.organization_id}")
            metadata = self._merge_metadata_fields(data.metadata, data, fields)
            for field in ("model_rpm_limit", "model_tpm_limit", "mcp_rpm_limit", "tag_rpm_limit"):
                value = getattr(data, field, None)
                if value is not None:
                    metadata[field] = value
            self._check_alias_format(data.key_alias)
            self._alias_taken(data.key_alias)
            if data.key is not None and not data.key.startswith("sk-"):
                masked = f"{data.key[:4]}****{data.key[-4:]}" if len(data.key) > 8 else "****"
                raise handled_http_exception(
                    400, {"error": f"Invalid key format. LiteLLM Virtual Key must start with 'sk-'. Received: {masked}"}
                )
            if data.key is not None and len(data.key) < MINIMUM_CUSTOM_KEY_LENGTH:
                raise handled_http_exception(
                    400,
                    {
                        "error": "Invalid key format. LiteLLM Virtual Key must be at least "
                        f"{MINIMUM_CUSTOM_KEY_LENGTH} characters long."
                    },
                )
            secret = data.key or f"sk-{secrets.token_urlsafe(LENGTH_OF_LITELLM_GENERATED_KEY)}"
            token = hash_token(secret)
            if token in self.keys:
                raise proxy_exception(500, "Internal Server Error.", "internal_server_error", None)
            expires = self._expires(data.duration)
            try:
                check_column_ranges(data.model_dump(include=INT4_COLUMNS | INT8_COLUMNS))
            except ColumnOutOfRange as exc:
                raise proxy_exception(500, str(exc), "internal_server_error", None) from None
            budget_id = data.budget_id
            if data.soft_budget is not None:
                budget = self._budget_row(soft_budget=data.soft_budget, model_max_budget=data.model_max_budget or {})
                self.budgets[budget["budget_id"]] = budget
                budget_id = budget["budget_id"]
            row = self._new_key_row(token)
            row.update(
                {
                    "key_name": abbreviate_api_key(secret),
                    "key_alias": data.key_alias,
                    "expires": expires,
                    "models": list(data.models or []),
                    "aliases": data.aliases or {},
                    "config": data.config or {},
                    "spend": data.spend or 0.0,
                    "max_budget": data.max_budget,
                    "user_id": data.user_id,
                    "team_id": data.team_id,
                    "agent_id": data.agent_id,
                    "max_parallel_requests": data.max_parallel_requests,
                    "metadata": metadata,
                    "tpm_limit": data.tpm_limit,
                    "rpm_limit": data.rpm_limit,
                    "tpd_limit": data.tpd_limit,
                    "budget_duration": data.budget_duration,
                    "budget_reset_at": _reset_at(data.budget_duration),
                    "allowed_cache_controls": data.allowed_cache_controls or [],
                    "permissions": data.permissions or {},
                    "budget_id": budget_id,
                    "blocked": data.blocked,
                    "key_type": data.key_type.value if data.key_type is not None else None,
                }
            )
            self.keys[token] = row
            response = self._key_view(row)
            response.update({"key": secret, "token": token, "token_id": token, "soft_budget": data.soft_budget})
            return 200, response

    def _find_key_for_update(self, key: str | None, key_alias: str | None) -> dict[str, Any]:
        """key_management_endpoints.py: _get_and_validate_existing_key."""
        if key is not None:
            row = self.keys.get(hash_token_if_needed(key))
            if row is None:
                raise proxy_exception(404, "Key not found.", "not_found_error", "key")
            return row
        rows = [row for row in self.keys.values() if row.get("key_alias") == key_alias]
        if not rows:
            raise proxy_exception(
                404, f"Key not found. No key with key_alias='{key_alias}'.", "not_found_error", "key_alias"
            )
        if len(rows) > 1:
            raise proxy_exception(
                400,
                f"Multiple keys share key_alias='{key_alias}', so it cannot be used as an identifier.",
                "bad_request_error",
                "key_alias",
            )
        return rows[0]

    def _check_team_change(self, row: Mapping[str, Any], team_id: str) -> None:
        """key_management_endpoints.py: validate_key_team_change (the team must serve the
        key's models, allow its rpm/tpm limits and count its user as a member)."""
        team = self.teams.get(team_id)
        if team is None:
            raise ApiError(
                404,
                {"error": f"Team doesn't exist in db. Team={team_id}. Create team via `/team/new` call."},
            )
        if row.get("team_id") == team_id:
            return
        # can_team_access_model, with LiteLLM's own check_model_access_helper over a router of
        # the simulated deployments (model_access.py)
        team_models = team.get("models") or []
        for model in row.get("models") or []:
            if model != "all-team-models" and not team_can_call(model, team_models, team_id, self.router()):
                raise ApiError(
                    401,
                    {"error": f"Team={team_id} not allowed to call model={model}. Allowed team models = {team_models}"},
                )
        # the rpm_limit comparison sits inside ``if key.tpm_limit is not None``
        if row.get("tpm_limit") is not None:
            for limit in ("tpm_limit", "rpm_limit"):
                if row.get(limit) and team.get(limit) and row[limit] > team[limit]:
                    raise ApiError(
                        403,
                        f"Key={row['token']} has a {limit}={row[limit]} which is greater than the team's "
                        f"{limit}={team[limit]}.",
                    )
        user_id = row.get("user_id")
        if user_id is not None and not any(m.get("user_id") == user_id for m in team["members_with_roles"]):
            raise ApiError(
                403, f"User={user_id} is not a member of the team={team_id}. Check team members via `/team/info`."
            )

    def _prepare_key_update(self, data: Any, row: Mapping[str, Any]) -> dict[str, Any]:
        """key_management_endpoints.py: prepare_key_update_data and prepare_metadata_fields:
        ``metadata`` replaces the stored metadata wholesale (reserved fields kept), fields
        LiteLLM keeps in metadata are merged into it, duration recomputes ``expires``."""
        data_json = data.model_dump(exclude_unset=True)
        for name in ("key", "new_key", "grace_period", "new_master_key"):
            data_json.pop(name, None)
        metadata_backed = set(LiteLLM_ManagementEndpoint_MetadataFields) | set(
            LiteLLM_ManagementEndpoint_MetadataFields_Premium
        )
        values = {name: value for name, value in data_json.items() if name not in metadata_backed}
        if "duration" in values:
            duration = values.pop("duration")
            values["expires"] = None if duration in (None, "-1") else self._expires(duration, updating=True)
        if "budget_duration" in values:
            values["budget_reset_at"] = _reset_at(values["budget_duration"])
        existing_metadata = row.get("metadata") or {}
        metadata = values["metadata"] if "metadata" in values else dict(existing_metadata)
        metadata = dict(metadata or {})
        for reserved in LiteLLM_Reserved_Metadata_Fields:
            stored = existing_metadata.get(reserved)
            if stored is None:
                continue
            if reserved in metadata and metadata[reserved] != stored:
                raise ApiError(400, f"{reserved} is immutable once set and cannot be changed via update.")
            metadata[reserved] = stored
        values["metadata"] = self._merge_metadata_fields(metadata, data, set(data_json))
        return values

    def key_update_endpoint(self, query: Mapping[str, str], body: Any) -> tuple[int, Any]:
        """key_management_endpoints.py: update_key_fn, _validate_update_key_data,
        _update_key_row_with_soft_budget.

        Reproduces: lookup by ``key`` (value or hash) or by ``key_alias`` (404 / 400 when the
        alias is shared), negative budgets (400), budget_duration validation (400), moving a
        key to a missing team (404) or to a team that cannot take it (401/403), alias
        uniqueness on rename (400), metadata replaced on update, soft_budget updating or
        creating the key's budget row, and every HTTPException re-raised as a ProxyException
        of type ``auth_error``.
        """
        data = validate("UpdateKeyRequest", body)
        fields = data.model_fields_set
        with self.lock:
            try:
                for field in ("max_budget", "soft_budget"):
                    error = _non_negative_error(field, getattr(data, field))
                    if error:
                        raise ApiError(400, {"error": error})
                row = self._find_key_for_update(data.key, data.key_alias)
                duration_problem = budget_duration_error(data.budget_duration)
                if duration_problem:
                    raise ApiError(400, {"error": duration_problem})
                if data.team_id is not None:
                    self._check_team_change(row, data.team_id)
                values = self._prepare_key_update(data, row)
                try:
                    check_column_ranges(values)
                except ColumnOutOfRange as exc:
                    raise proxy_exception(400, f"Authentication Error, {exc}", "auth_error", "None") from None
                if values.get("key_alias") != row.get("key_alias"):
                    self._check_alias_format(values.get("key_alias"))
                self._alias_taken(values.get("key_alias"), except_token=row["token"])
            except ApiError as exc:
                if isinstance(exc.body, Mapping) and "error" in exc.body and isinstance(exc.body["error"], Mapping):
                    raise
                raise handled_http_exception(exc.status, exc.body, "auth_error", "None") from None
            if "soft_budget" in fields:
                self._apply_key_soft_budget(row, data.soft_budget)
                values.pop("soft_budget", None)
            for name, value in values.items():
                if name in KEY_COLUMNS:
                    row[name] = value
            row["updated_at"] = now_iso()
            response = {name: value for name, value in self._key_view(row).items() if name != "token"}
            return 200, {"key": data.key if data.key is not None else row["token"], **response}

    def _apply_key_soft_budget(self, row: dict[str, Any], soft_budget: float | None) -> None:
        """key_management_endpoints.py: _update_key_soft_budget (writes into whatever budget
        row the key points at, even a shared one)."""
        budget = self.budgets.get(row.get("budget_id") or "")
        if budget is not None:
            budget["soft_budget"] = soft_budget
            budget["updated_at"] = now_iso()
            return
        if soft_budget is None:
            return
        budget = self._budget_row(soft_budget=soft_budget)
        self.budgets[budget["budget_id"]] = budget
        row["budget_id"] = budget["budget_id"]

    def key_regenerate_endpoint(self, query: Mapping[str, str], body: Any) -> tuple[int, Any]:
        """key_management_endpoints.py: regenerate_key_fn, get_new_token,
        _execute_virtual_key_regeneration.

        Reproduces: the Enterprise gate (a ValueError, so HTTP 500 without a licence), 404
        for an unknown key, the ``new_key`` format rules (400), the old row archived and the
        token replaced, and the response carrying the new secret in ``key`` and its hash in
        ``token_id``.
        """
        data = validate("RegenerateKeyRequest", body)
        with self.lock:
            if not self.premium_user:
                raise proxy_exception(
                    500,
                    f"Regenerating Virtual Keys is an Enterprise feature, {CommonProxyErrors.not_premium_user.value}",
                    "internal_server_error",
                    None,
                )
            if not data.key:
                raise handled_http_exception(400, {"error": "No key passed in."})
            old_token = data.key if "sk" not in data.key else hash_token(data.key)
            row = self.keys.get(old_token)
            if row is None:
                raise handled_http_exception(404, {"error": f"Key {data.key} not found."})
            if data.new_key is not None and not data.new_key.startswith("sk-"):
                raise handled_http_exception(
                    400,
                    {
                        "error": "New key must start with 'sk-'. This is to distinguish a key hash (used by litellm "
                        "for logging / internal logic) from the actual key."
                    },
                )
            if data.new_key is not None and len(data.new_key) < MINIMUM_CUSTOM_KEY_LENGTH:
                raise handled_http_exception(
                    400, {"error": f"New key must be at least {MINIMUM_CUSTOM_KEY_LENGTH} characters long."}
                )
            values = self._prepare_key_update(data, row)
            secret = data.new_key or f"sk-{secrets.token_urlsafe(LENGTH_OF_LITELLM_GENERATED_KEY)}"
            new_token = hash_token(secret)
            self.deleted_keys.append(
                dict(copy.deepcopy(row), deleted_at=now_iso(), deleted_by=LITELLM_PROXY_ADMIN_NAME)
            )
            del self.keys[old_token]
            for name, value in values.items():
                if name in KEY_COLUMNS and name in data.model_fields_set:
                    row[name] = value
            row.update({"token": new_token, "key_name": abbreviate_api_key(secret), "updated_at": now_iso()})
            row["rotation_count"] = (row.get("rotation_count") or 0) + 1
            row["last_rotation_at"] = now_iso()
            self.keys[new_token] = row
            response = self._key_view(row)
            response.pop("token")
            response.update({"key": secret, "token_id": new_token, "token": None})
            return 200, response

    def key_delete_endpoint(self, query: Mapping[str, str], body: Any) -> tuple[int, Any]:
        """key_management_endpoints.py: delete_key_fn, delete_verification_tokens,
        delete_key_aliases.

        Reproduces: 404 ``No keys found`` when none of the keys exists, deletion of the ones
        that exist when only some do (the response still echoes every key passed in), and
        the deleted rows kept in an archive that ``/key/info`` still answers for.
        """
        data = validate("KeyRequest", body)
        with self.lock:
            if data.keys:
                tokens = [hash_token_if_needed(key) for key in data.keys]
                echoed = data.keys
            else:
                tokens = [token for token, row in self.keys.items() if row.get("key_alias") in data.key_aliases]
                echoed = data.key_aliases
            found = [token for token in tokens if token in self.keys]
            if not found:
                raise handled_http_exception(404, {"error": "No keys found"})
            for token in found:
                self._archive_key(token)
            return 200, {"deleted_keys": echoed}

    def _archive_key(self, token: str) -> None:
        row = self.keys.pop(token)
        self.deleted_keys.append(dict(copy.deepcopy(row), deleted_at=now_iso(), deleted_by=LITELLM_PROXY_ADMIN_NAME))

    def key_info_endpoint(self, query: Mapping[str, str], body: Any) -> tuple[int, Any]:
        """key_management_endpoints.py: info_key_fn.

        Reproduces: lookup by value or hash, the token removed from ``info``, ``status``
        derived from blocked/expires, the linked ``litellm_budget_table``, a deleted key
        still answered from the archive with status ``deleted``, and 404 otherwise.
        """
        key = query.get("key")
        with self.lock:
            if not key:
                raise proxy_exception(404, "Key not found in database", "not_found_error", "key")
            hashed = hash_token_if_needed(key)
            row = self.keys.get(hashed)
            status = None
            if row is None:
                archived = [item for item in self.deleted_keys if item["token"] == hashed]
                if not archived:
                    raise proxy_exception(404, "Key not found in database", "not_found_error", "key")
                row, status = archived[-1], "deleted"
            info = self._key_view(row)
            info.pop("token")
            info["status"] = status or self._key_status(row)
            return 200, {"key": key, "info": info}

    @staticmethod
    def _key_status(row: Mapping[str, Any]) -> str:
        """key_management_endpoints.py: _derive_key_status."""
        if row.get("blocked") is True:
            return "revoked"
        if row.get("expires") is None:
            return "active"
        return "expired" if datetime.fromisoformat(row["expires"]) < datetime.now(timezone.utc) else "active"

    def key_list_endpoint(self, query: Mapping[str, str], body: Any) -> tuple[int, Any]:
        """key_management_endpoints.py: list_keys, list_key_helper, _build_key_filter_conditions.

        Reproduces: ``page`` >= 1 and 1 <= ``size`` <= 100 (default 10, 422 outside),
        exact ``key_alias`` / ``user_id`` / ``team_id`` / ``key_hash`` filters (substring
        alias match with ``substring_matching=true``), UI session keys hidden, order by
        created_at then token descending, token hashes unless ``return_full_object=true``
        (then rows with ``litellm_budget_table``), and total_count / total_pages.
        """
        page = validate_query("page", query.get("page"), 1, 1)
        size = validate_query("size", query.get("size"), 10, 1, 100)
        full = query.get("return_full_object", "false").lower() == "true"
        substring = query.get("substring_matching", "false").lower() == "true"
        with self.lock:
            rows = [row for row in self.keys.values() if row.get("team_id") != UI_SESSION_TOKEN_TEAM_ID]
            alias = query.get("key_alias")
            if alias:
                if substring:
                    rows = [row for row in rows if alias.lower() in (row.get("key_alias") or "").lower()]
                else:
                    rows = [row for row in rows if row.get("key_alias") == alias]
            for name, column in (("user_id", "user_id"), ("team_id", "team_id"), ("key_hash", "token")):
                if query.get(name):
                    rows = [row for row in rows if row.get(column) == query[name]]
            rows.sort(key=lambda row: (row["created_at"], row["token"]), reverse=True)
            total = len(rows)
            chosen = rows[(page - 1) * size : page * size]
            keys = [self._key_view(row) for row in chosen] if full else [row["token"] for row in chosen]
            return 200, {"keys": keys, "total_count": total, "current_page": page, "total_pages": -(-total // size)}

    def _block(self, body: Any, blocked: bool) -> tuple[int, Any]:
        data = validate("BlockKeyRequest", body)
        with self.lock:
            if not is_valid_api_key(data.key):
                raise proxy_exception(400, "Invalid key format.", "bad_request_error", "key")
            row = self.keys.get(hash_token_if_needed(data.key))
            if row is None:
                raise proxy_exception(404, "Key not found.", "not_found_error", "key")
            row["blocked"] = blocked
            row["settings_updated_at"] = now_iso()
            return 200, copy.deepcopy(row)

    def key_block_endpoint(self, query: Mapping[str, str], body: Any) -> tuple[int, Any]:
        """key_management_endpoints.py: block_key (key format 400, unknown key 404, returns the row)."""
        return self._block(body, True)

    def key_unblock_endpoint(self, query: Mapping[str, str], body: Any) -> tuple[int, Any]:
        """key_management_endpoints.py: unblock_key (key format 400, unknown key 404, returns the row)."""
        return self._block(body, False)

    # Teams -------------------------------------------------------------------------------

    def _team_budget_errors(self, data: Any) -> list[str]:
        errors = []
        for field in ("max_budget", "team_member_budget", "soft_budget"):
            error = _non_negative_error(field, getattr(data, field, None))
            if error:
                errors.append(error)
        for field in ("budget_duration", "team_member_budget_duration"):
            problem = budget_duration_error(getattr(data, field, None))
            if problem:
                errors.append(problem)
        return errors

    TEAM_MEMBER_BUDGET_FIELDS = (
        "team_member_budget",
        "team_member_rpm_limit",
        "team_member_tpm_limit",
        "team_member_budget_duration",
    )

    @staticmethod
    def _team_range_check(data: Any) -> None:
        """The integer columns of the team row and of its member budget; handle_exception_on_proxy
        makes the database's error a 500."""
        try:
            check_column_ranges(data.model_dump(include=INT4_COLUMNS | INT8_COLUMNS))
            check_column_ranges({"rpm_limit": data.team_member_rpm_limit, "tpm_limit": data.team_member_tpm_limit})
        except ColumnOutOfRange as exc:
            raise proxy_exception(500, str(exc), "internal_server_error", None) from None

    def _new_team_member_budget(self, team_alias: str | None, data: Any, fields: set[str]) -> str:
        """team_endpoints.py: TeamMemberBudgetHandler.create_team_member_budget_table: a budget row
        for the team's members, its id kept in the team's metadata as ``team_member_budget_id``."""
        if team_alias is not None:
            budget_id = f"team-{team_alias.replace(' ', '-')}-budget-{uuid.uuid4().hex}"
        else:
            budget_id = f"team-budget-{uuid.uuid4().hex}"
        duration = (
            data.team_member_budget_duration
            if "team_member_budget_duration" in fields
            else getattr(data, "budget_duration", None) or data.team_member_budget_duration
        )
        budget = self._budget_row(
            budget_id=budget_id,
            max_budget=data.team_member_budget,
            rpm_limit=data.team_member_rpm_limit,
            tpm_limit=data.team_member_tpm_limit,
            budget_duration=duration,
            budget_reset_at=_reset_at(duration),
        )
        self.budgets[budget_id] = budget
        return budget_id

    def _upsert_team_member_budget(self, row: Mapping[str, Any], data: Any, fields: set[str]) -> str:
        """TeamMemberBudgetHandler.upsert_team_member_budget_table: the fields sent (an explicit null
        clears) written into the team's member budget, or a new one when the team has none. A
        ``team_member_budget_id`` left pointing at a deleted budget makes prisma's update answer
        None, and the handler fails reading its budget_id (500)."""
        budget_id = (row.get("metadata") or {}).get("team_member_budget_id")
        if not isinstance(budget_id, str):
            return self._new_team_member_budget(row.get("team_alias"), data, fields)
        budget = self.budgets.get(budget_id)
        if budget is None:
            raise proxy_exception(500, "'NoneType' object has no attribute 'budget_id'", "internal_server_error", None)
        for request_field, column in (
            ("team_member_budget", "max_budget"),
            ("team_member_rpm_limit", "rpm_limit"),
            ("team_member_tpm_limit", "tpm_limit"),
            ("team_member_budget_duration", "budget_duration"),
        ):
            if request_field in fields:
                budget[column] = getattr(data, request_field)
        if "team_member_budget_duration" in fields:
            budget["budget_reset_at"] = _reset_at(data.team_member_budget_duration)
        budget["updated_at"] = now_iso()
        return budget_id

    def _member_budget_id(self, team: Mapping[str, Any]) -> str | None:
        """management_helpers/utils.py: _resolve_member_budget_id without per-member limits: the
        team's member budget, or none when the team has none or it no longer exists."""
        budget_id = (team.get("metadata") or {}).get("team_member_budget_id")
        return budget_id if isinstance(budget_id, str) and budget_id in self.budgets else None

    def _add_memberships(self, team: Mapping[str, Any], user_ids: list[str], budget_id: str | None = None) -> None:
        """management_helpers/utils.py: add_new_member: every member gets a membership row (an
        existing one is kept as it is), linked to ``budget_id`` or the team's member budget."""
        linked = budget_id if budget_id is not None else self._member_budget_id(team)
        for user_id in user_ids:
            key = (team["team_id"], user_id)
            if key not in self.memberships:
                self.memberships[key] = {
                    "team_id": team["team_id"],
                    "user_id": user_id,
                    "spend": 0.0,
                    "total_spend": 0.0,
                    "budget_id": linked,
                }

    def _team_memberships(self, team_id: str) -> list[dict[str, Any]]:
        """team_endpoints.py: get_all_team_memberships (each with its litellm_budget_table)."""
        result = []
        for (member_team, _user), row in sorted(self.memberships.items()):
            if member_team == team_id:
                view = copy.deepcopy(row)
                budget = self.budgets.get(row.get("budget_id") or "")
                view["litellm_budget_table"] = copy.deepcopy(budget) if budget else None
                result.append(view)
        return result

    def team_new_endpoint(self, query: Mapping[str, str], body: Any) -> tuple[int, Any]:
        """proxy/management_endpoints/team_endpoints.py: new_team.

        Reproduces: negative budgets (400), budget_duration validation (400), soft_budget
        >= max_budget (400), a given team_id that exists (400) or is reserved (400), no
        alias uniqueness at all, an unknown organization_id (400), the master key's user
        (``default_user_id``) added as team admin (_should_auto_add_team_creator),
        metadata-backed fields folded into metadata and ``team_member_budget_id`` stripped,
        team_member_* limits creating the members' budget (its id in metadata), a membership
        row per member linked to it, and integers beyond their column failing (500).
        """
        data = validate("NewTeamRequest", body)
        fields = data.model_fields_set
        with self.lock:
            errors = self._team_budget_errors(data)
            if errors:
                raise handled_http_exception(400, {"error": errors[0]})
            if data.soft_budget is not None and data.max_budget is not None and data.soft_budget >= data.max_budget:
                raise handled_http_exception(
                    400,
                    {
                        "error": f"soft_budget ({data.soft_budget}) must be strictly lower than "
                        f"max_budget ({data.max_budget})"
                    },
                )
            team_id = data.team_id or str(uuid.uuid4())
            if team_id == UI_SESSION_TOKEN_TEAM_ID:
                raise handled_http_exception(
                    400,
                    {
                        "error": f"team_id '{team_id}' is reserved for LiteLLM UI dashboard sessions and cannot be "
                        "used for a real team. Please use a different team id."
                    },
                )
            if team_id in self.teams:
                raise handled_http_exception(
                    400, {"error": f"Team id = {team_id} already exists. Please use a different team id."}
                )
            if data.organization_id is not None:
                raise handled_http_exception(400, f"Organization not found for organization_id={data.organization_id}")
            self._team_range_check(data)
            members = list(data.members_with_roles)
            if self.auto_add_proxy_admin_to_teams and not any(
                member.user_id == LITELLM_PROXY_ADMIN_NAME for member in members
            ):
                members.append({"role": "admin", "user_id": LITELLM_PROXY_ADMIN_NAME, "user_email": None})
            metadata = {
                name: value for name, value in (data.metadata or {}).items() if name not in TEAM_SYSTEM_METADATA_KEYS
            }
            metadata = self._merge_metadata_fields(metadata, data, fields)
            if any(getattr(data, name) is not None for name in self.TEAM_MEMBER_BUDGET_FIELDS):
                metadata["team_member_budget_id"] = self._new_team_member_budget(data.team_alias, data, fields)
            row = self._new_team_row(team_id)
            row.update(
                {
                    "team_alias": data.team_alias,
                    "members_with_roles": self._members_with_user_ids(members),
                    "metadata": metadata,
                    "max_budget": data.max_budget,
                    "soft_budget": data.soft_budget,
                    "models": list(data.models or []),
                    "tpm_limit": data.tpm_limit,
                    "rpm_limit": data.rpm_limit,
                    "tpd_limit": data.tpd_limit,
                    "budget_duration": data.budget_duration,
                    "budget_reset_at": _reset_at(data.budget_duration),
                    "blocked": data.blocked,
                    "model_max_budget": data.model_max_budget or {},
                }
            )
            self.teams[team_id] = row
            self._add_memberships(row, [m["user_id"] for m in row["members_with_roles"] if m.get("user_id")])
            return 200, copy.deepcopy(row)

    def team_update_endpoint(self, query: Mapping[str, str], body: Any) -> tuple[int, Any]:
        """team_endpoints.py: update_team.

        Reproduces: negative budgets (400), budget_duration validation (400), an unknown
        team (404), soft_budget >= max_budget checked against the stored values too (400),
        ``metadata`` replacing the stored metadata while keeping system keys, team_member_*
        limits written into the members' budget (created when the team has none, its
        members' memberships then linked to it; an explicit null clears), integers beyond
        their column failing (500), and the ``{"team_id", "data"}`` response.
        """
        data = validate("UpdateTeamRequest", body)
        with self.lock:
            errors = self._team_budget_errors(data)
            if errors:
                raise handled_http_exception(400, {"error": errors[0]})
            row = self.teams.get(data.team_id)
            if row is None:
                raise handled_http_exception(404, {"error": f"Team not found, passed team_id={data.team_id}"})
            if data.soft_budget is not None:
                ceiling = data.max_budget if data.max_budget is not None else row.get("max_budget")
                if ceiling is not None and data.soft_budget >= ceiling:
                    raise handled_http_exception(
                        400,
                        {
                            "error": f"soft_budget ({data.soft_budget}) must be strictly lower than "
                            f"max_budget ({ceiling})"
                        },
                    )
            if data.max_budget is not None:
                floor = data.soft_budget if data.soft_budget is not None else row.get("soft_budget")
                if floor is not None and data.max_budget <= floor:
                    raise handled_http_exception(
                        400,
                        {
                            "error": f"max_budget ({data.max_budget}) must be strictly greater than "
                            f"soft_budget ({floor})"
                        },
                    )
            if data.organization_id:
                raise handled_http_exception(400, f"Organization not found for organization_id={data.organization_id}")
            self._team_range_check(data)
            updated = data.model_dump(exclude_unset=True)
            if isinstance(updated.get("metadata"), dict):
                stored = row.get("metadata") or {}
                updated["metadata"] = {
                    **{k: v for k, v in updated["metadata"].items() if k not in TEAM_SYSTEM_METADATA_KEYS},
                    **{k: stored[k] for k in TEAM_SYSTEM_METADATA_KEYS if k in stored},
                }
            metadata_backed = set(LiteLLM_ManagementEndpoint_MetadataFields) | set(
                LiteLLM_ManagementEndpoint_MetadataFields_Premium
            )
            if set(updated) & metadata_backed:
                base = updated.get("metadata", row.get("metadata") or {})
                updated["metadata"] = self._merge_metadata_fields(base, data, set(updated))
            if "budget_duration" in updated:
                updated["budget_reset_at"] = _reset_at(updated["budget_duration"])
            member_fields = {name for name in self.TEAM_MEMBER_BUDGET_FIELDS if name in updated}
            backfill = None
            if member_fields and any(getattr(data, name) is not None for name in self.TEAM_MEMBER_BUDGET_FIELDS):
                metadata = dict(updated.get("metadata") or row.get("metadata") or {})
                metadata["team_member_budget_id"] = self._upsert_team_member_budget(row, data, member_fields)
                updated["metadata"] = metadata
                backfill = metadata["team_member_budget_id"]
            elif member_fields:
                budget = self.budgets.get((row.get("metadata") or {}).get("team_member_budget_id") or "")
                if budget is not None:
                    self._upsert_team_member_budget(row, data, member_fields)
            for name, value in updated.items():
                if name in TEAM_COLUMNS:
                    row[name] = value if not (name == "metadata" and value is None) else {}
            if backfill is not None:
                # TeamMemberBudgetHandler.backfill_team_member_budget_entries: members without a
                # membership get one, memberships without a budget are linked; others are kept.
                self._add_memberships(row, [m["user_id"] for m in row["members_with_roles"] if m.get("user_id")])
                for (team_id, _user), membership in self.memberships.items():
                    if team_id == row["team_id"] and membership.get("budget_id") is None:
                        membership["budget_id"] = backfill
            row["updated_at"] = now_iso()
            return 200, {"team_id": row["team_id"], "data": copy.deepcopy(row)}

    def team_delete_endpoint(self, query: Mapping[str, str], body: Any) -> tuple[int, Any]:
        """team_endpoints.py: delete_team.

        Reproduces: every team must exist or nothing is deleted (404 in FastAPI's
        ``{"detail": ...}`` shape, since the endpoint has no ``try``), and deleting a team
        deletes all of its keys and memberships (_sweep_deleted_team_references_tx); its
        members' budget row stays.
        """
        data = validate("DeleteTeamRequest", body)
        with self.lock:
            for team_id in data.team_ids:
                if team_id not in self.teams:
                    raise raw_http_exception(404, {"error": f"Team not found, passed team_id={team_id}"})
            for token in [token for token, row in self.keys.items() if row.get("team_id") in data.team_ids]:
                self._archive_key(token)
            for team_id in data.team_ids:
                row = self.teams.pop(team_id)
                self.deleted_teams.append(
                    dict(
                        row,
                        id=str(uuid.uuid4()),
                        deleted_at=now_iso(),
                        deleted_by=LITELLM_PROXY_ADMIN_NAME,
                        deleted_by_api_key=None,
                        litellm_changed_by=None,
                    )
                )
            for key in [key for key in self.memberships if key[0] in data.team_ids]:
                del self.memberships[key]
            return 200, {"deleted_teams": data.team_ids}

    def team_info_endpoint(self, query: Mapping[str, str], body: Any) -> tuple[int, Any]:
        """team_endpoints.py: team_info (422 without team_id and 404 for an unknown team, both as
        ProxyExceptions of type ``auth_error``; the team's keys are returned with their token
        hashes, because the loop that means to drop them rebinds a copy)."""
        team_id = query.get("team_id")
        with self.lock:
            if not team_id:
                raise handled_http_exception(
                    422, {"message": "Malformed request. No team id passed in."}, "auth_error", "None"
                )
            row = self.teams.get(team_id)
            if row is None:
                raise handled_http_exception(
                    404, {"message": f"Team not found, passed team id: {team_id}."}, "auth_error", "None"
                )
            keys = [copy.deepcopy(key) for key in self.keys.values() if key.get("team_id") == team_id]
            return 200, {
                "team_id": team_id,
                "team_info": copy.deepcopy(row),
                "keys": keys,
                "team_memberships": self._team_memberships(team_id),
            }

    def team_list_endpoint(self, query: Mapping[str, str], body: Any) -> tuple[int, Any]:
        """team_endpoints.py: list_team, _authorize_and_filter_teams (every team, unpaginated, each
        with its keys, sorted by team_alias; ``user_id`` and ``organization_id`` filters).

        Reproduces: a team whose row fails LiteLLM's TeamListResponseObject validation (a member
        without user_id and user_email, say) is logged and silently left out of the answer.
        """
        with self.lock:
            teams = list(self.teams.values())
            user_id = query.get("user_id")
            if user_id:
                teams = [t for t in teams if any(m.get("user_id") == user_id for m in t["members_with_roles"])]
            organization_id = query.get("organization_id")
            if organization_id:
                teams = [t for t in teams if t.get("organization_id") == organization_id]
            result = []
            for team in teams:
                entry = copy.deepcopy(team)
                entry["team_memberships"] = self._team_memberships(team["team_id"])
                entry["keys"] = [copy.deepcopy(k) for k in self.keys.values() if k.get("team_id") == team["team_id"]]
                try:
                    TeamListResponseObject(**entry)
                except ValidationError:
                    continue
                result.append(entry)
            result.sort(key=lambda team: team.get("team_alias") or "")
            return 200, result

    def _user_team_ids(self, user_id: str) -> list[str] | None:
        """The teams a user belongs to (LiteLLM_UserTable.teams), None for an unknown user. The
        simulator has no user table: a user exists once a team lists them or a key names them."""
        teams = [
            team_id
            for team_id, team in self.teams.items()
            if any(member.get("user_id") == user_id for member in team["members_with_roles"])
        ]
        if teams or any(key.get("user_id") == user_id for key in self.keys.values()):
            return teams
        return None

    def team_list_v2_endpoint(self, query: Mapping[str, str], body: Any) -> tuple[int, Any]:
        """team_endpoints.py: list_team_v2, _build_team_list_where_conditions,
        _get_keys_count_by_team, _convert_teams_to_response_models.

        Reproduces: ``page`` >= 1 and 1 <= ``page_size`` <= 100 (default 10, 422 outside),
        ``team_id`` exact, ``team_alias`` a case-insensitive substring, ``search`` (team_id exact,
        or a prefix with ``search_team_id_match=prefix``, or alias substring), ``organization_id``,
        ``user_id`` (404 for an unknown user, an empty page for one without teams, 404 when
        ``team_id`` is not one of theirs), ``status`` (only ``deleted``: 400 otherwise, then the
        deleted-team archive), ``sort_by`` team_id / team_alias / created_at with ``sort_order``
        (anything else: created_at descending), each team as TeamListItem with ``members_count``
        and ``keys_count``, ``{"teams", "total", "page", "page_size", "total_pages"}``, and a
        stored team LiteLLM's model refuses turning the whole answer into a 500.
        """
        page = validate_query("page", query.get("page"), 1, 1)
        page_size = validate_query("page_size", query.get("page_size"), 10, 1, 100)
        match_mode = query.get("search_team_id_match", "exact")
        if match_mode not in ("exact", "prefix"):
            raise RequestInvalid(
                [
                    {
                        "type": "literal_error",
                        "loc": ["query", "search_team_id_match"],
                        "msg": "Input should be 'exact' or 'prefix'",
                    }
                ]
            )
        status = query.get("status")
        with self.lock:
            if status is not None and status != "deleted":
                raise raw_http_exception(400, {"error": "Invalid status value. Currently only 'deleted' is supported."})
            deleted = status == "deleted"
            rows = list(self.deleted_teams if deleted else self.teams.values())
            team_id = query.get("team_id")
            if team_id:
                rows = [row for row in rows if row["team_id"] == team_id]
            alias = query.get("team_alias")
            if alias:
                rows = [row for row in rows if alias.lower() in (row.get("team_alias") or "").lower()]
            search = query.get("search")
            if search:
                rows = [
                    row
                    for row in rows
                    if (row["team_id"].startswith(search) if match_mode == "prefix" else row["team_id"] == search)
                    or search.lower() in (row.get("team_alias") or "").lower()
                ]
            organization_id = query.get("organization_id")
            if organization_id:
                rows = [row for row in rows if row.get("organization_id") == organization_id]
            user_id = query.get("user_id")
            if user_id:
                user_teams = self._user_team_ids(user_id)
                if user_teams is None:
                    raise raw_http_exception(404, {"error": f"User not found, passed user_id={user_id}"})
                if deleted:
                    rows = [row for row in rows if user_id in (row.get("members") or [])]
                elif not user_teams:
                    return 200, {"teams": [], "total": 0, "page": page, "page_size": page_size, "total_pages": 0}
                elif team_id:
                    if team_id not in user_teams:
                        raise raw_http_exception(404, {"error": f"User is not a member of team_id={team_id}"})
                else:
                    rows = [row for row in rows if row["team_id"] in user_teams]
            sort_by = query.get("sort_by")
            if sort_by in TEAM_SORT_COLUMNS:
                descending = query.get("sort_order", "asc").lower() == "desc"
                column = sort_by
            else:
                descending, column = True, "created_at"
            # PostgreSQL puts NULLs last ascending, first descending.
            rows.sort(key=lambda row: (row.get(column) is None, row.get(column) or ""), reverse=descending)
            total = len(rows)
            chosen = rows[(page - 1) * page_size : page * page_size]
            try:
                if deleted:
                    teams = [LiteLLM_DeletedTeamTable.model_validate(copy.deepcopy(row)) for row in chosen]
                else:
                    teams = [
                        TeamListItem(
                            **copy.deepcopy(row),
                            members_count=len(row.get("members_with_roles") or []),
                            keys_count=sum(1 for key in self.keys.values() if key.get("team_id") == row["team_id"]),
                        )
                        for row in chosen
                    ]
            except ValidationError:
                raise ApiError(500, UNHANDLED_EXCEPTION_BODY) from None
            response = TeamListResponse(
                teams=teams, total=total, page=page, page_size=page_size, total_pages=-(-total // page_size)
            )
            return 200, response.model_dump(mode="json")

    def team_member_add_endpoint(self, query: Mapping[str, str], body: Any) -> tuple[int, Any]:
        """team_endpoints.py: team_member_add, team_call_validation_checks,
        _check_team_member_admin_add, team_member_add_duplication_check.

        Reproduces: admin members refused without a licence (400, FastAPI shape), an unknown
        team (404, FastAPI shape), a member already in the team (400, ProxyException), members
        added by email getting a new user_id, and a membership row per new member linked to the
        team's members' budget (or, with max_budget_in_team, to a budget of its own).
        """
        data = validate("TeamMemberAddRequest", body)
        members = data.member if isinstance(data.member, list) else [data.member]
        with self.lock:
            for member in members:
                if member.role == "admin" and not self.premium_user:
                    raise raw_http_exception(
                        400,
                        {
                            "error": "Assigning team admins is a premium feature. "
                            f"{CommonProxyErrors.not_premium_user.value}"
                        },
                    )
            problem = budget_duration_error(data.budget_duration)
            if problem:
                raise raw_http_exception(400, {"error": problem})
            team = self.teams.get(data.team_id)
            if team is None:
                raise raw_http_exception(404, {"error": f"Team not found for team_id={data.team_id}"})
            existing = team["members_with_roles"]
            duplicates = [
                member
                for member in members
                if any(
                    (member.user_id is not None and current.get("user_id") == member.user_id)
                    or (member.user_email is not None and current.get("user_email") == member.user_email)
                    for current in existing
                )
            ]
            if duplicates and len(duplicates) == len(members):
                message = (
                    f"All users are already in team. Existing members={existing}"
                    if isinstance(data.member, list)
                    else f"User already in team. Member: user_id={members[0].user_id}, "
                    f"user_email={members[0].user_email}. Existing members={existing}"
                )
                raise proxy_exception(400, message, "team_member_already_in_team", "member")
            added = self._members_with_user_ids([member for member in members if member not in duplicates])
            team["members_with_roles"] = existing + added
            team["updated_at"] = now_iso()
            user_ids = [member["user_id"] for member in added if member.get("user_id")]
            if data.max_budget_in_team is not None:
                # _resolve_member_budget_id: explicit per-member limits create a budget per member.
                for user_id in user_ids:
                    budget = self._budget_row(
                        max_budget=data.max_budget_in_team,
                        budget_duration=data.budget_duration,
                        budget_reset_at=_reset_at(data.budget_duration),
                    )
                    self.budgets[budget["budget_id"]] = budget
                    self._add_memberships(team, [user_id], budget["budget_id"])
            else:
                self._add_memberships(team, user_ids)
            memberships = [m for m in self._team_memberships(team["team_id"]) if m["user_id"] in user_ids]
            return 200, dict(copy.deepcopy(team), updated_users=[], updated_team_memberships=memberships)

    def team_member_delete_endpoint(self, query: Mapping[str, str], body: Any) -> tuple[int, Any]:
        """team_endpoints.py: team_member_delete, _team_member_delete.

        Reproduces: an unknown team (400) or member (400), both in FastAPI's shape, and the
        removed member's keys in that team and membership deleted with them.
        """
        data = validate("TeamMemberDeleteRequest", body)
        with self.lock:
            team = self.teams.get(data.team_id)
            if team is None:
                raise raw_http_exception(400, {"error": f"Team id={data.team_id} does not exist in db"})

            def addressed(member: Mapping[str, Any]) -> bool:
                return (data.user_id is not None and member.get("user_id") == data.user_id) or (
                    data.user_email is not None and member.get("user_email") == data.user_email
                )

            removed = [member for member in team["members_with_roles"] if addressed(member)]
            if not removed:
                raise raw_http_exception(400, {"error": "User not found in team"})
            team["members_with_roles"] = [m for m in team["members_with_roles"] if not addressed(m)]
            team["updated_at"] = now_iso()
            user_ids = {member.get("user_id") for member in removed if member.get("user_id")}
            for user_id in user_ids:
                self.memberships.pop((data.team_id, user_id), None)
            for token in [
                token
                for token, key in self.keys.items()
                if key.get("team_id") == data.team_id and key.get("user_id") in user_ids
            ]:
                self._archive_key(token)
            return 200, copy.deepcopy(team)

    def team_member_update_endpoint(self, query: Mapping[str, str], body: Any) -> tuple[int, Any]:
        """team_endpoints.py: team_member_update (admin role needs a licence, 400 in FastAPI's
        shape with a plain-string detail; unknown team or member 400)."""
        data = validate("TeamMemberUpdateRequest", body)
        with self.lock:
            if data.role == "admin" and not self.premium_user:
                raise raw_http_exception(
                    400,
                    "Assigning team admins is a premium feature. You must be a LiteLLM Enterprise user to use this "
                    "feature. If you have a license please set `LITELLM_LICENSE` in your env. Get a 7 day trial key "
                    "here: https://www.litellm.ai/#trial. Pricing: https://www.litellm.ai/#pricing",
                )
            problem = budget_duration_error(data.budget_duration)
            if problem:
                raise raw_http_exception(400, {"error": problem})
            team = self.teams.get(data.team_id)
            if team is None:
                raise raw_http_exception(400, {"error": f"Team id={data.team_id} does not exist in db"})
            user_id = data.user_id
            if user_id is None:
                user_id = next(
                    (m.get("user_id") for m in team["members_with_roles"] if m.get("user_email") == data.user_email),
                    None,
                )
            member = next((m for m in team["members_with_roles"] if m.get("user_id") == user_id), None)
            if user_id is None or member is None:
                raise raw_http_exception(400, {"error": f"User id doesn't exist in team table. Data={data}"})
            if data.role is not None:
                member["role"] = data.role
                team["updated_at"] = now_iso()
            return 200, {
                "team_id": data.team_id,
                "user_id": user_id,
                "user_email": data.user_email,
                "max_budget_in_team": data.max_budget_in_team,
                "tpm_limit": data.tpm_limit,
                "rpm_limit": data.rpm_limit,
            }

    # Budgets -----------------------------------------------------------------------------

    def _budget_checks(self, data: Any) -> None:
        for field in ("max_budget", "soft_budget"):
            error = _non_negative_error(field, getattr(data, field))
            if error:
                raise raw_http_exception(400, {"error": error})
        problem = budget_duration_error(data.budget_duration)
        if problem:
            raise raw_http_exception(400, {"error": problem})

    @staticmethod
    def _budget_range_check(data: Any) -> None:
        """The endpoints have no ``try``: the database's error escapes, FastAPI answers a bare 500."""
        try:
            check_column_ranges(data.model_dump(include=INT4_COLUMNS | INT8_COLUMNS))
        except ColumnOutOfRange:
            raise ApiError(500, PlainText("Internal Server Error")) from None

    def budget_new_endpoint(self, query: Mapping[str, str], body: Any) -> tuple[int, Any]:
        """proxy/management_endpoints/budget_management_endpoints.py: new_budget (negative
        budgets and bad durations 400, an existing budget_id 400, all in FastAPI's shape;
        budget_reset_at computed from budget_duration)."""
        data = validate("BudgetNewRequest", body)
        with self.lock:
            self._budget_checks(data)
            values = data.model_dump(exclude_none=True)
            self._budget_range_check(data)
            if data.budget_reset_at is None and data.budget_duration is not None:
                values["budget_reset_at"] = _reset_at(data.budget_duration)
            elif data.budget_reset_at is not None:
                values["budget_reset_at"] = data.budget_reset_at.isoformat()
            budget_id = values.get("budget_id") or str(uuid.uuid4())
            if budget_id in self.budgets:
                raise raw_http_exception(400, {"error": f"Budget with id '{budget_id}' already exists."})
            values["budget_id"] = budget_id
            row = self._budget_row(**values)
            self.budgets[budget_id] = row
            return 200, copy.deepcopy(row)

    def budget_update_endpoint(self, query: Mapping[str, str], body: Any) -> tuple[int, Any]:
        """budget_management_endpoints.py: update_budget (budget_id required, same checks as
        new; only the fields sent are written; budget_reset_at recomputed when budget_duration
        changes; an unknown budget_id answers 200 with ``null``, as prisma's ``update`` does)."""
        data = validate("BudgetNewRequest", body)
        with self.lock:
            if data.budget_id is None:
                raise raw_http_exception(400, {"error": "budget_id is required"})
            self._budget_checks(data)
            row = self.budgets.get(data.budget_id)
            if row is None:
                return 200, None
            self._budget_range_check(data)
            updated = data.model_dump(exclude_unset=True)
            if "budget_reset_at" not in data.model_fields_set and "budget_duration" in updated:
                updated["budget_reset_at"] = _reset_at(updated["budget_duration"])
            elif isinstance(updated.get("budget_reset_at"), datetime):
                updated["budget_reset_at"] = updated["budget_reset_at"].isoformat()
            row.update(updated)
            row["updated_at"] = now_iso()
            return 200, copy.deepcopy(row)

    def budget_info_endpoint(self, query: Mapping[str, str], body: Any) -> tuple[int, Any]:
        """budget_management_endpoints.py: info_budget (POST; empty list 400; unknown ids are
        simply absent from the answer)."""
        data = validate("BudgetRequest", body)
        with self.lock:
            if not data.budgets:
                raise raw_http_exception(
                    400, {"error": f"Specify list of budget id's to query. Passed in={data.budgets}"}
                )
            return 200, [copy.deepcopy(self.budgets[b]) for b in data.budgets if b in self.budgets]

    def budget_list_endpoint(self, query: Mapping[str, str], body: Any) -> tuple[int, Any]:
        """budget_management_endpoints.py: list_budget (every budget row, including the ones
        LiteLLM created for keys' soft budgets)."""
        with self.lock:
            return 200, [copy.deepcopy(row) for row in self.budgets.values()]

    def budget_delete_endpoint(self, query: Mapping[str, str], body: Any) -> tuple[int, Any]:
        """budget_management_endpoints.py: delete_budget: a plain delete of the row, whatever
        still uses it. Answers the deleted row, or 200 ``null`` for an unknown id.

        What the database does to the rows that point at it (the foreign keys of
        litellm-proxy-extras' migrations): keys (LiteLLM_VerificationToken.budget_id) and team
        memberships (LiteLLM_TeamMembership.budget_id) lose the link, ``ON DELETE SET NULL``, so
        they are left without its limits. A team's ``metadata.team_member_budget_id`` and a key's
        ``metadata.end_user_budget_id`` are JSON, not foreign keys: they keep naming the deleted
        budget (new members then get no budget, see _member_budget_id).
        """
        data = validate("BudgetDeleteRequest", body)
        with self.lock:
            row = self.budgets.pop(data.id, None)
            if row is None:
                return 200, None
            for key in self.keys.values():
                if key.get("budget_id") == data.id:
                    key["budget_id"] = None
            for membership in self.memberships.values():
                if membership.get("budget_id") == data.id:
                    membership["budget_id"] = None
            return 200, row

    # Models ------------------------------------------------------------------------------

    def deployments(self) -> list[dict[str, Any]]:
        """The simulated model list, as config.yaml ``model_list`` entries: one deployment per
        model name and wildcard route, each in the access groups ACCESS_GROUP_MEMBERS gives it."""
        return [
            {
                "model_name": name,
                "litellm_params": {"model": name if "/" in name else f"openai/{name}", "api_key": "sk-simulated"},
                "model_info": {
                    "id": hashlib.sha256(name.encode()).hexdigest(),
                    "db_model": False,
                    "access_groups": [
                        group for group in self.access_groups if name in ACCESS_GROUP_MEMBERS.get(group, ())
                    ],
                },
            }
            for name in [*self.models, *self.wildcards]
        ]

    def router(self) -> Any:
        with self.lock:
            if self._router is None:
                self._router = router_for(self.deployments())
            return self._router

    def model_info_endpoint(self, query: Mapping[str, str], body: Any) -> tuple[int, Any]:
        """proxy_server.py: model_info_v1 (the router's deployments; api_key removed, as
        remove_sensitive_info_from_deployment does; wildcard rows left unexpanded)."""
        with self.lock:
            rows = []
            for deployment in self.deployments():
                row = copy.deepcopy(deployment)
                row["litellm_params"].pop("api_key", None)
                rows.append(row)
            return 200, {"data": rows}

    def models_endpoint(self, query: Mapping[str, str], body: Any) -> tuple[int, Any]:
        """proxy_server.py: model_list (OpenAI list shape; access groups with
        ``include_model_access_groups=true``, wildcard routes with ``return_wildcard_routes=true``)."""
        with self.lock:
            names = list(self.models)
            if query.get("return_wildcard_routes", "false").lower() == "true":
                names += self.wildcards
            if query.get("include_model_access_groups", "false").lower() == "true":
                names += self.access_groups
            data = [{"id": name, "object": "model", "created": 1677610602, "owned_by": "openai"} for name in names]
            return 200, {"data": data, "object": "list"}
