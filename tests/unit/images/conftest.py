"""Load the stand-in test services from the images role and serve them on 127.0.0.1 ephemeral ports."""

from __future__ import annotations

import importlib.util
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

APPS = Path(__file__).resolve().parents[3] / "roles" / "images" / "files"


def load_app(folder: str, module: str) -> ModuleType:
    if module in sys.modules:
        return sys.modules[module]
    spec = importlib.util.spec_from_file_location(module, APPS / folder / f"{module}.py")
    assert spec is not None and spec.loader is not None
    loaded = importlib.util.module_from_spec(spec)
    # dataclasses resolve their module through sys.modules.
    sys.modules[module] = loaded
    # No __pycache__ in the role's files: they are build contexts.
    writes_bytecode = sys.dont_write_bytecode
    sys.dont_write_bytecode = True
    try:
        spec.loader.exec_module(loaded)
    finally:
        sys.dont_write_bytecode = writes_bytecode
    return loaded


@pytest.fixture(scope="session")
def fake_upstream() -> ModuleType:
    return load_app("fake-upstream", "fake_upstream")


@pytest.fixture(scope="session")
def slack_receiver() -> ModuleType:
    return load_app("slack-receiver", "slack_receiver")


@pytest.fixture
def serve() -> Iterator[Callable[[Any], str]]:
    """Start a server in a thread; returns its base URL. Every server started is shut down afterwards."""
    running: list[tuple[Any, threading.Thread]] = []

    def start(server: Any) -> str:
        # A short poll keeps shutdown() quick at teardown.
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        thread.start()
        running.append((server, thread))
        host, port = server.server_address[:2]
        return f"http://{host}:{port}"

    yield start
    for server, thread in running:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def upstream_url(fake_upstream: ModuleType, serve: Callable[[Any], str]) -> Callable[..., str]:
    """A fake upstream with the given settings (fields of its Config); returns the base URL without /v1."""

    def start(**settings: Any) -> str:
        config = fake_upstream.Config().updated(settings)
        return serve(fake_upstream.make_server("127.0.0.1", 0, config))

    return start
