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
"""

from __future__ import annotations

import http.client
import json
import re
import socket
from typing import Any, Dict, Iterable, Mapping, NamedTuple, Optional, Sequence, Tuple
from urllib.error import HTTPError, URLError

from ansible.module_utils.common.text.converters import to_text
from ansible.module_utils.urls import ConnectionError as UrlsConnectionError
from ansible.module_utils.urls import Request, make_context

USER_AGENT = "llmops.litellm"
EXCERPT_LENGTH = 300
MASK = "********"


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
    ) -> None:
        super().__init__(message)
        self.message = message
        self.method = method
        self.url = url
        self.status = status
        self.body = body
        # Why no answer came (connection refused, timeout, TLS), for callers that phrase it themselves.
        self.reason = reason or message

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


def status_message(answer: Answer, detail: str, hint: str = "") -> str:
    """The one wording of an HTTP error status: ``GET <url> returned HTTP 404: <detail>. <hint>``."""
    text = "%s %s returned HTTP %s: %s." % (answer.method, answer.url, answer.status, detail.rstrip(". "))
    return text + (" " + hint if hint else "")


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
    ) -> None:
        self.service = service
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

    def send(self, method: str, url: str, body: Any = None, headers: Optional[Mapping[str, str]] = None) -> Answer:
        """One request; any HTTP status is returned. Only a request without an answer raises."""
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
            raise self._unreachable(method, url, to_text(exc.reason)) from None
        except (socket.timeout, TimeoutError) as exc:
            reason = "timed out after %ss: %s" % (self.timeout, to_text(exc))
            raise self.error_class(
                "Timed out after %ss waiting for %s at %s: %s" % (self.timeout, self.service, url, to_text(exc)),
                method=method,
                url=url,
                reason=reason,
            ) from None
        except (OSError, UrlsConnectionError, http.client.HTTPException, ValueError) as exc:
            raise self._unreachable(method, url, to_text(exc) or type(exc).__name__) from None

    def _answer(self, method: str, url: str, response: Any, raw: bytes) -> Answer:
        headers = getattr(response, "headers", None)
        content_type = (headers.get("Content-Type") if headers is not None else None) or ""
        final_url = response.geturl() if hasattr(response, "geturl") else url
        status = getattr(response, "status", None) or getattr(response, "code", None) or 0
        return Answer(method, url, final_url or url, int(status), content_type, raw or b"")

    def _unreachable(self, method: str, url: str, reason: str) -> APIError:
        hint = self.location_hint
        if "CERTIFICATE_VERIFY_FAILED" in reason or "SSL" in reason:
            hint = "Check the server's certificate (or set validate_certs: false)."
        message = "Cannot reach %s at %s: %s." % (self.service, url, reason.rstrip("."))
        return self.error_class(message + (" " + hint if hint else ""), method=method, url=url, reason=reason)

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


def _read_error_body(exc: HTTPError) -> bytes:
    try:
        if exc.fp is None:
            return b""
        return exc.read() or b""
    except (OSError, AttributeError, http.client.HTTPException):
        return b""
