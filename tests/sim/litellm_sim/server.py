"""HTTP front of the simulator: stdlib ``ThreadingHTTPServer``, JSON in and out.

Routes mirror the LiteLLM proxy's management API (see ``state.Simulator``); a GET with a query
parameter the LiteLLM route does not declare is refused with 422, as bodies are. Test-only
routes live under ``/_sim/`` and need no credential:

- ``GET /_sim/stats``: request and write counters (writes = POSTs to mutating routes,
  counted when received, whatever their outcome); also mirrored to ``--stats-file``.
- ``POST /_sim/reset``: empty state, default settings, zero counters.
- ``POST /_sim/config``: ``{"premium_user": bool, "auto_add_proxy_admin_to_teams": bool,
  "models": [...]}``.
- ``POST /_sim/seed``: insert raw ``keys`` / ``teams`` rows without validation, as an older
  LiteLLM could have left them (duplicate aliases, a team member without an identity). Not
  counted as writes.
- ``POST /_sim/faults``: arm a fault, ``{"path": "/key/generate", "status": 503, "count": 2}``
  (also ``method``, ``match``: body fields to match, ``delay``: seconds before answering,
  ``applied``: handle the request first, so the write happens and only its answer is lost,
  ``body``), or ``{"faults": [...]}`` to replace them all; ``GET /_sim/faults`` lists them with
  how many each served. Faulted requests are counted like any other. See ``Simulator.take_fault``.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from .errors import ApiError, PlainText
from .state import Simulator
from .validation import RequestInvalid

ROUTES = {
    ("POST", "/key/generate"): "key_generate_endpoint",
    ("POST", "/key/update"): "key_update_endpoint",
    ("POST", "/key/regenerate"): "key_regenerate_endpoint",
    ("POST", "/key/delete"): "key_delete_endpoint",
    ("GET", "/key/info"): "key_info_endpoint",
    ("GET", "/key/list"): "key_list_endpoint",
    ("POST", "/key/block"): "key_block_endpoint",
    ("POST", "/key/unblock"): "key_unblock_endpoint",
    ("POST", "/team/new"): "team_new_endpoint",
    ("POST", "/team/update"): "team_update_endpoint",
    ("POST", "/team/delete"): "team_delete_endpoint",
    ("GET", "/team/info"): "team_info_endpoint",
    ("GET", "/team/list"): "team_list_endpoint",
    ("GET", "/v2/team/list"): "team_list_v2_endpoint",
    ("POST", "/team/member_add"): "team_member_add_endpoint",
    ("POST", "/team/member_delete"): "team_member_delete_endpoint",
    ("POST", "/team/member_update"): "team_member_update_endpoint",
    ("POST", "/budget/new"): "budget_new_endpoint",
    ("POST", "/budget/update"): "budget_update_endpoint",
    ("POST", "/budget/info"): "budget_info_endpoint",
    ("GET", "/budget/list"): "budget_list_endpoint",
    ("POST", "/budget/delete"): "budget_delete_endpoint",
    ("GET", "/v1/models"): "models_endpoint",
    ("GET", "/models"): "models_endpoint",
    ("GET", "/v1/model/info"): "model_info_endpoint",
    ("GET", "/model/info"): "model_info_endpoint",
}


# Query parameters each GET route declares in LiteLLM (FastAPI ignores any other; the simulator
# refuses them, so a misspelt filter, which would silently list every key, fails the tests).
QUERY_PARAMETERS = {
    "/key/list": frozenset(
        [
            "page",
            "size",
            "user_id",
            "team_id",
            "organization_id",
            "key_hash",
            "key_alias",
            "search",
            "return_full_object",
            "include_team_keys",
            "include_created_by_keys",
            "sort_by",
            "sort_order",
            "expand",
            "status",
            "project_id",
            "access_group_id",
            "agent_id",
            "substring_matching",
            "expires",
        ]
    ),
    "/key/info": frozenset(["key"]),
    "/team/info": frozenset(["team_id", "key_limit"]),
    "/team/list": frozenset(["user_id", "organization_id"]),
    "/v2/team/list": frozenset(
        [
            "user_id",
            "organization_id",
            "team_id",
            "team_alias",
            "search",
            "search_team_id_match",
            "page",
            "page_size",
            "sort_by",
            "sort_order",
            "status",
        ]
    ),
    "/budget/list": frozenset(),
    "/v1/models": frozenset(
        [
            "return_wildcard_routes",
            "team_id",
            "include_model_access_groups",
            "only_model_access_groups",
            "include_metadata",
            "fallback_type",
            "scope",
            "healthy_only",
            "client_version",
        ]
    ),
}
QUERY_PARAMETERS["/models"] = QUERY_PARAMETERS["/v1/models"]
# proxy_server.py: model_info_v1
QUERY_PARAMETERS["/v1/model/info"] = frozenset(["litellm_model_id", "include_team_models", "teamId", "healthy_only"])
QUERY_PARAMETERS["/model/info"] = QUERY_PARAMETERS["/v1/model/info"]


def unknown_query_parameters(route: str, query: dict[str, str]) -> list[dict[str, Any]]:
    allowed = QUERY_PARAMETERS.get(route, frozenset())
    return [
        {"type": "extra_forbidden", "loc": ["query", name], "msg": "Extra inputs are not permitted"}
        for name in query
        if name not in allowed
    ]


class SimulatorServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], simulator: Simulator) -> None:
        super().__init__(address, SimulatorHandler)
        self.simulator = simulator

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"


class SimulatorHandler(BaseHTTPRequestHandler):
    server: SimulatorServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        return

    def do_GET(self) -> None:  # noqa: N802 - stdlib hook name
        self._dispatch("GET")

    def do_POST(self) -> None:  # noqa: N802 - stdlib hook name
        self._dispatch("POST")

    def _dispatch(self, method: str) -> None:
        parts = urlsplit(self.path)
        route = parts.path.rstrip("/") or "/"
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        simulator = self.server.simulator
        if route.startswith("/_sim/"):
            self._control(method, route, raw)
            return
        if route == "/health/liveliness":
            self._send(200, "I'm alive!")
            return
        simulator.record_request(method, route)
        handler = ROUTES.get((method, route))
        if handler is None:
            known = any(path == route for _method, path in ROUTES)
            self._send(405 if known else 404, {"detail": "Method Not Allowed" if known else "Not Found"})
            return
        try:
            parsed = json.loads(raw) if raw else None
        except json.JSONDecodeError:
            parsed = None
        fault = simulator.take_fault(method, route, query, parsed)
        if fault is not None and not fault["applied"]:
            self._send(*simulator.fault_answer(fault))
            return
        try:
            simulator.authenticate(self.headers.get("Authorization"))
            unknown = unknown_query_parameters(route, query) if method == "GET" else []
            if unknown:
                raise RequestInvalid(unknown)
            body = json.loads(raw) if raw else None
            status, payload = getattr(simulator, handler)(query, body)
        except json.JSONDecodeError as exc:
            status, payload = (
                422,
                {"detail": [{"type": "json_invalid", "loc": ["body", exc.pos], "msg": "JSON decode error"}]},
            )
        except RequestInvalid as exc:
            status, payload = 422, exc.body()
        except ApiError as exc:
            status, payload = exc.status, exc.body
        if fault is not None:
            if fault["status"] is not None:
                status, payload = simulator.fault_answer(fault)
            elif fault["delay"]:
                time.sleep(fault["delay"])
        self._send(status, payload)

    def _control(self, method: str, route: str, raw: bytes) -> None:
        simulator = self.server.simulator
        body = json.loads(raw) if raw else {}
        if (method, route) == ("GET", "/_sim/stats"):
            self._send(200, simulator.stats_snapshot())
        elif (method, route) == ("POST", "/_sim/reset"):
            simulator.reset()
            self._send(200, {"reset": True})
        elif (method, route) == ("POST", "/_sim/config"):
            self._send(200, simulator.configure(body))
        elif (method, route) == ("POST", "/_sim/seed"):
            self._send(200, simulator.seed(body))
        elif (method, route) == ("POST", "/_sim/faults"):
            try:
                self._send(200, simulator.add_faults(body))
            except (ValueError, TypeError) as exc:
                self._send(400, {"detail": str(exc)})
        elif (method, route) == ("GET", "/_sim/faults"):
            self._send(200, simulator.faults_snapshot())
        else:
            self._send(404, {"detail": "Not Found"})

    def _send(self, status: int, payload: Any) -> None:
        """A JSON answer; a PlainText payload as text/plain, a str payload (a gateway's error page) as HTML."""
        if isinstance(payload, PlainText):
            data, content_type = payload.encode(), "text/plain; charset=utf-8"
        elif isinstance(payload, str) and status >= 500:
            data, content_type = payload.encode(), "text/html"
        else:
            data, content_type = json.dumps(payload).encode(), "application/json"
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up waiting (a delayed fault)


def start(
    master_key: str, host: str = "127.0.0.1", port: int = 0, stats_file: str | None = None
) -> tuple[SimulatorServer, threading.Thread]:
    """Serve a fresh simulator on ``host:port`` (0 = ephemeral) from a daemon thread."""
    server = SimulatorServer((host, port), Simulator(master_key, stats_file=stats_file))
    thread = threading.Thread(target=server.serve_forever, name="litellm-sim", daemon=True)
    thread.start()
    return server, thread
