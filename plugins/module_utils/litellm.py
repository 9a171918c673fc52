# -*- coding: utf-8 -*-
# Copyright: (c) 2026, llmops maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""HTTP client for the LiteLLM proxy management API, and the LiteLLM-specific state model.

The client speaks to ``/key/*``, ``/team/*``, ``/budget/*`` and ``/v1/models`` with the
master key. The state helpers turn module parameters into request bodies and LiteLLM
records into comparable fields, so that ``litellm_key`` and the bulk ``litellm_keys`` share
one definition of "the same key".
"""

from __future__ import annotations

import ast
import fnmatch
import hashlib
import json
import math
import re
import socket
from typing import Any, Dict, Iterator, List, Mapping, Optional, Sequence, Tuple
from urllib.error import HTTPError, URLError
from urllib.parse import urlencode

from ansible.module_utils.basic import env_fallback
from ansible.module_utils.common.text.converters import to_text
from ansible.module_utils.urls import Request, make_context
from ansible_collections.llmops.litellm.plugins.module_utils.reconcile import (
    FieldChange,
    changed_fields,
    index_by,
    values_equal,
    without_keys,
)

USER_AGENT = "llmops.litellm"

MANAGED_MARKER_KEY = "llmops_managed_by"
MANAGED_MARKER_VALUE = "llmops.litellm"

# LiteLLM stores these request fields inside ``metadata`` (proxy/_types.py:
# LiteLLM_ManagementEndpoint_MetadataFields and ..._Premium), keeps ``service_account_id``
# once set (LiteLLM_Reserved_Metadata_Fields) and owns ``team_member_budget_id``
# (team_endpoints.py: TeamMemberBudgetHandler.SYSTEM_MANAGED_METADATA_KEYS). None of them is
# user metadata, so they are left out of comparisons and carried over on every metadata write.
SERVER_METADATA_KEYS = frozenset(
    [
        "model_rpm_limit",
        "model_tpm_limit",
        "model_itpm_limit",
        "model_otpm_limit",
        "default_estimated_output_tokens",
        "default_estimated_output_tokens_per_model",
        "mcp_rpm_limit",
        "tag_rpm_limit",
        "rpm_limit_type",
        "tpm_limit_type",
        "enforced_params",
        "temp_budget_increase",
        "temp_budget_expiry",
        "allowed_vector_store_indexes",
        "enforced_batch_output_expires_after",
        "enforced_file_expires_after",
        "throttle_on_budget_exceeded",
        "enable_prompt_caching",
        "end_user_budget_id",
        "disable_global_guardrails",
        "guardrails",
        "policies",
        "tags",
        "team_member_key_duration",
        "prompts",
        "logging",
        "secret_manager_settings",
        "allowed_passthrough_routes",
        "denied_passthrough_routes",
        "service_account_id",
        "team_member_budget_id",
    ]
)

# Model names LiteLLM gives a meaning of its own (proxy/_types.py: SpecialModelNames).
SPECIAL_MODEL_NAMES = frozenset(["all-proxy-models", "all-team-models", "no-default-models"])

# The user LiteLLM adds as team admin when a team is created with the master key
# (team_endpoints.py: _should_auto_add_team_creator, constants.py: LITELLM_PROXY_ADMIN_NAME).
PROXY_ADMIN_USER_ID = "default_user_id"

# litellm_core_utils/duration_parser.py: duration_in_seconds accepts these units and words.
DURATION_RE = re.compile(r"^[1-9][0-9]*(s|m|h|d|w|mo)$")
DURATION_WORDS = frozenset(["hourly", "daily", "weekly", "monthly"])

# key_management_endpoints.py: _common_key_generation_helper checks these on a custom key.
CUSTOM_KEY_PREFIX = "sk-"
CUSTOM_KEY_MIN_LENGTH = 16

PAGE_SIZE = 100

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
TEAM_NUMERIC_FIELDS = ("max_budget", "soft_budget", "rpm_limit", "tpm_limit")
TEAM_CLEARABLE_FIELDS = ("models", "max_budget", "soft_budget", "budget_duration", "rpm_limit", "tpm_limit", "metadata")
BUDGET_FIELDS = ("max_budget", "soft_budget", "max_parallel_requests", "tpm_limit", "rpm_limit", "budget_duration")
BUDGET_NUMERIC_FIELDS = ("max_budget", "soft_budget", "max_parallel_requests", "tpm_limit", "rpm_limit")


class LiteLLMError(Exception):
    """A failed call to the LiteLLM API, carrying the URL, the HTTP status and the server's message."""

    def __init__(self, message: str, url: Optional[str] = None, status: Optional[int] = None) -> None:
        super().__init__(message)
        self.message = message
        self.url = url
        self.status = status

    def result(self) -> Dict[str, Any]:
        """Extra fields for ``fail_json``."""
        return {"url": self.url, "status": self.status}


def connection_argument_spec() -> Dict[str, Any]:
    """Connection options shared by every module of the ``litellm`` action group."""
    return {
        "api_base": {"type": "str", "fallback": (env_fallback, ["LITELLM_API_BASE"])},
        "master_key": {"type": "str", "no_log": True, "fallback": (env_fallback, ["LITELLM_MASTER_KEY"])},
        "validate_certs": {"type": "bool", "default": True},
        "timeout": {"type": "int", "default": 30},
    }


def litellm_argument_spec(**options: Any) -> Dict[str, Any]:
    """Connection options plus the module's own ``options``."""
    spec = connection_argument_spec()
    spec.update(options)
    return spec


def key_option_spec(with_defaults: bool = True) -> Dict[str, Any]:
    """Options of one declared key; without defaults for the elements of a bulk list."""
    spec = {
        "key_alias": {"type": "str", "required": True, "no_log": False},
        "state": {"type": "str", "default": "present", "choices": ["present", "absent", "blocked"]},
        "blocked": {"type": "bool"},
        "key": {"type": "str", "no_log": True},
        "rotate_key": {"type": "bool", "default": False, "no_log": False},
        "team": {"type": "str"},
        "user_id": {"type": "str"},
        "models": {"type": "list", "elements": "str"},
        "max_budget": {"type": "float"},
        "soft_budget": {"type": "float"},
        "budget_duration": {"type": "str"},
        "budget_id": {"type": "str"},
        "rpm_limit": {"type": "int"},
        "tpm_limit": {"type": "int"},
        "max_parallel_requests": {"type": "int"},
        "metadata": {"type": "dict"},
        "duration": {"type": "str"},
        "clear_fields": {"type": "list", "elements": "str", "choices": list(KEY_CLEARABLE_FIELDS), "default": []},
    }
    if not with_defaults:
        for option in spec.values():
            option.pop("default", None)
    return spec


KEY_BUILTIN_DEFAULTS = {"state": "present", "rotate_key": False, "clear_fields": []}


def client_from_module(module: Any) -> "LiteLLMClient":
    """Build a client from module parameters, failing with the option and variable to set."""
    params = module.params
    if not params.get("api_base"):
        module.fail_json(
            msg="api_base is required: set the api_base option or the LITELLM_API_BASE environment variable"
        )
    if not params.get("master_key"):
        module.fail_json(
            msg="master_key is required: set the master_key option or the LITELLM_MASTER_KEY environment variable"
        )
    if params["timeout"] <= 0:
        module.fail_json(msg="timeout must be a positive number of seconds, got %s" % params["timeout"])
    return LiteLLMClient(
        api_base=params["api_base"],
        master_key=params["master_key"],
        validate_certs=params["validate_certs"],
        timeout=params["timeout"],
    )


def _unwrap_detail(message: Any) -> str:
    # LiteLLM turns HTTPException(detail={"error": "..."}) into ProxyException(message=str(detail)),
    # so the readable text often arrives as the repr of a dict.
    text = to_text(message)
    if text.startswith("{") and "error" in text:
        try:
            parsed = ast.literal_eval(text)
        except (ValueError, SyntaxError):
            return text
        if isinstance(parsed, dict) and "error" in parsed:
            return to_text(parsed["error"])
    return text


def _validation_errors(detail: Sequence[Any]) -> str:
    parts = []
    for item in detail:
        if isinstance(item, Mapping):
            location = ".".join(to_text(part) for part in item.get("loc", []) if part != "body")
            parts.append("%s: %s" % (location or "body", to_text(item.get("msg", item))))
        else:
            parts.append(to_text(item))
    return "; ".join(parts)


def _proxy_error_message(error: Mapping[str, Any]) -> str:
    message = _unwrap_detail(error.get("message", ""))
    param = error.get("param")
    if param and param != "None" and param not in message:
        return "%s (field: %s)" % (message, param)
    return message


def _detail_message(detail: Any) -> str:
    if isinstance(detail, list):
        return _validation_errors(detail)
    if isinstance(detail, Mapping):
        return to_text(detail.get("error") or detail.get("message") or json.dumps(detail, sort_keys=True))
    return _unwrap_detail(detail)


def server_message(body: bytes) -> str:
    """Extract the human-readable error from a LiteLLM error body (any of its shapes)."""
    text = to_text(body, errors="surrogate_or_replace").strip()
    try:
        payload = json.loads(text)
    except ValueError:
        return text[:500] or "(empty response body)"
    if not isinstance(payload, Mapping):
        return text[:500]
    error = payload.get("error")
    if isinstance(error, Mapping):
        return _proxy_error_message(error)
    if isinstance(error, str):
        return error
    if payload.get("detail") is not None:
        return _detail_message(payload["detail"])
    return text[:500]


class LiteLLMClient:
    """Minimal client for the LiteLLM management API, built on ``ansible.module_utils.urls``."""

    def __init__(self, api_base: str, master_key: str, validate_certs: bool = True, timeout: int = 30) -> None:
        self.api_base = api_base.rstrip("/")
        self._master_key = master_key
        self.validate_certs = validate_certs
        self.timeout = timeout
        # Building a TLS context loads the CA store (~30 ms); open_url would do it on every call,
        # which dominates a reconcile of hundreds of keys, so one context serves the whole run.
        self._request = Request(
            validate_certs=validate_certs,
            timeout=timeout,
            http_agent=USER_AGENT,
            follow_redirects="safe",
            context=make_context(validate_certs=validate_certs),
        )

    def url(self, path: str, query: Optional[Mapping[str, Any]] = None) -> str:
        url = self.api_base + path
        if query:
            clean = [(name, _query_value(value)) for name, value in query.items() if value is not None]
            if clean:
                url += "?" + urlencode(clean)
        return url

    def request(
        self, method: str, path: str, query: Optional[Mapping[str, Any]] = None, body: Optional[Any] = None
    ) -> Any:
        url = self.url(path, query)
        data = None if body is None else json.dumps(body)
        headers = {"Authorization": "Bearer %s" % self._master_key, "Accept": "application/json"}
        if data is not None:
            headers["Content-Type"] = "application/json"
        try:
            response = self._request.open(method, url, data=data, headers=headers)
            raw = response.read()
        except HTTPError as exc:
            raise self._http_error(method, url, exc) from None
        except URLError as exc:
            raise LiteLLMError(
                "Cannot reach LiteLLM at %s: %s. Check api_base (or LITELLM_API_BASE)." % (url, to_text(exc.reason)),
                url=url,
            ) from None
        except (socket.timeout, TimeoutError) as exc:
            raise LiteLLMError(
                "Timed out after %ss waiting for LiteLLM at %s: %s" % (self.timeout, url, to_text(exc)), url=url
            ) from None
        except (ConnectionError, OSError) as exc:
            raise LiteLLMError("Cannot reach LiteLLM at %s: %s" % (url, to_text(exc)), url=url) from None
        if not raw:
            return None
        try:
            return json.loads(to_text(raw))
        except ValueError:
            raise LiteLLMError(
                "%s %s answered with a body that is not JSON: %s" % (method, url, to_text(raw)[:200]), url=url
            ) from None

    def _http_error(self, method: str, url: str, exc: HTTPError) -> LiteLLMError:
        try:
            body = exc.read()
        except (OSError, AttributeError):
            body = b""
        message = server_message(body or b"")
        # LiteLLM echoes the SHA-256 of a rejected credential; it identifies the credential, so drop it.
        message = re.sub(r"(Key Hash \(Token\) ?=)\s*[0-9a-f]{64}", r"\1 (hidden)", message)
        hint = ""
        if exc.code == 401:
            hint = " Check master_key (or LITELLM_MASTER_KEY): LiteLLM rejected it."
        return LiteLLMError(
            "%s %s returned HTTP %s: %s.%s" % (method, url, exc.code, message.rstrip("."), hint),
            url=url,
            status=exc.code,
        )

    def get(self, path: str, query: Optional[Mapping[str, Any]] = None) -> Any:
        return self.request("GET", path, query=query)

    def post(self, path: str, body: Any) -> Any:
        return self.request("POST", path, body=body)

    # Keys -----------------------------------------------------------------------------------

    def list_keys_page(self, page: int, size: int = PAGE_SIZE, **filters: Any) -> Mapping[str, Any]:
        query = {"page": page, "size": size, "return_full_object": True}
        query.update(filters)
        response = self.get("/key/list", query)
        if not isinstance(response, Mapping) or not isinstance(response.get("keys"), list):
            raise LiteLLMError("GET %s returned an unexpected body" % self.url("/key/list", query))
        return response

    def iter_keys(self, **filters: Any) -> Iterator[Mapping[str, Any]]:
        """Every key matching ``filters``, page by page (LiteLLM caps a page at 100)."""
        page = 1
        while True:
            response = self.list_keys_page(page, **filters)
            for record in response["keys"]:
                if isinstance(record, Mapping):
                    yield record
            total_pages = response.get("total_pages") or 0
            if page >= total_pages or not response["keys"]:
                return
            page += 1

    def find_keys_by_alias(self, key_alias: str) -> List[Mapping[str, Any]]:
        return list(self.iter_keys(key_alias=key_alias))

    def key_info(self, token: str) -> Optional[Mapping[str, Any]]:
        try:
            response = self.get("/key/info", {"key": token})
        except LiteLLMError as exc:
            if exc.status == 404:
                return None
            raise
        info = dict(response.get("info") or {})
        info["token"] = token
        return info

    def generate_key(self, body: Mapping[str, Any]) -> Mapping[str, Any]:
        return self.post("/key/generate", body)

    def update_key(self, body: Mapping[str, Any]) -> Mapping[str, Any]:
        return self.post("/key/update", body)

    def regenerate_key(self, body: Mapping[str, Any]) -> Mapping[str, Any]:
        return self.post("/key/regenerate", body)

    def delete_keys(self, tokens: Sequence[str]) -> Mapping[str, Any]:
        return self.post("/key/delete", {"keys": list(tokens)})

    def block_key(self, token: str) -> Mapping[str, Any]:
        return self.post("/key/block", {"key": token})

    def unblock_key(self, token: str) -> Mapping[str, Any]:
        return self.post("/key/unblock", {"key": token})

    # Teams ----------------------------------------------------------------------------------

    def list_teams(self) -> List[Mapping[str, Any]]:
        response = self.get("/team/list")
        if not isinstance(response, list):
            raise LiteLLMError("GET %s returned an unexpected body" % self.url("/team/list"))
        return response

    def team_info(self, team_id: str) -> Optional[Mapping[str, Any]]:
        try:
            response = self.get("/team/info", {"team_id": team_id})
        except LiteLLMError as exc:
            if exc.status == 404:
                return None
            raise
        return response.get("team_info") if isinstance(response, Mapping) else None

    def count_team_keys(self, team_id: str) -> int:
        return int(self.list_keys_page(1, size=1, team_id=team_id).get("total_count") or 0)

    def new_team(self, body: Mapping[str, Any]) -> Mapping[str, Any]:
        return self.post("/team/new", body)

    def update_team(self, body: Mapping[str, Any]) -> Mapping[str, Any]:
        return self.post("/team/update", body)

    def delete_teams(self, team_ids: Sequence[str]) -> Mapping[str, Any]:
        return self.post("/team/delete", {"team_ids": list(team_ids)})

    def team_member_add(self, team_id: str, members: Sequence[Mapping[str, Any]]) -> Mapping[str, Any]:
        return self.post("/team/member_add", {"team_id": team_id, "member": list(members)})

    def team_member_delete(self, team_id: str, member: Mapping[str, Any]) -> Mapping[str, Any]:
        body = {"team_id": team_id}
        body.update(member_identity(member))
        return self.post("/team/member_delete", body)

    def team_member_update(self, team_id: str, member: Mapping[str, Any]) -> Mapping[str, Any]:
        body = {"team_id": team_id, "role": member["role"]}
        body.update(member_identity(member))
        return self.post("/team/member_update", body)

    # Budgets --------------------------------------------------------------------------------

    def budget_info(self, budget_id: str) -> Optional[Mapping[str, Any]]:
        response = self.post("/budget/info", {"budgets": [budget_id]})
        for record in response or []:
            if record.get("budget_id") == budget_id:
                return record
        return None

    def list_budgets(self) -> List[Mapping[str, Any]]:
        response = self.get("/budget/list")
        return list(response or [])

    def new_budget(self, body: Mapping[str, Any]) -> Mapping[str, Any]:
        return self.post("/budget/new", body)

    def update_budget(self, body: Mapping[str, Any]) -> Mapping[str, Any]:
        return self.post("/budget/update", body)

    def delete_budget(self, budget_id: str) -> Mapping[str, Any]:
        return self.post("/budget/delete", {"id": budget_id})

    # Models ---------------------------------------------------------------------------------

    def model_names(self) -> List[str]:
        response = self.get("/v1/models", {"include_model_access_groups": True, "return_wildcard_routes": True})
        data = response.get("data") if isinstance(response, Mapping) else None
        if not isinstance(data, list):
            raise LiteLLMError("GET %s returned an unexpected body" % self.url("/v1/models"))
        return [to_text(item.get("id")) for item in data if isinstance(item, Mapping) and item.get("id")]


def _query_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return to_text(value)


def token_hash(key_value: str) -> str:
    """LiteLLM identifies a virtual key by the SHA-256 of its value (proxy/utils.py: hash_token)."""
    return hashlib.sha256(key_value.encode("utf-8")).hexdigest()


# Validation -------------------------------------------------------------------------------


def duration_error(field: str, value: Optional[str]) -> Optional[str]:
    """Explain why ``value`` is not a duration LiteLLM can parse, or return None."""
    if value is None:
        return None
    if value.strip().lower() in DURATION_WORDS or DURATION_RE.match(value):
        return None
    return "%s: invalid duration %r; use a number and a unit: s, m, h, d, w or mo (for example 30s, 30m, 1h, 30d)" % (
        field,
        value,
    )


def numeric_errors(prefix: str, params: Mapping[str, Any], fields: Sequence[str]) -> List[str]:
    errors = []
    for field in fields:
        value = params.get(field)
        if value is not None and (not math.isfinite(value) or value < 0):
            errors.append("%s%s: must be a finite number >= 0, got %s" % (prefix, field, value))
    return errors


def clear_errors(prefix: str, params: Mapping[str, Any]) -> List[str]:
    errors = []
    for field in params.get("clear_fields") or []:
        if params.get(field) is not None:
            errors.append("%s%s: is both set and listed in clear_fields" % (prefix, field))
    return errors


def metadata_errors(prefix: str, params: Mapping[str, Any]) -> List[str]:
    metadata = params.get("metadata") or {}
    if MANAGED_MARKER_KEY in metadata:
        return ["%smetadata: key %r is reserved for the collection's ownership marker" % (prefix, MANAGED_MARKER_KEY)]
    return []


def validate_key_params(params: Mapping[str, Any], prefix: str = "") -> List[str]:
    """Every input error of one declared key, each naming its field."""
    errors = numeric_errors(prefix, params, KEY_NUMERIC_FIELDS)
    for field in ("budget_duration", "duration"):
        error = duration_error(prefix + field, params.get(field))
        if error:
            errors.append(error)
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


def validate_team_params(params: Mapping[str, Any], prefix: str = "") -> List[str]:
    """Every input error of one declared team, each naming its field."""
    errors = numeric_errors(prefix, params, TEAM_NUMERIC_FIELDS)
    error = duration_error(prefix + "budget_duration", params.get("budget_duration"))
    if error:
        errors.append(error)
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


def validate_budget_params(params: Mapping[str, Any], prefix: str = "") -> List[str]:
    errors = numeric_errors(prefix, params, BUDGET_NUMERIC_FIELDS)
    error = duration_error(prefix + "budget_duration", params.get("budget_duration"))
    if error:
        errors.append(error)
    errors.extend(clear_errors(prefix, params))
    return errors


class ModelCatalog:
    """The proxy's model names, fetched once, used to refuse keys and teams with unknown models."""

    def __init__(self, client: LiteLLMClient) -> None:
        self._client = client
        self._names = None  # type: Optional[List[str]]

    def unknown(self, models: Optional[Sequence[str]]) -> List[str]:
        if not models:
            return []
        if self._names is None:
            self._names = self._client.model_names()
        names = set(self._names)
        patterns = [name for name in self._names if "*" in name]
        return [
            model
            for model in models
            if model not in names
            and model not in SPECIAL_MODEL_NAMES
            and not any(fnmatch.fnmatchcase(model, pattern) for pattern in patterns)
        ]

    def error(self, prefix: str, models: Optional[Sequence[str]]) -> Optional[str]:
        missing = self.unknown(models)
        if not missing:
            return None
        return "%smodels: unknown model(s) %s; the proxy at %s serves: %s" % (
            prefix,
            ", ".join(missing),
            self._client.url("/v1/models"),
            ", ".join(sorted(self._names or [])) or "(none)",
        )


class TeamDirectory:
    """Teams by id and alias from one ``/team/list`` call, to resolve the ``team`` option of keys."""

    def __init__(self, client: LiteLLMClient) -> None:
        self._client = client
        self._teams = None  # type: Optional[List[Mapping[str, Any]]]

    def teams(self) -> List[Mapping[str, Any]]:
        if self._teams is None:
            self._teams = self._client.list_teams()
        return self._teams

    def by_id(self, team_id: Optional[str]) -> Optional[Mapping[str, Any]]:
        return next((team for team in self.teams() if team.get("team_id") == team_id), None)

    def resolve(self, reference: str) -> Tuple[Optional[str], Optional[str]]:
        """Return ``(team_id, error)``; an exact team_id wins over an alias."""
        teams = self.teams()
        for team in teams:
            if team.get("team_id") == reference:
                return reference, None
        matches = [team for team in teams if team.get("team_alias") == reference]
        if len(matches) == 1:
            return matches[0]["team_id"], None
        if len(matches) > 1:
            return None, "team %r is ambiguous: %s teams have that alias (%s); use the team_id" % (
                reference,
                len(matches),
                ", ".join(sorted(team["team_id"] for team in matches)),
            )
        return None, "team %r does not exist (no team has that team_id or team_alias)" % reference


class BudgetDirectory:
    """Budget ids from one ``/budget/list`` call, to refuse keys that point at a missing budget."""

    def __init__(self, client: LiteLLMClient) -> None:
        self._client = client
        self._ids = None  # type: Optional[set]

    def exists(self, budget_id: str) -> bool:
        if self._ids is None:
            self._ids = {record.get("budget_id") for record in self._client.list_budgets()}
        return budget_id in self._ids


# Metadata ---------------------------------------------------------------------------------


def user_metadata(metadata: Optional[Mapping[str, Any]], declared: Optional[Mapping[str, Any]] = None) -> Dict:
    """The part of stored metadata a user owns: without LiteLLM's keys (unless declared) and our marker."""
    declared = declared or {}
    hidden = [key for key in SERVER_METADATA_KEYS if key not in declared]
    hidden.append(MANAGED_MARKER_KEY)
    return without_keys(metadata if isinstance(metadata, Mapping) else {}, hidden)


def metadata_to_send(desired: Mapping[str, Any], stored: Optional[Mapping[str, Any]]) -> Dict[str, Any]:
    """Desired user metadata plus what must survive LiteLLM's wholesale metadata replacement."""
    stored = stored if isinstance(stored, Mapping) else {}
    kept = {key: value for key, value in stored.items() if key in SERVER_METADATA_KEYS and key not in desired}
    if MANAGED_MARKER_KEY in stored:
        kept[MANAGED_MARKER_KEY] = stored[MANAGED_MARKER_KEY]
    result = dict(kept)
    result.update(desired)
    return result


def is_managed(record: Mapping[str, Any]) -> bool:
    metadata = record.get("metadata")
    return isinstance(metadata, Mapping) and metadata.get(MANAGED_MARKER_KEY) == MANAGED_MARKER_VALUE


# Keys -------------------------------------------------------------------------------------


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
    }


def key_desired_fields(params: Mapping[str, Any], team_id: Optional[str]) -> Dict[str, Any]:
    """The managed fields of a declared key: only the ones the user set or asked to clear."""
    desired = {}
    for field in (
        "models",
        "max_budget",
        "soft_budget",
        "budget_duration",
        "budget_id",
        "rpm_limit",
        "tpm_limit",
        "max_parallel_requests",
        "user_id",
        "metadata",
    ):
        if params.get(field) is not None:
            desired[field] = params[field]
    if params.get("team") is not None:
        desired["team_id"] = team_id
    for field in params.get("clear_fields") or []:
        target = "team_id" if field == "team" else field
        desired[target] = [] if field == "models" else ({} if field == "metadata" else None)
    return desired


def key_wants_blocked(params: Mapping[str, Any]) -> bool:
    return params.get("state") == "blocked" or bool(params.get("blocked"))


def _metadata_equal(declared: Any, stored: Any) -> bool:
    return values_equal(declared or {}, user_metadata(stored, declared))


class KeyPlan:
    """What to do with one declared key, computed from one read and no writes."""

    def __init__(self, params: Mapping[str, Any], record: Optional[Mapping[str, Any]], team_id: Optional[str]):
        self.params = params
        self.alias = params["key_alias"]
        self.record = record
        self.state = params.get("state") or "present"
        self.desired = key_desired_fields(params, team_id)
        self.current = key_current_fields(record) if record else None
        self.changes = {}  # type: Dict[str, FieldChange]
        self.action = "none"
        self.block = None  # type: Optional[str]
        self.rotate = False
        self.warnings = []  # type: List[str]
        self._plan()

    def _plan(self) -> None:
        if self.state == "absent":
            self.action = "delete" if self.record else "none"
            return
        if self.record is None:
            self.action = "create"
            return
        self.changes = changed_fields(
            self.desired,
            self.current,
            unordered_fields=("models",),
            comparators={"metadata": _metadata_equal},
        )
        if self.changes:
            self.action = "update"
        wants_blocked = key_wants_blocked(self.params)
        if wants_blocked != self.current["blocked"]:
            self.block = "block" if wants_blocked else "unblock"
        self._plan_rotation()

    def _plan_rotation(self) -> None:
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

    def create_body(self) -> Dict[str, Any]:
        body = {"key_alias": self.alias}
        for field, value in self.desired.items():
            if field == "metadata" or value is None:
                continue
            body[field] = value
        metadata = dict(self.desired.get("metadata") or {})
        metadata[MANAGED_MARKER_KEY] = MANAGED_MARKER_VALUE
        body["metadata"] = metadata
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
            if field == "metadata":
                body["metadata"] = metadata_to_send(self.desired["metadata"] or {}, self.record.get("metadata"))
            else:
                body[field] = self.desired[field]
        moving = body.get("team_id") is not None
        if not moving or len(body) == 2:
            return [body]
        team_id = body.pop("team_id")
        return [body, {"key": token, "team_id": team_id}]

    def effective(self, field: str) -> Any:
        if field in self.desired:
            return self.desired[field]
        return self.current.get(field) if self.current else None

    def team_move_error(self, team: Mapping[str, Any]) -> Optional[str]:
        """Why LiteLLM would refuse to put this key in ``team``
        (key_management_endpoints.py: validate_key_team_change), or None."""
        if self.record is None or "team_id" not in self.changes:
            return None
        name = "%s (%s)" % (team.get("team_alias"), team.get("team_id"))
        team_models = team.get("models") or []
        if team_models and "all-proxy-models" not in team_models:
            outside = [m for m in self.effective("models") or [] if m != "all-team-models" and m not in team_models]
            if outside:
                return "team: team %s does not allow model(s) %s used by the key" % (name, ", ".join(outside))
        for limit in ("tpm_limit", "rpm_limit"):
            mine, theirs = self.effective(limit), team.get(limit)
            if mine is not None and theirs and mine > theirs:
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
        if self.rotate:
            state["key"] = "(new value)"
        return state

    def summary(self) -> Dict[str, Any]:
        """Names of the changed fields, for bulk results."""
        fields = sorted(self.changes)
        if self.block:
            fields.append("blocked")
        if self.rotate:
            fields.append("key")
        return {"action": self.action, "fields": fields}


def key_apply(client: LiteLLMClient, plan: KeyPlan) -> Dict[str, Any]:
    """Carry out a plan; return ``{"record": ..., "api_key": ...}`` (api_key only for new secrets)."""
    if plan.action == "delete":
        client.delete_keys([plan.record["token"]])
        return {"record": None, "api_key": None}
    if plan.action == "create":
        response = client.generate_key(plan.create_body())
        generated = plan.params.get("key") is None
        return {"record": response, "api_key": response.get("key") if generated else None}
    token = plan.record["token"]
    api_key = None
    if plan.rotate:
        body = {"key": token}
        if plan.params.get("key") is not None:
            body["new_key"] = plan.params["key"]
        response = client.regenerate_key(body)
        token = response.get("token_id") or response.get("token") or token_hash(response["key"])
        if plan.params.get("key") is None:
            api_key = response.get("key")
    if plan.action == "update":
        for body in plan.update_bodies(token):
            client.update_key(body)
    if plan.block == "block":
        client.block_key(token)
    elif plan.block == "unblock":
        client.unblock_key(token)
    return {"record": {"token": token}, "api_key": api_key}


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


def public_key(record: Optional[Mapping[str, Any]]) -> Optional[Dict[str, Any]]:
    """A key record reduced to documented, secret-free fields (the raw key is never in a record)."""
    if not record:
        return None
    result = {field: record.get(field) for field in PUBLIC_KEY_FIELDS if field != "soft_budget"}
    result["soft_budget"] = key_current_fields(record)["soft_budget"]
    result["blocked"] = bool(record.get("blocked"))
    result["managed"] = is_managed(record)
    return result


# Teams ------------------------------------------------------------------------------------


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
    desired = {}
    for field in (
        "team_alias",
        "models",
        "max_budget",
        "soft_budget",
        "budget_duration",
        "rpm_limit",
        "tpm_limit",
        "blocked",
        "metadata",
    ):
        if params.get(field) is not None:
            desired[field] = params[field]
    for field in params.get("clear_fields") or []:
        desired[field] = [] if field == "models" else ({} if field == "metadata" else None)
    return desired


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


def team_metadata_body(desired: Mapping[str, Any], stored: Optional[Mapping[str, Any]]) -> Dict[str, Any]:
    return metadata_to_send(desired, stored)


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


def team_changes(params: Mapping[str, Any], record: Mapping[str, Any]) -> Dict[str, FieldChange]:
    return changed_fields(
        team_desired_fields(params),
        team_current_fields(record),
        unordered_fields=("models",),
        comparators={"metadata": _metadata_equal},
    )


def find_team(client: LiteLLMClient, team_id: Optional[str], team_alias: Optional[str]) -> Optional[Mapping[str, Any]]:
    """The stored team for an identity: by team_id when given, else by a unique alias."""
    if team_id:
        return client.team_info(team_id)
    teams = [team for team in client.list_teams() if team.get("team_alias") == team_alias]
    unique, duplicates = index_by(teams, "team_alias")
    if duplicates:
        raise LiteLLMError(
            "team_alias %r matches %s teams (%s); LiteLLM does not enforce unique team aliases, so set team_id"
            % (team_alias, len(teams), ", ".join(sorted(team["team_id"] for team in teams)))
        )
    return unique.get(team_alias)


# Budgets ----------------------------------------------------------------------------------


def budget_desired_fields(params: Mapping[str, Any]) -> Dict[str, Any]:
    desired = {field: params[field] for field in BUDGET_FIELDS if params.get(field) is not None}
    for field in params.get("clear_fields") or []:
        desired[field] = None
    return desired


def budget_current_fields(record: Mapping[str, Any]) -> Dict[str, Any]:
    return {field: record.get(field) for field in BUDGET_FIELDS}


PUBLIC_BUDGET_FIELDS = BUDGET_FIELDS + ("budget_id", "budget_reset_at", "created_at", "updated_at")


def public_budget(record: Optional[Mapping[str, Any]]) -> Optional[Dict[str, Any]]:
    if not record:
        return None
    return {field: record.get(field) for field in PUBLIC_BUDGET_FIELDS}
