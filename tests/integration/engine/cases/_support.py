"""Shared plumbing for the engine stand-in's live cases (not a test module itself).

The cases drive prisma-client-py 0.15.0 exactly the way LiteLLM 1.106.12 does, against the
engine named by PRISMA_QUERY_ENGINE_BINARY and the database named by DATABASE_URL. Only the
standard library and the packages LiteLLM's image carries (prisma, its generated client) are
used, so the cases run inside the LiteLLM stand-in image with ``python -m unittest``.

Every row a case writes carries an id from ``uid()`` (unique per process and per call) and is
deleted again by the case's cleanups, so the suite can run any number of times against the
same database, next to a live proxy.

One prisma client (one engine process) is shared by the tests of a module, the way one LiteLLM
worker shares one client for its whole life: ``EngineTestCase`` keeps one event loop per module
instead of one per test so the client's HTTP session stays usable across tests. This also means
an engine that is left broken by an earlier error (a poisoned connection, a transaction left
open) fails the later tests of the module, as it would fail a long-running proxy. Tests that
need more engines (two workers, other pool settings) start them with ``connect_extra_client``.
"""

from __future__ import annotations

import asyncio
import atexit
import hashlib
import inspect
import json
import logging
import os
import re
import unittest
import uuid
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime, timezone
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import prisma
import prisma.errors
from prisma import Prisma

if os.environ.get("PRISMA_PY_DEBUG"):
    # prisma-client-py logs every request body (the GraphQL it sends) and answer at DEBUG
    logging.basicConfig(level=logging.DEBUG, format="%(asctime)s %(name)s %(message)s")
    for noisy in ("asyncio", "httpcore", "httpx"):
        logging.getLogger(noisy).setLevel(logging.WARNING)

RUN_ID = uuid.uuid4().hex[:8]
CASE_TIMEOUT_SECONDS = float(os.environ.get("ENGINE_CASE_TIMEOUT_SECONDS", "60"))


def uid(kind: str = "row") -> str:
    """A fresh id for one row: ``qe-<run>-<kind>-<random>``."""
    return f"qe-{RUN_ID}-{kind}-{uuid.uuid4().hex[:12]}"


def database_url(**params: object) -> str:
    """DATABASE_URL, with Prisma URL parameters (connection_limit, pool_timeout...) added the way
    litellm/proxy/proxy_cli.py _build_db_connection_url_params appends them."""
    url = os.environ["DATABASE_URL"]
    if not params:
        return url
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    query.update({k: str(v) for k, v in params.items()})
    return urlunsplit(parts._replace(query=urlencode(query)))


def new_client(**url_params: object) -> Prisma:
    """A client built the way the cases are specified to build it (one engine process each)."""
    return Prisma(datasource={"url": database_url(**url_params)})


def hash_token(token: str) -> str:
    """litellm/proxy/utils.py PrismaClient.hash_token."""
    return hashlib.sha256(token.encode()).hexdigest()


def jsonify_object(data: Mapping[str, object]) -> dict[str, object]:
    """litellm/proxy/utils.py PrismaClient.jsonify_object: every dict value is json.dumps'd
    before it reaches prisma (Json columns receive JSON text, never prisma.Json)."""
    db_data = dict(data)
    for k, v in db_data.items():
        if isinstance(v, dict):
            db_data[k] = json.dumps(v)
    return db_data


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


def as_utc(value: datetime) -> datetime:
    """periodic_reload_schedule._as_utc: naive datetimes read back are UTC."""
    return value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)


# --- LiteLLM's error classification (litellm/proxy/db/exception_handler.py), copied so the
# cases assert that the errors the engine produces are classified the way LiteLLM needs. ---

_BATCH_POSTGRES_ERROR_CODE = re.compile(r'PostgresError \{ code: "([0-9A-Z]{5})"')


def postgres_sqlstate(e: BaseException) -> str | None:
    """PrismaDBExceptionHandler.postgres_sqlstate."""
    if not isinstance(e, prisma.errors.DataError):
        return None
    meta = getattr(e, "meta", None)
    if isinstance(meta, dict):
        code = meta.get("code")
        if isinstance(code, str):
            return code
    match = _BATCH_POSTGRES_ERROR_CODE.search(str(e))
    return match.group(1) if match is not None else None


def is_lock_timeout_error(e: BaseException) -> bool:
    """PrismaDBExceptionHandler.is_lock_timeout_error (SQLSTATE 55P03)."""
    if not isinstance(e, prisma.errors.PrismaError):
        return False
    if postgres_sqlstate(e) == "55P03":
        return True
    return "canceling statement due to lock timeout" in str(e).lower()


def is_deadlock_error(e: BaseException) -> bool:
    """PrismaDBExceptionHandler.is_deadlock_error (P2034 / 40P01)."""
    if not isinstance(e, prisma.errors.PrismaError):
        return False
    if getattr(e, "code", None) == "P2034":
        return True
    message = str(e).lower()
    return "deadlock detected" in message or "40p01" in message or "write conflict or a deadlock" in message


_HAS_RUNNER_HOOKS = hasattr(unittest.IsolatedAsyncioTestCase, "_setupAsyncioRunner") and hasattr(
    unittest.IsolatedAsyncioTestCase, "_tearDownAsyncioRunner"
)


class _Shared:
    """The event loop and the connected client the tests of one case module share."""

    def __init__(self) -> None:
        self.runner = asyncio.Runner(debug=False)
        self.db: Prisma | None = None


_SHARED: dict[str, _Shared] = {}


def _shared_for(module: str) -> _Shared:
    shared = _SHARED.get(module)
    if shared is None:
        shared = _SHARED[module] = _Shared()
    return shared


def close_shared_client() -> None:
    """Every case module's ``tearDownModule``: disconnect the module's client (its engine
    process exits) and close its event loop."""
    while _SHARED:
        _unused, shared = _SHARED.popitem()
        try:
            if shared.db is not None and shared.db.is_connected():
                shared.runner.run(shared.db.disconnect())
        finally:
            shared.runner.close()


atexit.register(close_shared_client)  # a module run without its tearDownModule


class EngineTestCase(unittest.IsolatedAsyncioTestCase):
    """Base class: ``self.db`` is a connected client shared by the tests of the module.

    Each case module sets ``tearDownModule = close_shared_client``. Each test registers the
    deletion of the rows it creates with ``self.cleanup_where`` (or ``addAsyncCleanup``) right
    after creating them; cleanups run in reverse order, so children registered after their
    parents are deleted first.
    """

    db: Prisma
    maxDiff = None

    # -- one event loop (and so one client) per module -------------------------------------
    if _HAS_RUNNER_HOOKS:

        def _setupAsyncioRunner(self) -> None:  # noqa: N802 - unittest's name
            self._asyncioRunner = _shared_for(type(self).__module__).runner

        def _tearDownAsyncioRunner(self) -> None:  # noqa: N802 - unittest's name
            # closed by close_shared_client, after the shared client is disconnected
            pass

        def __del__(self) -> None:
            pass

        def _callAsync(self, func, /, *args, **kwargs):  # noqa: N802 - unittest's name
            return super()._callAsync(self._bounded, func, *args, **kwargs)

        def _callMaybeAsync(self, func, /, *args, **kwargs):  # noqa: N802 - unittest's name
            if inspect.iscoroutinefunction(func):
                return super()._callMaybeAsync(self._bounded, func, *args, **kwargs)
            return super()._callMaybeAsync(func, *args, **kwargs)

        async def _bounded(self, func, /, *args, **kwargs):
            # a hung engine must fail the test, not hang the suite
            return await asyncio.wait_for(func(*args, **kwargs), CASE_TIMEOUT_SECONDS)

    async def asyncSetUp(self) -> None:
        if not _HAS_RUNNER_HOOKS:
            client = new_client()
            await client.connect()
            self.addAsyncCleanup(client.disconnect)
            self.db = client
            return
        shared = _shared_for(type(self).__module__)
        if shared.db is None or not shared.db.is_connected():
            client = new_client()
            await client.connect()  # a failed start is retried by the next test
            shared.db = client
        self.db = shared.db

    # -- helpers ---------------------------------------------------------------------------
    async def connect_extra_client(self, **url_params: object) -> Prisma:
        """A second client, i.e. a second engine process (another LiteLLM worker)."""
        client = new_client(**url_params)
        await client.connect()
        self.addAsyncCleanup(client.disconnect)
        return client

    def cleanup_where(self, table: str, where: Mapping[str, Any]) -> None:
        """Delete the rows of ``db.<table>`` matching ``where`` when the test ends."""

        async def _delete() -> None:
            await getattr(self.db, table).delete_many(where=dict(where))

        self.addAsyncCleanup(_delete)

    def cleanup_call(self, factory: Callable[[], Awaitable[object]]) -> None:
        async def _run() -> None:
            await factory()

        self.addAsyncCleanup(_run)

    async def make_budget(self, **fields: Any):
        """A LiteLLM_BudgetTable row the way budget/org endpoints create one
        (BudgetRepository.create / organization_endpoints.new_organization)."""
        data: dict[str, Any] = {"budget_id": uid("budget"), "created_by": "qe", "updated_by": "qe", **fields}
        row = await self.db.litellm_budgettable.create(data=data)
        self.cleanup_where("litellm_budgettable", {"budget_id": row.budget_id})
        return row

    async def make_org(self, budget_id: str, **fields: Any):
        data: dict[str, Any] = {
            "organization_id": uid("org"),
            "organization_alias": uid("org-alias"),
            "budget_id": budget_id,
            "models": [],
            "created_by": "qe",
            "updated_by": "qe",
            **fields,
        }
        row = await self.db.litellm_organizationtable.create(data=data)
        self.cleanup_where("litellm_organizationtable", {"organization_id": row.organization_id})
        return row

    async def make_user(self, **fields: Any):
        data: dict[str, Any] = {"user_id": uid("user"), "models": [], **fields}
        row = await self.db.litellm_usertable.create(data=jsonify_object(data))
        self.cleanup_where("litellm_usertable", {"user_id": row.user_id})
        return row

    async def make_team(self, **fields: Any):
        data: dict[str, Any] = {"team_id": uid("team"), "admins": [], "members": [], "models": [], **fields}
        row = await self.db.litellm_teamtable.create(data=jsonify_object(data))
        self.cleanup_where("litellm_teamtable", {"team_id": row.team_id})
        return row

    async def make_key(self, **fields: Any):
        """A LiteLLM_VerificationToken row; returns (row, plaintext key)."""
        plaintext = "sk-" + uuid.uuid4().hex
        data: dict[str, Any] = {"token": hash_token(plaintext), "key_alias": uid("alias"), "models": [], **fields}
        row = await self.db.litellm_verificationtoken.create(data=jsonify_object(data))
        self.cleanup_where("litellm_verificationtoken", {"token": row.token})
        return row, plaintext
