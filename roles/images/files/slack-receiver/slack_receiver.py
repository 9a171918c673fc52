"""Slack incoming-webhook stand-in that records what it receives.

POST /services/<anything>   a Slack message (JSON body, or form field ``payload`` holding JSON); answers
                            200 ``ok`` as Slack does, 400 ``invalid_payload`` when the body is not a JSON
                            object and 400 ``no_text`` when it has none of text, blocks or attachments.
GET /messages[?since=<epoch>]  recorded messages, oldest first, each with ``received_at`` (epoch seconds,
                            float), ``path`` and ``payload``; only those received after ``since`` if given.
DELETE /messages            forget every recorded message.
GET /health                 liveness.
Only the last SLACK_RECEIVER_MAX_MESSAGES messages are kept (default 1000).
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

MAX_BODY_BYTES = 1024 * 1024
SLACK_TEXT_FIELDS = ("text", "blocks", "attachments")


class PayloadError(ValueError):
    """A body Slack would refuse; the message is Slack's error string."""


class MessageStore:
    """The last ``limit`` messages, safe to share between handler threads."""

    def __init__(self, limit: int) -> None:
        self._lock = threading.Lock()
        self._messages: deque[dict[str, Any]] = deque(maxlen=limit)
        self._received = 0

    def add(self, path: str, payload: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            self._received += 1
            message = {"seq": self._received, "received_at": time.time(), "path": path, "payload": payload}
            self._messages.append(message)
            return message

    def listing(self, since: float | None = None) -> dict[str, Any]:
        with self._lock:
            messages = [m for m in self._messages if since is None or m["received_at"] > since]
            return {"messages": messages, "count": len(messages), "received_total": self._received}

    def clear(self) -> int:
        with self._lock:
            cleared = len(self._messages)
            self._messages.clear()
            return cleared


def parse_payload(body: bytes, content_type: str) -> dict[str, Any]:
    """The Slack message in a request body, as Slack reads it (JSON, or a form field ``payload``)."""
    try:
        text = body.decode("utf-8")
        if content_type.split(";", 1)[0].strip().lower() == "application/x-www-form-urlencoded":
            text = parse_qs(text).get("payload", [""])[0]
        payload = json.loads(text)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise PayloadError("invalid_payload") from None
    if not isinstance(payload, dict):
        raise PayloadError("invalid_payload")
    if not any(payload.get(name) for name in SLACK_TEXT_FIELDS):
        raise PayloadError("no_text")
    return payload


class ReceiverServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], store: MessageStore) -> None:
        super().__init__(address, Handler)
        self.store = store

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that hung up mid-request is not a server fault: no traceback for it.
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


class Handler(BaseHTTPRequestHandler):
    server: ReceiverServer
    protocol_version = "HTTP/1.1"
    server_version = "slack-receiver/1"

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def log_message(self, format: str, *args: Any) -> None:
        sys.stderr.write(f"{self.address_string()} {format % args}\n")

    def _dispatch(self, method: str) -> None:
        path = urlsplit(self.path).path
        if path.startswith("/services/") and len(path) > len("/services/"):
            key = "/services/"
        else:
            key = path.rstrip("/") or "/"
        allowed = sorted(route_method for route_method, known in ROUTES if known == key)
        if (method, key) in ROUTES:
            ROUTES[(method, key)](self)
        elif allowed:
            self._send(405, "text/plain", b"method_not_allowed", {"Allow": ", ".join(allowed)})
        else:
            self._send(404, "text/plain", b"no_service")

    def _send(self, status: int, content_type: str, data: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def _send_json(self, status: int, payload: Any) -> None:
        self._send(status, "application/json", json.dumps(payload).encode())

    def receive(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY_BYTES:
            self.close_connection = True
            self._send(413, "text/plain", b"request_too_large")
            return
        body = self.rfile.read(length) if length else b""
        try:
            payload = parse_payload(body, self.headers.get("Content-Type", ""))
        except PayloadError as error:
            self._send(400, "text/plain", str(error).encode())
            return
        self.server.store.add(urlsplit(self.path).path, payload)
        self._send(200, "text/plain", b"ok")

    def messages(self) -> None:
        raw = parse_qs(urlsplit(self.path).query).get("since", [None])[0]
        try:
            since = None if raw is None else float(raw)
        except ValueError:
            self._send_json(400, {"error": f"since: {raw!r} is not a number of epoch seconds"})
            return
        self._send_json(200, self.server.store.listing(since))

    def clear(self) -> None:
        self._send_json(200, {"deleted": self.server.store.clear()})

    def health(self) -> None:
        self._send_json(200, {"status": "ok"})


ROUTES: dict[tuple[str, str], Callable[[Handler], None]] = {
    ("POST", "/services/"): Handler.receive,
    ("GET", "/messages"): Handler.messages,
    ("DELETE", "/messages"): Handler.clear,
    ("GET", "/health"): Handler.health,
}


def make_server(host: str, port: int, limit: int = 1000) -> ReceiverServer:
    return ReceiverServer((host, port), MessageStore(limit))


def main() -> int:
    try:
        port = int(os.environ.get("SLACK_RECEIVER_PORT", "8080"))
        limit = int(os.environ.get("SLACK_RECEIVER_MAX_MESSAGES", "1000"))
    except ValueError as error:
        sys.stderr.write(
            f"slack-receiver: SLACK_RECEIVER_PORT and SLACK_RECEIVER_MAX_MESSAGES take integers: {error}\n"
        )
        return 2
    if limit < 1 or not 0 <= port < 65536:
        sys.stderr.write("slack-receiver: SLACK_RECEIVER_MAX_MESSAGES must be >= 1, SLACK_RECEIVER_PORT 0..65535\n")
        return 2
    server = make_server(os.environ.get("SLACK_RECEIVER_HOST", "127.0.0.1"), port, limit)
    # PID 1 in a container ignores SIGTERM unless a handler is installed.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    sys.stderr.write(f"slack-receiver listening on {server.server_address[0]}:{server.server_address[1]}\n")
    try:
        server.serve_forever()
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
