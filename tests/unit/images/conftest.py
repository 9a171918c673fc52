"""Load the stand-in test services from the images role and serve them on 127.0.0.1 ephemeral ports."""

from __future__ import annotations

import importlib.util
import subprocess
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


LITELLM_IMAGE = "llmops-standin/litellm:1.106.12"
IMAGE_FILES = {
    "node_modules": "/opt/query-engine/node_modules",
    "migrations": "/opt/litellm/lib/python3.11/site-packages/litellm_proxy_extras/migrations",
}


@pytest.fixture(scope="session")
def litellm_image_files() -> dict[str, Path]:
    """The query-engine stand-in's node_modules and LiteLLM's migrations, copied out of the built
    LiteLLM stand-in image (so the tests use exactly what the image ships), once per image id."""
    probe = subprocess.run(
        ["docker", "image", "inspect", "--format", "{{.Id}}", LITELLM_IMAGE],
        capture_output=True,
        text=True,
        check=False,
    )
    if probe.returncode != 0:
        pytest.fail(f"{LITELLM_IMAGE} is missing: build it with `make images` ({probe.stderr.strip()})")
    dest = APPS.parents[2] / ".cache" / "litellm-image" / probe.stdout.strip().replace("sha256:", "")[:16]
    if not all((dest / name).is_dir() for name in IMAGE_FILES):
        dest.mkdir(parents=True, exist_ok=True)
        container = subprocess.run(
            ["docker", "create", LITELLM_IMAGE], capture_output=True, text=True, check=True
        ).stdout.strip()
        try:
            for name, path in IMAGE_FILES.items():
                subprocess.run(
                    ["docker", "cp", f"{container}:{path}", str(dest / name)], capture_output=True, check=True
                )
        finally:
            subprocess.run(["docker", "rm", container], capture_output=True, check=False)
    return {name: dest / name for name in IMAGE_FILES}
