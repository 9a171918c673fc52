"""The three error body shapes the LiteLLM management API answers with.

1. ``ProxyException`` -> ``{"error": {"message", "type", "param", "code"}}``
   (proxy/_types.py: ProxyException.to_dict, proxy_server.py: openai_exception_handler).
2. ``HTTPException`` caught by an endpoint and re-raised through
   ``handle_exception_on_proxy`` (proxy/utils.py): the same shape, with ``message`` being
   ``str(detail)``, so a ``{"error": "..."}`` detail arrives as its Python repr.
3. ``HTTPException`` that escapes an endpoint without a ``try`` (the budget endpoints,
   ``/team/delete``, ``/team/member_*``): FastAPI's ``{"detail": ...}``.

Any other exception escaping such an endpoint (a database error) is a bare ``500 Internal
Server Error`` in text/plain (``PlainText``).
"""

from __future__ import annotations

from typing import Any


class PlainText(str):
    """A body sent as ``text/plain``, as Starlette answers an exception no handler caught
    (``Internal Server Error``)."""


class ApiError(Exception):
    """An HTTP error answer: status and JSON body."""

    def __init__(self, status: int, body: Any) -> None:
        super().__init__(status, body)
        self.status = status
        self.body = body


def proxy_exception(status: int, message: str, error_type: str, param: str | None) -> ApiError:
    return ApiError(status, {"error": {"message": message, "type": error_type, "param": param, "code": str(status)}})


def handled_http_exception(
    status: int, detail: Any, error_type: str = "internal_server_error", param: str | None = None
) -> ApiError:
    """An ``HTTPException(detail=...)`` converted to a ProxyException by the endpoint's ``except``."""
    return proxy_exception(status, str(detail), error_type, param)


def raw_http_exception(status: int, detail: Any) -> ApiError:
    """An ``HTTPException`` FastAPI renders itself."""
    return ApiError(status, {"detail": detail})
