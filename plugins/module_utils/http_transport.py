# -*- coding: utf-8 -*-
# Copyright: (c) 2026, llmops maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one HTTP transport of the collection's API clients (LiteLLM and Grafana).

Built on ``ansible.module_utils.urls``: a single ``Request`` (and TLS context) per client, a
timeout on every call, certificate validation (optionally against a CA file), JSON bodies
both ways, and errors that name the method, the URL and, when the server answered, the HTTP
status and an excerpt of what it said, with the credentials masked. An answer that is not JSON,
such as the login page of a single-sign-on proxy returned with 200, is an error naming the URL
and its content type, never a traceback.

With a ``RetryPolicy``, idempotent requests (GET, HEAD, or a read sent as a POST and flagged
``idempotent``) are sent again after a transient failure: HTTP 500, 502, 503 or 504, a timeout,
or a connection error, with a backoff that doubles (1 s, 2 s, 4 s by default) and a cap on the
total time. A write is never repeated here: the caller (which can re-read the object) decides,
using what the error says about the request: ``reached`` is False only when it provably never
got to the server (connection refused, name not resolved), ``outcome_unknown`` is True when it
may have been applied (a timeout, a dropped connection, a gateway's 502/503/504).
"""

from __future__ import annotations

import errno
import http.client
import json
import re
import socket
import ssl
import time
from typing import Any, Callable, Dict, Iterable, Iterator, Mapping, NamedTuple, Optional, Sequence, Tuple
from urllib.error import HTTPError, URLError

from ansible.module_utils.common.text.converters import to_text
from ansible.module_utils.urls import ConnectionError as UrlsConnectionError
from ansible.module_utils.urls import Request, make_context

USER_AGENT = "llmops.litellm"
EXCERPT_LENGTH = 300
MASK = "********"

# Statuses worth asking again: a proxy or gateway in front of the API (502, 504), the API itself
# briefly unavailable (503: LiteLLM answers it when its database is unreachable), and for reads
# only, an internal error (500), which a write must not be repeated on (it may have half-happened).
RETRY_STATUSES = frozenset([502, 503, 504])
RETRY_READ_STATUSES = RETRY_STATUSES | frozenset([500])
IDEMPOTENT_METHODS = frozenset(["GET", "HEAD", "OPTIONS"])
# Connection errors that happen before a byte of the request is sent.
NOT_SENT_ERRNOS = frozenset([errno.ECONNREFUSED, errno.EHOSTUNREACH, errno.ENETUNREACH, errno.EADDRNOTAVAIL])


class APIError(Exception):
    """A failure a module reports as it is: ``message`` names the URL or the field at fault.

    ``details()`` is the machine-readable side of a failed HTTP exchange (method, URL, status,
    body excerpt), returned as ``error`` next to ``msg``; None when no request was involved.
    """

    def __init__(
        self,
        message: str,
        *,
        method: Optional[str] = None,
        url: Optional[str] = None,
        status: Optional[int] = None,
        body: Optional[str] = None,
        reason: Optional[str] = None,
        reached: Optional[bool] = None,
        transient: bool = False,
        attempts: int = 1,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.method = method
        self.url = url
        self.status = status
        self.body = body
        # Why no answer came (connection refused, timeout, TLS), for callers that phrase it themselves.
        self.reason = reason or message
        # True: the server answered; False: the request provably never reached it; None: unknown.
        self.reached = True if status is not None and reached is None else reached
        # Asking again may succeed (timeout, connection error, 502/503/504, 500 for a read).
        self.transient = transient
        # How many times the request was sent before this error.
        self.attempts = attempts

    @property
    def outcome_unknown(self) -> bool:
        """A write that failed this way may or may not have been applied: re-read before repeating it."""
        return self.transient and self.reached is not False

    def __str__(self) -> str:
        return self.message

    def details(self) -> Optional[Dict[str, Any]]:
        if self.url is None:
            return None
        details = {"method": self.method, "url": self.url}  # type: Dict[str, Any]
        if self.status is not None:
            details["status"] = self.status
        if self.body:
            details["body"] = self.body
        return details


class Answer(NamedTuple):
    """What the server sent back, whatever its status."""

    method: str
    url: str
    final_url: str
    status: int
    content_type: str
    raw: bytes
    attempts: int = 1


def status_message(answer: Answer, detail: str, hint: str = "") -> str:
    """The one wording of an HTTP error status: ``GET <url> returned HTTP 404: <detail>. <hint>``."""
    text = "%s %s returned HTTP %s: %s." % (answer.method, answer.url, answer.status, detail.rstrip(". "))
    if answer.attempts > 1:
        text += " Gave up after %s attempts." % answer.attempts
    return text + (" " + hint if hint else "")


def gave_up(message: str, attempts: int) -> str:
    """``message`` saying how many times the request was sent."""
    message = message.rstrip()
    return "%s%s Gave up after %s attempts." % (message, "" if message.endswith(".") else ".", attempts)


class RetryPolicy:
    """How often, and after how long, a request that failed transiently is sent again.

    ``retries`` more attempts after the first, waiting ``delay`` seconds before the first retry and
    twice as long before each next one, never past ``cap`` seconds after the first attempt started.
    ``sleep`` and ``clock`` are injectable so tests need not wait.
    """

    def __init__(
        self,
        retries: int = 3,
        delay: float = 1.0,
        cap: float = 60.0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.retries = max(0, int(retries))
        self.delay = max(0.0, float(delay))
        self.cap = float(cap)
        self.sleep = sleep
        self.clock = clock

    def delays(self) -> Iterator[float]:
        """The waits before each retry; the iteration stops when retries or time run out."""
        start = self.clock()
        delay = self.delay
        for _attempt in range(self.retries):
            if self.clock() - start + delay > self.cap:
                return
            yield delay
            delay *= 2


NO_RETRY = RetryPolicy(retries=0)


class HttpTransport:
    """JSON over HTTP(S) for one API: same headers, timeout and TLS settings on every call.

    ``service`` names the API in messages (``Cannot reach LiteLLM at ...``); ``location_hint``
    names the option that holds its address; ``secrets`` are values never to show in an
    excerpt (credentials), ``masks`` extra ``(pattern, replacement)`` pairs for what the API
    itself echoes.
    """

    def __init__(
        self,
        service: str,
        *,
        error_class: type = APIError,
        timeout: int = 30,
        validate_certs: bool = True,
        ca_path: Optional[str] = None,
        headers: Optional[Mapping[str, str]] = None,
        secrets: Iterable[Optional[str]] = (),
        masks: Sequence[Tuple[Any, str]] = (),
        location_hint: str = "",
        retry: Optional[RetryPolicy] = None,
    ) -> None:
        self.service = service
        self.retry = retry or NO_RETRY
        self.error_class = error_class
        self.timeout = timeout
        self.validate_certs = validate_certs
        self.headers = dict(headers or {})
        self.location_hint = location_hint
        self._secrets = sorted({value for value in secrets if value}, key=len, reverse=True)
        self._masks = list(masks)
        # Building a TLS context loads the CA store (~30 ms); open_url would do it on every call,
        # which dominates a reconcile of hundreds of objects, so one context serves the whole run.
        self._request = Request(
            validate_certs=validate_certs,
            timeout=timeout,
            http_agent=USER_AGENT,
            # Redirects are followed for GET and HEAD only: a redirected write must not become a GET.
            follow_redirects="safe",
            ca_path=ca_path,
            context=make_context(cafile=ca_path, validate_certs=validate_certs),
        )

    # Sending ------------------------------------------------------------------------------

    def send(
        self,
        method: str,
        url: str,
        body: Any = None,
        headers: Optional[Mapping[str, str]] = None,
        idempotent: Optional[bool] = None,
    ) -> Answer:
        """One request; any HTTP status is returned. Only a request without an answer raises.

        An idempotent request (GET and HEAD unless ``idempotent`` says otherwise) is sent again,
        as the retry policy allows, after a 500/502/503/504 or a failure without an answer; the
        last answer (or error) is what the caller gets, with the number of attempts.
        """
        if idempotent is None:
            idempotent = method.upper() in IDEMPOTENT_METHODS
        delays = self.retry.delays() if idempotent else iter(())
        attempts = 0
        while True:
            attempts += 1
            try:
                answer = self._send_once(method, url, body, headers)
            except APIError as exc:
                exc.attempts = attempts
                delay = next(delays, None) if exc.transient else None
                if delay is None:
                    if attempts > 1:
                        exc.message = gave_up(exc.message, attempts)
                    raise
                self.retry.sleep(delay)
                continue
            if answer.status in RETRY_READ_STATUSES:
                delay = next(delays, None)
                if delay is not None:
                    self.retry.sleep(delay)
                    continue
            return answer._replace(attempts=attempts)

    def _send_once(self, method: str, url: str, body: Any, headers: Optional[Mapping[str, str]]) -> Answer:
        merged = {"Accept": "application/json"}
        merged.update(self.headers)
        merged.update(headers or {})
        data = None
        if body is not None:
            data = json.dumps(body)
            merged["Content-Type"] = "application/json"
        try:
            response = self._request.open(method, url, data=data, headers=merged)
            return self._answer(method, url, response, response.read())
        except HTTPError as exc:
            return self._answer(method, url, exc, _read_error_body(exc))
        except URLError as exc:
            if isinstance(exc.reason, (socket.timeout, TimeoutError)):
                raise self._timed_out(method, url, exc.reason) from None
            raise self._unreachable(method, url, to_text(exc.reason), exc.reason) from None
        except (socket.timeout, TimeoutError) as exc:
            raise self._timed_out(method, url, exc) from None
        except (OSError, UrlsConnectionError, http.client.HTTPException, ValueError) as exc:
            raise self._unreachable(method, url, to_text(exc) or type(exc).__name__, exc) from None

    def _timed_out(self, method: str, url: str, exc: BaseException) -> APIError:
        reason = "timed out after %ss: %s" % (self.timeout, to_text(exc))
        return self.error_class(
            "Timed out after %ss waiting for %s at %s: %s" % (self.timeout, self.service, url, to_text(exc)),
            method=method,
            url=url,
            reason=reason,
            transient=True,
        )

    def _answer(self, method: str, url: str, response: Any, raw: bytes) -> Answer:
        headers = getattr(response, "headers", None)
        content_type = (headers.get("Content-Type") if headers is not None else None) or ""
        final_url = response.geturl() if hasattr(response, "geturl") else url
        status = getattr(response, "status", None) or getattr(response, "code", None) or 0
        return Answer(method, url, final_url or url, int(status), content_type, raw or b"")

    def _unreachable(self, method: str, url: str, reason: str, cause: Any = None) -> APIError:
        hint = self.location_hint
        tls = isinstance(cause, (ssl.SSLError, ssl.CertificateError)) or "CERTIFICATE_VERIFY_FAILED" in reason
        if tls or "SSL" in reason:
            hint = "Check the server's certificate (or set validate_certs: false)."
        message = "Cannot reach %s at %s: %s." % (self.service, url, reason.rstrip("."))
        return self.error_class(
            message + (" " + hint if hint else ""),
            method=method,
            url=url,
            reason=reason,
            reached=False if _not_sent(cause) else None,
            # A certificate or a malformed URL does not get better by asking again.
            transient=not tls and not isinstance(cause, ValueError),
        )

    # Reading ------------------------------------------------------------------------------

    def decode(self, answer: Answer) -> Any:
        """The JSON document of a successful answer (None for an empty body)."""
        if not answer.raw.strip():
            return None
        try:
            return json.loads(to_text(answer.raw, errors="surrogate_or_replace"))
        except ValueError:
            pass
        where = answer.url
        if answer.final_url != answer.url:
            where = "%s (redirected to %s)" % (answer.url, answer.final_url)
        message = "%s %s answered HTTP %s with a body that is not JSON (Content-Type: %s)" % (
            answer.method,
            where,
            answer.status,
            answer.content_type or "none",
        )
        if "html" in answer.content_type.lower():
            message += ", probably a login page or a proxy in front of %s" % self.service
        if self.location_hint:
            message += ". " + self.location_hint
        excerpt = self.excerpt(answer.raw)
        raise self.error_class(
            "%s. Body: %s" % (message.rstrip("."), excerpt),
            method=answer.method,
            url=answer.url,
            status=answer.status,
            body=excerpt,
        )

    def text(self, answer: Answer) -> str:
        return to_text(answer.raw, errors="surrogate_or_replace")

    def scrub(self, text: str) -> str:
        """``text`` with the credentials and whatever the API echoes of them masked."""
        for secret in self._secrets:
            text = text.replace(secret, MASK)
        for pattern, replacement in self._masks:
            text = re.sub(pattern, replacement, text)
        return text

    def excerpt(self, raw: Any) -> str:
        """The start of a body, on one line, credentials masked."""
        text = raw if isinstance(raw, str) else to_text(raw or b"", errors="surrogate_or_replace")
        text = self.scrub(" ".join(text.split()))
        if len(text) > EXCERPT_LENGTH:
            text = text[: EXCERPT_LENGTH - 3] + "..."
        return text


def _not_sent(cause: Any) -> bool:
    """True when the error happened before the request left (refused, unroutable, name unknown)."""
    if isinstance(cause, socket.gaierror):
        return True
    return isinstance(cause, OSError) and (
        isinstance(cause, ConnectionRefusedError) or getattr(cause, "errno", None) in NOT_SENT_ERRNOS
    )


def _read_error_body(exc: HTTPError) -> bytes:
    try:
        if exc.fp is None:
            return b""
        return exc.read() or b""
    except (OSError, AttributeError, http.client.HTTPException):
        return b""
