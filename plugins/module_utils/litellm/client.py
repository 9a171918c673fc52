# -*- coding: utf-8 -*-
# Copyright: (c) 2026, llmops maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Client of the LiteLLM proxy management API: ``/key/*``, ``/team/*``, ``/budget/*``, ``/v1/models``.

Every call goes through the collection's one HTTP transport with the master key; LiteLLM's
several error shapes are turned into one readable message that names the URL and the status.

Reads are sent again after a transient failure (see ``http_transport.RetryPolicy``). A write is
sent again only when that cannot do harm: when it provably never reached the proxy (connection
refused), when it only sets values (an update, a block), or when the object was re-read and the
write had not taken effect. A create or delete whose outcome is unknown (a timeout, a 502/503/504)
is first looked up: if it happened, its result is what the lookup found.
"""

from __future__ import annotations

import ast
import hashlib
import json
from typing import Any, Callable, Dict, Iterator, List, Mapping, Optional, Sequence, Tuple
from urllib.parse import urlencode

from ansible.module_utils.common.text.converters import to_text
from ansible_collections.llmops.litellm.plugins.module_utils.http_transport import (
    RETRY_READ_STATUSES,
    RETRY_STATUSES,
    APIError,
    HttpTransport,
    RetryPolicy,
    gave_up,
    status_message,
)

PAGE_SIZE = 100
# /v2/team/list allows 1 to 100 teams a page (team_endpoints.py: list_team_v2).
TEAM_PAGE_SIZE = 100
TEAM_LIST_PATH = "/v2/team/list"
# team_endpoints.py: list_team_v2 builds a TeamListItem from every row; one that fails LiteLLM's own
# validation turns the whole answer into a 500 (where /team/list silently leaves the team out).
TEAM_LIST_500_HINT = (
    "LiteLLM answers 500 here when a stored team fails its own validation (for example a member without "
    "user_id and user_email); /team/list would leave such a team out, so nothing is written rather than "
    "risking a duplicate team. Check the proxy's log for 'Unhandled exception'."
)

# LiteLLM echoes the SHA-256 of a rejected credential; it identifies the credential, so it is hidden.
KEY_HASH_MASK = (r"(Key Hash \(Token\) ?=)\s*[0-9a-f]{64}", r"\1 (hidden)")
# A whole virtual key value, should an error ever echo one.
KEY_VALUE_MASK = (r"\bsk-[A-Za-z0-9_-]{16,}", "sk-(hidden)")


class LiteLLMError(APIError):
    """A failed call to the LiteLLM API (or a refused input), its message naming the URL or field."""


class WriteAnswerLost(LiteLLMError):
    """A write that took effect although its answer never came, so part of it (a generated secret)
    cannot be returned. ``record`` is the object as a re-read found it."""

    applied = True

    def __init__(self, message: str, record: Optional[Mapping[str, Any]] = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.record = record


# What a write's check answers: (True, the result to return) when the write took effect,
# (False, the body to send again, or None for the same body) when it did not.
Check = Callable[[Mapping[str, Any], LiteLLMError], Tuple[bool, Any]]


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

    def __init__(
        self,
        api_base: str,
        master_key: str,
        validate_certs: bool = True,
        timeout: float = 30,
        *,
        retries: int = 3,
        retry_delay: float = 1.0,
        sleep: Optional[Callable[[float], None]] = None,
    ) -> None:
        self.api_base = api_base.rstrip("/")
        self.validate_certs = validate_certs
        self.timeout = timeout
        policy = RetryPolicy(retries=retries, delay=retry_delay)
        if sleep is not None:
            policy.sleep = sleep
        self.retry = policy
        self._http = HttpTransport(
            "LiteLLM",
            error_class=LiteLLMError,
            timeout=timeout,
            validate_certs=validate_certs,
            headers={"Authorization": "Bearer %s" % master_key},
            secrets=(master_key, token_hash(master_key)),
            masks=(KEY_HASH_MASK, KEY_VALUE_MASK),
            location_hint="Check api_base (or LITELLM_API_BASE).",
            retry=policy,
        )

    def url(self, path: str, query: Optional[Mapping[str, Any]] = None) -> str:
        url = self.api_base + path
        if query:
            clean = [(name, _query_value(value)) for name, value in query.items() if value is not None]
            if clean:
                url += "?" + urlencode(clean)
        return url

    def request(
        self,
        method: str,
        path: str,
        query: Optional[Mapping[str, Any]] = None,
        body: Optional[Any] = None,
        idempotent: Optional[bool] = None,
    ) -> Any:
        answer = self._http.send(method, self.url(path, query), body=body, idempotent=idempotent)
        # A redirect that was not followed (a write, or one too many) is as much an error as a 4xx.
        if answer.status >= 300:
            hint = ""
            if answer.status == 401:
                hint = "Check master_key (or LITELLM_MASTER_KEY): LiteLLM rejected it."
            reads = idempotent if idempotent is not None else method == "GET"
            raise LiteLLMError(
                status_message(answer, self._http.scrub(server_message(answer.raw)), hint),
                method=method,
                url=answer.url,
                status=answer.status,
                body=self._http.excerpt(answer.raw),
                transient=answer.status in (RETRY_READ_STATUSES if reads else RETRY_STATUSES),
                attempts=answer.attempts,
            )
        return self._http.decode(answer)

    def get(self, path: str, query: Optional[Mapping[str, Any]] = None) -> Any:
        return self.request("GET", path, query=query)

    def post(self, path: str, body: Any) -> Any:
        return self.request("POST", path, body=body)

    def read_post(self, path: str, body: Any) -> Any:
        """A read LiteLLM serves on POST (``/budget/info``): retried like a GET."""
        return self.request("POST", path, body=body, idempotent=True)

    def write(self, path: str, body: Any, check: Optional[Check] = None, repeatable: bool = False) -> Any:
        """POST a write, sent again after a transient failure only when that is safe.

        ``repeatable``: the write only sets values, so sending it twice is sending it once.
        ``check``: for any other write, re-reads the object after a failure whose outcome is unknown
        and says whether the write took effect (then its result is returned, nothing is re-sent) or
        what to send again. Without either, only a write that never reached the proxy is re-sent.
        """
        delays = self.retry.delays()
        attempts = 0
        while True:
            attempts += 1
            try:
                return self.post(path, body)
            except LiteLLMError as exc:
                if not exc.transient:
                    raise
                failure = exc
            delay = next(delays, None)
            if failure.reached is not False and not repeatable:
                if check is None:
                    failure.message = (
                        "%s The write was not repeated: it may have reached LiteLLM, and it cannot be re-read."
                        % failure.message.rstrip()
                    )
                    raise failure
                if delay is not None:
                    self.retry.sleep(delay)
                done, value = self._look_up(check, body, failure)
                if done:
                    return value
                if value is not None:
                    body = value
            elif delay is not None:
                self.retry.sleep(delay)
            if delay is None:
                failure.attempts = attempts
                if attempts > 1:
                    failure.message = gave_up(failure.message, attempts)
                raise failure

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

    @staticmethod
    def _look_up(check: Check, body: Any, failure: LiteLLMError) -> Tuple[bool, Any]:
        """Run a write's check; a failed look-up says which write it was for."""
        try:
            return check(body, failure)
        except WriteAnswerLost:
            raise
        except LiteLLMError as lookup:
            lookup.message = "%s It may have taken effect, and the look-up that would tell failed: %s" % (
                failure.message.rstrip(),
                lookup.message,
            )
            raise lookup from None

    def _key_gone(self, token: str) -> bool:
        info = self.key_info(token)
        return info is None or info.get("status") == "deleted"

    def _check_key_created(self, sent: Mapping[str, Any], failure: LiteLLMError) -> Tuple[bool, Any]:
        alias = sent.get("key_alias")
        records = self.find_keys_by_alias(alias)
        if not records:
            return False, None
        record = records[0]
        value = sent.get("key")
        if value is not None:
            if len(records) > 1 or record.get("token") != token_hash(value):
                raise LiteLLMError(
                    "key %r: after %s, a key with that alias exists that is not the one sent; resolve it by hand"
                    % (alias, failure.message.rstrip(". "))
                )
            return True, dict(record, key=value, token_id=record.get("token"))
        raise WriteAnswerLost(
            "key %r was created, but LiteLLM's answer was lost (%s), so the value it generated is unknown: "
            "rotate the key (rotate_key: true) or delete it to get a value" % (alias, failure.message.rstrip(". ")),
            record=record,
            method="POST",
            url=failure.url,
            status=failure.status,
        )

    def generate_key(self, body: Mapping[str, Any]) -> Mapping[str, Any]:
        check = self._check_key_created if body.get("key_alias") else None
        return self.write("/key/generate", body, check=check)

    def update_key(self, body: Mapping[str, Any]) -> Mapping[str, Any]:
        return self.write("/key/update", body, repeatable=True)

    def _check_key_rotated(self, sent: Mapping[str, Any], failure: LiteLLMError) -> Tuple[bool, Any]:
        if not self._key_gone(sent["key"]):
            return False, None
        new_key = sent.get("new_key")
        if new_key is not None:
            return True, {"key": new_key, "token_id": token_hash(new_key)}
        raise WriteAnswerLost(
            "key %s was rotated, but LiteLLM's answer was lost (%s), so its new value is unknown: rotate it again"
            % (sent["key"], failure.message.rstrip(". ")),
            method="POST",
            url=failure.url,
            status=failure.status,
        )

    def regenerate_key(self, body: Mapping[str, Any]) -> Mapping[str, Any]:
        return self.write("/key/regenerate", body, check=self._check_key_rotated)

    def _check_keys_deleted(self, sent: Mapping[str, Any], failure: LiteLLMError) -> Tuple[bool, Any]:
        remaining = [token for token in sent["keys"] if not self._key_gone(token)]
        if not remaining:
            return True, {"deleted_keys": list(sent["keys"])}
        return False, {"keys": remaining}

    def delete_keys(self, tokens: Sequence[str]) -> Mapping[str, Any]:
        return self.write("/key/delete", {"keys": list(tokens)}, check=self._check_keys_deleted)

    def block_key(self, token: str) -> Mapping[str, Any]:
        return self.write("/key/block", {"key": token}, repeatable=True)

    def unblock_key(self, token: str) -> Mapping[str, Any]:
        return self.write("/key/unblock", {"key": token}, repeatable=True)

    # Teams ----------------------------------------------------------------------------------

    def list_teams_page(self, page: int, page_size: int = TEAM_PAGE_SIZE, **filters: Any) -> Mapping[str, Any]:
        """One page of ``GET /v2/team/list``: ``{"teams", "total", "page", "page_size", "total_pages"}``.

        Filters (team_endpoints.py: list_team_v2): ``team_id`` (exact), ``team_alias`` (contains,
        case-insensitive), ``search`` (team_id exact or alias contains), ``user_id``,
        ``organization_id``, ``sort_by`` (team_id, team_alias, created_at), ``sort_order``.
        """
        query: Dict[str, Any] = {"page": page, "page_size": page_size}
        query.update(filters)
        try:
            response = self.get(TEAM_LIST_PATH, query)
        except LiteLLMError as exc:
            if exc.status == 500:
                exc.message = "%s %s" % (exc.message.rstrip(), TEAM_LIST_500_HINT)
            raise
        if not isinstance(response, Mapping) or not isinstance(response.get("teams"), list):
            raise self._unexpected("GET", TEAM_LIST_PATH, query)
        return response

    def list_teams(self, **filters: Any) -> List[Mapping[str, Any]]:
        """Every team matching ``filters``, all pages read, in team_id order.

        Fails rather than return fewer teams than LiteLLM counts: a team missing from a lookup
        could be created a second time.
        """
        filters.setdefault("sort_by", "team_id")
        filters.setdefault("sort_order", "asc")
        teams: Dict[Any, Mapping[str, Any]] = {}
        page, total = 1, 0
        while True:
            response = self.list_teams_page(page, **filters)
            for record in response["teams"]:
                if isinstance(record, Mapping):
                    teams.setdefault(record.get("team_id"), record)
            total = int(response.get("total") or 0)
            if page >= int(response.get("total_pages") or 0) or not response["teams"]:
                break
            page += 1
        if len(teams) < total:
            url = self.url(TEAM_LIST_PATH, dict(filters, page_size=TEAM_PAGE_SIZE))
            raise LiteLLMError(
                "GET %s counts %s teams but its pages held %s: some teams could not be read (or teams were "
                "created or deleted meanwhile); nothing is written rather than risking a duplicate team. "
                "Run again." % (url, total, len(teams)),
                method="GET",
                url=url,
            )
        return list(teams.values())

    def find_teams(
        self, team_id: Optional[str] = None, team_alias: Optional[str] = None, search: Optional[str] = None
    ) -> List[Mapping[str, Any]]:
        """Teams with exactly this team_id, or exactly this alias (LiteLLM's alias filter is a
        case-insensitive substring match), or for ``search`` every team whose id is the value or
        whose alias contains it; one filtered query (more pages only for more than 100 matches)."""
        if team_id is not None:
            return [team for team in self.list_teams(team_id=team_id) if team.get("team_id") == team_id]
        if team_alias is not None:
            return [team for team in self.list_teams(team_alias=team_alias) if team.get("team_alias") == team_alias]
        return self.list_teams(search=search)

    def team_info(self, team_id: str) -> Optional[Mapping[str, Any]]:
        response = self.get_or_none("/team/info", {"team_id": team_id})
        return response.get("team_info") if isinstance(response, Mapping) else None

    def team_memberships(self, team_id: str) -> List[Mapping[str, Any]]:
        """A team's membership rows (each member's ``budget_id``), which only ``/team/info`` returns
        (team_endpoints.py: team_info, get_all_team_memberships; ``/v2/team/list`` leaves them out)."""
        response = self.get_or_none("/team/info", {"team_id": team_id})
        memberships = response.get("team_memberships") if isinstance(response, Mapping) else None
        return list(memberships or [])

    def count_team_keys(self, team_id: str) -> int:
        return int(self.list_keys_page(1, size=1, team_id=team_id).get("total_count") or 0)

    def _check_team_created(self, sent: Mapping[str, Any], failure: LiteLLMError) -> Tuple[bool, Any]:
        if sent.get("team_id"):
            teams = self.find_teams(team_id=sent["team_id"])
        else:
            teams = self.find_teams(team_alias=sent.get("team_alias"))
        if len(teams) > 1:
            raise LiteLLMError(
                "team %r: after %s, %s teams have that alias (%s); resolve it by hand"
                % (
                    sent.get("team_alias"),
                    failure.message.rstrip(". "),
                    len(teams),
                    ", ".join(sorted(team["team_id"] for team in teams)),
                )
            )
        return (True, teams[0]) if teams else (False, None)

    def new_team(self, body: Mapping[str, Any]) -> Mapping[str, Any]:
        check = self._check_team_created if body.get("team_id") or body.get("team_alias") else None
        return self.write("/team/new", body, check=check)

    def update_team(self, body: Mapping[str, Any]) -> Mapping[str, Any]:
        return self.write("/team/update", body, repeatable=True)

    def _check_teams_deleted(self, sent: Mapping[str, Any], failure: LiteLLMError) -> Tuple[bool, Any]:
        remaining = [team_id for team_id in sent["team_ids"] if self.team_info(team_id) is not None]
        if not remaining:
            return True, {"deleted_teams": list(sent["team_ids"])}
        return False, {"team_ids": remaining}

    def delete_teams(self, team_ids: Sequence[str]) -> Mapping[str, Any]:
        return self.write("/team/delete", {"team_ids": list(team_ids)}, check=self._check_teams_deleted)

    @staticmethod
    def _is_member(team: Mapping[str, Any], identity: Mapping[str, Any]) -> bool:
        for member in team.get("members_with_roles") or []:
            if identity.get("user_id") and member.get("user_id") == identity["user_id"]:
                return True
            if (
                not identity.get("user_id")
                and identity.get("user_email")
                and member.get("user_email") == identity["user_email"]
            ):
                return True
        return False

    def _check_members_added(self, sent: Mapping[str, Any], failure: LiteLLMError) -> Tuple[bool, Any]:
        team = self.team_info(sent["team_id"]) or {}
        missing = [member for member in sent["member"] if not self._is_member(team, member)]
        if not missing:
            return True, team
        return False, {"team_id": sent["team_id"], "member": missing}

    def team_member_add(self, team_id: str, members: Sequence[Mapping[str, Any]]) -> Mapping[str, Any]:
        body = {"team_id": team_id, "member": list(members)}
        return self.write("/team/member_add", body, check=self._check_members_added)

    def _check_member_deleted(self, sent: Mapping[str, Any], failure: LiteLLMError) -> Tuple[bool, Any]:
        team = self.team_info(sent["team_id"]) or {}
        return (True, team) if not self._is_member(team, sent) else (False, None)

    def team_member_delete(self, team_id: str, identity: Mapping[str, Any]) -> Mapping[str, Any]:
        """``identity`` is ``{"user_id": ...}`` or ``{"user_email": ...}``."""
        body = {"team_id": team_id}
        body.update(identity)
        return self.write("/team/member_delete", body, check=self._check_member_deleted)

    def team_member_update(self, team_id: str, identity: Mapping[str, Any], role: str) -> Mapping[str, Any]:
        body = {"team_id": team_id, "role": role}
        body.update(identity)
        return self.write("/team/member_update", body, repeatable=True)

    # Budgets --------------------------------------------------------------------------------

    def budget_info(self, budget_id: str) -> Optional[Mapping[str, Any]]:
        response = self.read_post("/budget/info", {"budgets": [budget_id]})
        for record in response or []:
            if record.get("budget_id") == budget_id:
                return record
        return None

    def list_budgets(self) -> List[Mapping[str, Any]]:
        response = self.get("/budget/list")
        return list(response or [])

    def _check_budget_created(self, sent: Mapping[str, Any], failure: LiteLLMError) -> Tuple[bool, Any]:
        record = self.budget_info(sent["budget_id"])
        return (True, record) if record is not None else (False, None)

    def new_budget(self, body: Mapping[str, Any]) -> Mapping[str, Any]:
        check = self._check_budget_created if body.get("budget_id") else None
        return self.write("/budget/new", body, check=check)

    def update_budget(self, body: Mapping[str, Any]) -> Mapping[str, Any]:
        return self.write("/budget/update", body, repeatable=True)

    def _check_budget_deleted(self, sent: Mapping[str, Any], failure: LiteLLMError) -> Tuple[bool, Any]:
        return (True, {"budget_id": sent["id"]}) if self.budget_info(sent["id"]) is None else (False, None)

    def delete_budget(self, budget_id: str) -> Mapping[str, Any]:
        return self.write("/budget/delete", {"id": budget_id}, check=self._check_budget_deleted)

    # Models ---------------------------------------------------------------------------------

    def model_deployments(self) -> List[Mapping[str, Any]]:
        """``/v1/model/info`` rows: each deployment's ``model_name`` and ``model_info`` (its
        ``access_groups``), model_group_alias rows included (proxy_server.py: model_info_v1)."""
        response = self.get("/v1/model/info")
        data = response.get("data") if isinstance(response, Mapping) else None
        if not isinstance(data, list):
            raise self._unexpected("GET", "/v1/model/info")
        return [item for item in data if isinstance(item, Mapping)]

    def model_names(self) -> List[str]:
        query = {"include_model_access_groups": True, "return_wildcard_routes": True}
        response = self.get("/v1/models", query)
        data = response.get("data") if isinstance(response, Mapping) else None
        if not isinstance(data, list):
            raise self._unexpected("GET", "/v1/models", query)
        return [to_text(item.get("id")) for item in data if isinstance(item, Mapping) and item.get("id")]
