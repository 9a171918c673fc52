# -*- coding: utf-8 -*-
# Copyright: (c) 2026, llmops maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Client of the LiteLLM proxy management API: ``/key/*``, ``/team/*``, ``/budget/*``, ``/v1/models``.

Every call goes through the collection's one HTTP transport with the master key; LiteLLM's
several error shapes are turned into one readable message that names the URL and the status.
"""

from __future__ import annotations

import ast
import hashlib
import json
from typing import Any, Iterator, List, Mapping, Optional, Sequence
from urllib.parse import urlencode

from ansible.module_utils.common.text.converters import to_text
from ansible_collections.llmops.litellm.plugins.module_utils.http_transport import (
    APIError,
    HttpTransport,
    status_message,
)

PAGE_SIZE = 100

# LiteLLM echoes the SHA-256 of a rejected credential; it identifies the credential, so it is hidden.
KEY_HASH_MASK = (r"(Key Hash \(Token\) ?=)\s*[0-9a-f]{64}", r"\1 (hidden)")
# A whole virtual key value, should an error ever echo one.
KEY_VALUE_MASK = (r"\bsk-[A-Za-z0-9_-]{16,}", "sk-(hidden)")


class LiteLLMError(APIError):
    """A failed call to the LiteLLM API (or a refused input), its message naming the URL or field."""


def token_hash(key_value: str) -> str:
    """LiteLLM identifies a virtual key by the SHA-256 of its value (proxy/utils.py: hash_token)."""
    return hashlib.sha256(key_value.encode("utf-8")).hexdigest()


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


def _query_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return to_text(value)


class LiteLLMClient:
    """Minimal client for the LiteLLM management API."""

    def __init__(self, api_base: str, master_key: str, validate_certs: bool = True, timeout: int = 30) -> None:
        self.api_base = api_base.rstrip("/")
        self.validate_certs = validate_certs
        self.timeout = timeout
        self._http = HttpTransport(
            "LiteLLM",
            error_class=LiteLLMError,
            timeout=timeout,
            validate_certs=validate_certs,
            headers={"Authorization": "Bearer %s" % master_key},
            secrets=(master_key, token_hash(master_key)),
            masks=(KEY_HASH_MASK, KEY_VALUE_MASK),
            location_hint="Check api_base (or LITELLM_API_BASE).",
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
        answer = self._http.send(method, self.url(path, query), body=body)
        # A redirect that was not followed (a write, or one too many) is as much an error as a 4xx.
        if answer.status >= 300:
            hint = ""
            if answer.status == 401:
                hint = "Check master_key (or LITELLM_MASTER_KEY): LiteLLM rejected it."
            raise LiteLLMError(
                status_message(answer, self._http.scrub(server_message(answer.raw)), hint),
                method=method,
                url=answer.url,
                status=answer.status,
                body=self._http.excerpt(answer.raw),
            )
        return self._http.decode(answer)

    def get(self, path: str, query: Optional[Mapping[str, Any]] = None) -> Any:
        return self.request("GET", path, query=query)

    def post(self, path: str, body: Any) -> Any:
        return self.request("POST", path, body=body)

    def _unexpected(self, method: str, path: str, query: Optional[Mapping[str, Any]] = None) -> LiteLLMError:
        url = self.url(path, query)
        return LiteLLMError("%s %s returned an unexpected body" % (method, url), method=method, url=url)

    # Keys -----------------------------------------------------------------------------------

    def list_keys_page(self, page: int, size: int = PAGE_SIZE, **filters: Any) -> Mapping[str, Any]:
        query = {"page": page, "size": size, "return_full_object": True}
        query.update(filters)
        response = self.get("/key/list", query)
        if not isinstance(response, Mapping) or not isinstance(response.get("keys"), list):
            raise self._unexpected("GET", "/key/list", query)
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

    def get_or_none(self, path: str, query: Mapping[str, Any]) -> Any:
        """GET that reads a 404 as "no such object"."""
        try:
            return self.get(path, query)
        except LiteLLMError as exc:
            if exc.status == 404:
                return None
            raise

    def key_info(self, token: str) -> Optional[Mapping[str, Any]]:
        response = self.get_or_none("/key/info", {"key": token})
        if response is None:
            return None
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
            raise self._unexpected("GET", "/team/list")
        return response

    def team_info(self, team_id: str) -> Optional[Mapping[str, Any]]:
        response = self.get_or_none("/team/info", {"team_id": team_id})
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

    def team_member_delete(self, team_id: str, identity: Mapping[str, Any]) -> Mapping[str, Any]:
        """``identity`` is ``{"user_id": ...}`` or ``{"user_email": ...}``."""
        body = {"team_id": team_id}
        body.update(identity)
        return self.post("/team/member_delete", body)

    def team_member_update(self, team_id: str, identity: Mapping[str, Any], role: str) -> Mapping[str, Any]:
        body = {"team_id": team_id, "role": role}
        body.update(identity)
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
        query = {"include_model_access_groups": True, "return_wildcard_routes": True}
        response = self.get("/v1/models", query)
        data = response.get("data") if isinstance(response, Mapping) else None
        if not isinstance(data, list):
            raise self._unexpected("GET", "/v1/models", query)
        return [to_text(item.get("id")) for item in data if isinstance(item, Mapping) and item.get("id")]
