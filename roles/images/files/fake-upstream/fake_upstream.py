"""OpenAI-compatible stand-in upstream: deterministic replies, exact token usage and fault injection.

Token usage contract (tests compute expected totals from it):
  prompt_tokens      chat: whitespace-separated words of every message content (string contents and
                     the ``text`` of text parts); completions: words of the prompt(s); embeddings:
                     words of the input(s), a list of token ids counts its length.
  completion_tokens  min(completion_tokens setting, the request's max_completion_tokens or max_tokens
                     when given); the reply text is exactly that many words. Embeddings have none.
  total_tokens       prompt_tokens + completion_tokens.

Fault injection is counted, not random: the n-th eligible request (a valid API request without an
``x-fake-status`` header) answers 429 when floor(n * rate_limit_rate) > floor((n - 1) * rate_limit_rate),
otherwise 500 when the same holds for error_rate. The first N eligible requests thus hold exactly
floor(N * rate) faults of each kind, spread evenly; 429 wins when both fall on the same request.
Per request, ``x-fake-status: <200 or 400-599>`` forces the answer (without counting as eligible) and
``x-fake-latency-ms`` replaces the configured latency.

Settings come from FAKE_UPSTREAM_<FIELD> variables (LATENCY_MS, COMPLETION_TOKENS, ERROR_RATE,
RATE_LIMIT_RATE, API_KEY, MODELS comma-separated, EMBEDDING_DIMENSIONS; HOST and PORT for the socket).
Admin API: GET /_admin/config (the fields, with api_key_set instead of the key), PUT /_admin/config
(a JSON object of fields to change), GET /_admin/stats (API requests by status and endpoint, usage
served, fault counter), POST /_admin/reset (start-up settings, counters and statistics cleared).
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import os
import signal
import struct
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import asdict, dataclass, field, replace
from fractions import Fraction
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

SYSTEM_FINGERPRINT = "fp_fake_upstream"
REPLY_WORDS = ("fake", "upstream", "reply", "with", "exact", "token", "usage", "for", "tests")
MAX_BODY_BYTES = 10 * 1024 * 1024


class ConfigError(ValueError):
    """A configuration value that does not fit its field; the message names the field."""


def _parse_int(name: str, value: Any, low: int, high: int) -> int:
    if isinstance(value, bool):
        raise ConfigError(f"{name}: expected an integer, got {value!r}")
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{name}: expected an integer, got {value!r}") from None
    if isinstance(value, float) and not value.is_integer():
        raise ConfigError(f"{name}: expected an integer, got {value!r}")
    if not low <= number <= high:
        raise ConfigError(f"{name}: {number} is outside {low}..{high}")
    return number


def _parse_rate(name: str, value: Any) -> float:
    if isinstance(value, bool):
        raise ConfigError(f"{name}: expected a number between 0 and 1, got {value!r}")
    try:
        rate = float(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{name}: expected a number between 0 and 1, got {value!r}") from None
    if not 0.0 <= rate <= 1.0:
        raise ConfigError(f"{name}: {rate} is outside 0..1")
    return rate


def _parse_str(name: str, value: Any) -> str:
    if not isinstance(value, str):
        raise ConfigError(f"{name}: expected a string, got {value!r}")
    return value


def _parse_models(name: str, value: Any) -> list[str]:
    items = [part.strip() for part in value.split(",")] if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(item, str) and item for item in items):
        raise ConfigError(f"{name}: expected a list of model names, got {value!r}")
    return list(items)


FIELD_PARSERS: dict[str, Callable[[str, Any], Any]] = {
    "latency_ms": lambda name, value: _parse_int(name, value, 0, 600_000),
    "completion_tokens": lambda name, value: _parse_int(name, value, 0, 100_000),
    "error_rate": _parse_rate,
    "rate_limit_rate": _parse_rate,
    "api_key": _parse_str,
    "models": _parse_models,
    "embedding_dimensions": lambda name, value: _parse_int(name, value, 1, 4096),
}


@dataclass(frozen=True)
class Config:
    latency_ms: int = 0
    completion_tokens: int = 16
    error_rate: float = 0.0
    rate_limit_rate: float = 0.0
    api_key: str = ""
    models: list[str] = field(default_factory=lambda: ["fake", "fake-embedding"])
    embedding_dimensions: int = 8

    def public(self) -> dict[str, Any]:
        """The admin view: every field except the key itself, which is only reported as set or not."""
        view = asdict(self)
        view["api_key_set"] = bool(view.pop("api_key"))
        return view

    def updated(self, changes: Mapping[str, Any], source: str = "") -> Config:
        """A copy with ``changes`` applied; unknown or malformed fields raise ConfigError naming the field."""
        parsed: dict[str, Any] = {}
        for key, value in changes.items():
            parser = FIELD_PARSERS.get(key)
            if parser is None:
                raise ConfigError(f"{source}{key}: unknown field (known: {', '.join(sorted(FIELD_PARSERS))})")
            parsed[key] = parser(f"{source}{key}", value)
        return replace(self, **parsed)


def config_from_env(environ: Mapping[str, str]) -> Config:
    """Settings from FAKE_UPSTREAM_<FIELD> variables (models as a comma-separated list)."""
    config = Config()
    for key, parser in FIELD_PARSERS.items():
        name = f"FAKE_UPSTREAM_{key.upper()}"
        if name in environ:
            config = replace(config, **{key: parser(name, environ[name])})
    return config


def falls_on(n: int, rate: float) -> bool:
    """Whether the n-th eligible request (1-based) is one of the floor(N * rate) faults among the first N."""
    exact = Fraction(str(rate))
    return math.floor(n * exact) > math.floor((n - 1) * exact)


def count_words(text: str) -> int:
    return len(text.split())


def message_words(messages: list[Any]) -> int:
    total = 0
    for message in messages:
        content = message.get("content") if isinstance(message, dict) else None
        if isinstance(content, str):
            total += count_words(content)
        elif isinstance(content, list):
            total += sum(
                count_words(part["text"])
                for part in content
                if isinstance(part, dict) and part.get("type") == "text" and isinstance(part.get("text"), str)
            )
    return total


def input_tokens(value: Any) -> int:
    """Tokens of a completions prompt or an embeddings input: words of strings, length of token-id lists."""
    if isinstance(value, str):
        return count_words(value)
    if isinstance(value, list) and all(isinstance(item, int) for item in value):
        return len(value)
    if isinstance(value, list):
        return sum(input_tokens(item) for item in value)
    return 0


def reply_words(count: int) -> list[str]:
    return [REPLY_WORDS[index % len(REPLY_WORDS)] for index in range(count)]


def completion_budget(config: Config, body: Mapping[str, Any]) -> tuple[int, str]:
    """The completion token count and the finish reason the request gets."""
    limits = [
        body[key]
        for key in ("max_completion_tokens", "max_tokens")
        if isinstance(body.get(key), int) and not isinstance(body.get(key), bool)
    ]
    if any(limit < 0 for limit in limits):
        raise RequestError(400, "max_tokens and max_completion_tokens must not be negative", param="max_tokens")
    tokens = min([config.completion_tokens, *limits])
    return tokens, "length" if tokens < config.completion_tokens else "stop"


def usage(prompt_tokens: int, completion_tokens: int) -> dict[str, int]:
    return {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
    }


def embedding_vector(text: str, dimensions: int) -> list[float]:
    """A deterministic unit-range vector derived from the input text."""
    digest = b""
    counter = 0
    while len(digest) < dimensions * 4:
        digest += hashlib.sha256(f"{counter}:{text}".encode()).digest()
        counter += 1
    raw = struct.unpack(f"<{dimensions}I", digest[: dimensions * 4])
    return [round(value / 0xFFFFFFFF * 2 - 1, 6) for value in raw]


def error_body(status: int, message: str, code: str | None = None, param: str | None = None) -> dict[str, Any]:
    """An error shaped like OpenAI's, so clients map it to the same exception classes."""
    if status == 429:
        kind = "requests"
        code = code or "rate_limit_exceeded"
    elif status >= 500:
        kind = "server_error"
    else:
        kind = "invalid_request_error"
    return {"error": {"message": message, "type": kind, "param": param, "code": code}}


class RequestError(Exception):
    """A client error answered with an OpenAI-shaped body."""

    def __init__(self, status: int, message: str, code: str | None = None, param: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.body = error_body(status, message, code, param)


class UpstreamState:
    """Configuration, fault counter and statistics shared by the handler threads."""

    def __init__(self, config: Config) -> None:
        self._lock = threading.Lock()
        self._initial = config
        self._config = config
        self._eligible = 0
        self._ids = 0
        self._stats: dict[str, Any] = self._empty_stats()

    @staticmethod
    def _empty_stats() -> dict[str, Any]:
        return {"requests_total": 0, "by_status": {}, "by_endpoint": {}, "usage": usage(0, 0)}

    @property
    def config(self) -> Config:
        with self._lock:
            return self._config

    def update_config(self, changes: Mapping[str, Any]) -> Config:
        with self._lock:
            self._config = self._config.updated(changes)
            return self._config

    def reset(self) -> None:
        """Back to the start-up configuration, with the fault counter and statistics cleared."""
        with self._lock:
            self._config = self._initial
            self._eligible = 0
            self._stats = self._empty_stats()

    def next_fault(self) -> int | None:
        with self._lock:
            self._eligible += 1
            if falls_on(self._eligible, self._config.rate_limit_rate):
                return 429
            if falls_on(self._eligible, self._config.error_rate):
                return 500
            return None

    def next_id(self, prefix: str) -> str:
        with self._lock:
            self._ids += 1
            return f"{prefix}-fake-{self._ids}"

    def record(self, endpoint: str, status: int, served: Mapping[str, int] | None = None) -> None:
        with self._lock:
            stats = self._stats
            stats["requests_total"] += 1
            stats["by_status"][str(status)] = stats["by_status"].get(str(status), 0) + 1
            per_endpoint = stats["by_endpoint"].setdefault(endpoint, {})
            per_endpoint[str(status)] = per_endpoint.get(str(status), 0) + 1
            for key, value in (served or {}).items():
                stats["usage"][key] += value

    def stats(self) -> dict[str, Any]:
        with self._lock:
            return json.loads(json.dumps({**self._stats, "fault_counter": self._eligible}))


class FakeUpstreamServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], state: UpstreamState) -> None:
        super().__init__(address, Handler)
        self.state = state

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that hung up mid-request is not a server fault: no traceback for it.
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


def chat_messages(body: Mapping[str, Any]) -> list[Any]:
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise RequestError(400, "'messages' must be a non-empty array", param="messages")
    return messages


def require_model(body: Mapping[str, Any]) -> str:
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise RequestError(400, "'model' must be a non-empty string", param="model")
    return model


class Handler(BaseHTTPRequestHandler):
    server: FakeUpstreamServer
    protocol_version = "HTTP/1.1"
    server_version = "fake-upstream/1"

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_PUT(self) -> None:
        self._dispatch("PUT")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def log_message(self, format: str, *args: Any) -> None:
        sys.stderr.write(f"{self.address_string()} {format % args}\n")

    @property
    def state(self) -> UpstreamState:
        return self.server.state

    def _dispatch(self, method: str) -> None:
        path = route_path(self.path)
        allowed = sorted(route_method for route_method, known in ROUTES if known == path)
        if (method, path) in ROUTES:
            ROUTES[(method, path)](self)
        elif allowed:
            self._send_json(
                405, error_body(405, f"{method} is not allowed on {self.path}"), {"Allow": ", ".join(allowed)}
            )
        else:
            self._send_json(404, error_body(404, f"unknown path {self.path}", code="unknown_url"))

    def _read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY_BYTES:
            raise RequestError(413, f"request body larger than {MAX_BODY_BYTES} bytes")
        return self.rfile.read(length) if length else b""

    def _read_json_object(self) -> dict[str, Any]:
        try:
            body = json.loads(self._read_body() or b"null")
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise RequestError(400, f"request body is not valid JSON: {error}") from None
        if not isinstance(body, dict):
            raise RequestError(400, "request body must be a JSON object")
        return body

    def _send_json(self, status: int, payload: Any, headers: Mapping[str, str] | None = None) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def _start_events(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()

    def _send_event(self, payload: str) -> None:
        data = f"data: {payload}\n\n".encode()
        self.wfile.write(f"{len(data):X}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()

    def _end_events(self) -> None:
        self._send_event("[DONE]")
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def _check_key(self) -> None:
        expected = self.state.config.api_key
        if not expected:
            return
        presented = self.headers.get("Authorization", "").removeprefix("Bearer ").strip() or self.headers.get("api-key")
        if presented != expected:
            raise RequestError(401, "Incorrect API key provided.", code="invalid_api_key")

    def _forced_status(self) -> int | None:
        header = self.headers.get("x-fake-status")
        if header is None:
            return self.state.next_fault()
        try:
            status = int(header)
        except ValueError:
            raise RequestError(400, f"x-fake-status: {header!r} is not an HTTP status") from None
        if status != 200 and not 400 <= status <= 599:
            raise RequestError(400, f"x-fake-status: {status} is neither 200 nor in 400..599")
        return None if status == 200 else status

    def _delay(self) -> None:
        header = self.headers.get("x-fake-latency-ms")
        try:
            latency = (
                self.state.config.latency_ms if header is None else _parse_int("x-fake-latency-ms", header, 0, 600_000)
            )
        except ConfigError as error:
            raise RequestError(400, str(error)) from None
        if latency:
            time.sleep(latency / 1000)

    def _serve_api(self, endpoint: str, respond: Callable[[dict[str, Any]], dict[str, int]]) -> None:
        """Authentication, validation, fault injection and latency shared by every API endpoint."""
        try:
            self._check_key()
            body = self._read_json_object()
            require_model(body)
            if endpoint == "/chat/completions":
                chat_messages(body)
            if endpoint != "/embeddings":
                completion_budget(self.state.config, body)
            fault = self._forced_status()
            self._delay()
        except RequestError as error:
            self.state.record(endpoint, error.status)
            self._send_json(error.status, error.body)
            return
        if fault is not None:
            self.state.record(endpoint, fault)
            self._send_json(fault, error_body(fault, f"{status_phrase(fault)} (injected by fake-upstream)"))
            return
        try:
            served = respond(body)
        except RequestError as error:
            self.state.record(endpoint, error.status)
            self._send_json(error.status, error.body)
            return
        except (BrokenPipeError, ConnectionResetError):
            self.state.record(endpoint, 499)
            self.close_connection = True
            return
        self.state.record(endpoint, 200, served)

    def chat_completions(self) -> None:
        self._serve_api("/chat/completions", self._chat_reply)

    def completions(self) -> None:
        self._serve_api("/completions", self._text_reply)

    def embeddings(self) -> None:
        self._serve_api("/embeddings", self._embedding_reply)

    def _chat_reply(self, body: dict[str, Any]) -> dict[str, int]:
        config = self.state.config
        tokens, finish_reason = completion_budget(config, body)
        counted = usage(message_words(chat_messages(body)), tokens)
        words = reply_words(tokens)
        head = {
            "id": self.state.next_id("chatcmpl"),
            "created": int(time.time()),
            "model": body["model"],
            "system_fingerprint": SYSTEM_FINGERPRINT,
        }
        if not body.get("stream"):
            choice = {
                "index": 0,
                "message": {"role": "assistant", "content": " ".join(words), "refusal": None},
                "logprobs": None,
                "finish_reason": finish_reason,
            }
            self._send_json(200, {**head, "object": "chat.completion", "choices": [choice], "usage": counted})
            return counted
        deltas = [{"role": "assistant", "content": ""}, *({"content": text} for text in spaced(words)), {}]
        self._stream(
            {**head, "object": "chat.completion.chunk"},
            [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": None} for delta in deltas],
            finish_reason,
            counted if include_usage(body) else None,
        )
        return counted

    def _text_reply(self, body: dict[str, Any]) -> dict[str, int]:
        config = self.state.config
        tokens, finish_reason = completion_budget(config, body)
        counted = usage(input_tokens(body.get("prompt", "")), tokens)
        words = reply_words(tokens)
        head = {"id": self.state.next_id("cmpl"), "object": "text_completion", "created": int(time.time())}
        head["model"] = body["model"]
        if not body.get("stream"):
            choice = {"text": " ".join(words), "index": 0, "logprobs": None, "finish_reason": finish_reason}
            self._send_json(200, {**head, "choices": [choice], "usage": counted})
            return counted
        self._stream(
            head,
            [{"text": text, "index": 0, "logprobs": None, "finish_reason": None} for text in [*spaced(words), ""]],
            finish_reason,
            counted if include_usage(body) else None,
        )
        return counted

    def _stream(
        self, head: dict[str, Any], choices: list[dict[str, Any]], finish_reason: str, counted: dict[str, int] | None
    ) -> None:
        """Server-sent events: one chunk per choice (the last carries the finish reason), the usage chunk when
        asked, then [DONE]."""
        extra = {"usage": None} if counted is not None else {}
        choices[-1] = {**choices[-1], "finish_reason": finish_reason}
        self._start_events()
        for choice in choices:
            self._send_event(json.dumps({**head, "choices": [choice], **extra}))
        if counted is not None:
            self._send_event(json.dumps({**head, "choices": [], "usage": counted}))
        self._end_events()

    def _embedding_reply(self, body: dict[str, Any]) -> dict[str, int]:
        raw = body.get("input")
        if raw is None or raw in ([], ""):
            raise RequestError(400, "'input' must be a non-empty string or array", param="input")
        items = list(embedding_inputs(raw))
        dimensions = body.get("dimensions", self.state.config.embedding_dimensions)
        try:
            dimensions = _parse_int("dimensions", dimensions, 1, 4096)
        except ConfigError as error:
            raise RequestError(400, str(error), param="dimensions") from None
        encoding = body.get("encoding_format", "float")
        if encoding not in ("float", "base64"):
            raise RequestError(400, "'encoding_format' must be 'float' or 'base64'", param="encoding_format")
        data = [
            {
                "object": "embedding",
                "index": index,
                "embedding": encode_vector(embedding_vector(text, dimensions), encoding),
            }
            for index, text in enumerate(items)
        ]
        prompt_tokens = input_tokens(raw)
        reported = {"prompt_tokens": prompt_tokens, "total_tokens": prompt_tokens}
        self._send_json(200, {"object": "list", "data": data, "model": body["model"], "usage": reported})
        return usage(prompt_tokens, 0)

    def health(self) -> None:
        self._send_json(200, {"status": "ok"})

    def models(self) -> None:
        try:
            self._check_key()
        except RequestError as error:
            self._send_json(error.status, error.body)
            return
        data = [
            {"id": name, "object": "model", "created": 0, "owned_by": "fake-upstream"}
            for name in self.state.config.models
        ]
        self._send_json(200, {"object": "list", "data": data})

    def admin_config(self) -> None:
        self._send_json(200, self.state.config.public())

    def admin_update_config(self) -> None:
        try:
            config = self.state.update_config(self._read_json_object())
        except RequestError as error:
            self._send_json(error.status, error.body)
            return
        except ConfigError as error:
            self._send_json(400, error_body(400, str(error), param=str(error).split(":", 1)[0]))
            return
        self._send_json(200, config.public())

    def admin_stats(self) -> None:
        self._send_json(200, self.state.stats())

    def admin_reset(self) -> None:
        self._read_body()
        self.state.reset()
        self._send_json(200, {"reset": True, "config": self.state.config.public()})


def spaced(words: list[str]) -> Iterator[str]:
    """Stream pieces whose concatenation is the words joined by single spaces."""
    for index, word in enumerate(words):
        yield word if index == 0 else f" {word}"


def include_usage(body: Mapping[str, Any]) -> bool:
    options = body.get("stream_options")
    return isinstance(options, dict) and bool(options.get("include_usage"))


def embedding_inputs(raw: Any) -> Iterator[str]:
    """One text per embedding: a string, each string of a list, or each token-id list rendered as text."""
    if isinstance(raw, str):
        yield raw
    elif isinstance(raw, list) and all(isinstance(item, int) for item in raw):
        yield " ".join(map(str, raw))
    elif isinstance(raw, list):
        for item in raw:
            yield from embedding_inputs(item)


def encode_vector(vector: list[float], encoding: str) -> list[float] | str:
    if encoding == "base64":
        return base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode()
    return vector


def route_path(raw: str) -> str:
    """The routing key of a request path: no query, no trailing slash, API paths without their /v1 prefix."""
    path = urlsplit(raw).path.rstrip("/") or "/"
    return path.removeprefix("/v1") if path.startswith("/v1/") else path


def status_phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return f"HTTP {status}"


ROUTES: dict[tuple[str, str], Callable[[Handler], None]] = {
    ("POST", "/chat/completions"): Handler.chat_completions,
    ("POST", "/completions"): Handler.completions,
    ("POST", "/embeddings"): Handler.embeddings,
    ("GET", "/models"): Handler.models,
    ("GET", "/health"): Handler.health,
    ("GET", "/_admin/config"): Handler.admin_config,
    ("PUT", "/_admin/config"): Handler.admin_update_config,
    ("GET", "/_admin/stats"): Handler.admin_stats,
    ("POST", "/_admin/reset"): Handler.admin_reset,
}


def make_server(host: str, port: int, config: Config) -> FakeUpstreamServer:
    return FakeUpstreamServer((host, port), UpstreamState(config))


def main() -> int:
    try:
        config = config_from_env(os.environ)
        port = _parse_int("FAKE_UPSTREAM_PORT", os.environ.get("FAKE_UPSTREAM_PORT", "8080"), 0, 65535)
    except ConfigError as error:
        sys.stderr.write(f"fake-upstream: {error}\n")
        return 2
    server = make_server(os.environ.get("FAKE_UPSTREAM_HOST", "127.0.0.1"), port, config)
    # PID 1 in a container ignores SIGTERM unless a handler is installed.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    sys.stderr.write(f"fake-upstream listening on {server.server_address[0]}:{server.server_address[1]}\n")
    try:
        server.serve_forever()
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
