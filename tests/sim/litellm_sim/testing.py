"""Helpers shared by the collection's LiteLLM tests and benchmark (not part of the simulator API).

- ``SimulatorProcess``: the simulator in a child process on 127.0.0.1 with an ephemeral port.
- ``collections_path``: an ``ANSIBLE_COLLECTIONS_PATH`` where ``llmops.litellm`` resolves to
  this checkout (or the path the caller already set, e.g. ``make test`` after installing the
  built tarball), verified: see ``collection_under_test``.
- ``make_collection_importable``: lets plain pytest import ``ansible_collections.llmops.litellm``
  from this checkout only.
- ``api``: one JSON call to a LiteLLM (or simulator) endpoint.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

SIM_PARENT = Path(__file__).resolve().parents[1]
if str(SIM_PARENT) not in sys.path:
    sys.path.insert(0, str(SIM_PARENT))

from collection_under_test import (  # noqa: E402
    REPO_ROOT,
    CollectionMismatch,
    collections_path,
    make_collection_importable,
)

__all__ = [
    "REPO_ROOT",
    "CollectionMismatch",
    "SimulatorProcess",
    "api",
    "collections_path",
    "make_collection_importable",
    "tool",
]

VENV_BIN = REPO_ROOT / ".venv" / "bin"


def tool(name: str) -> str:
    """A console script of the project venv when present, else the one on PATH."""
    candidate = VENV_BIN / name
    return str(candidate) if candidate.exists() else name


def _decoded(raw: bytes) -> Any:
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return raw.decode("utf-8", "replace")  # a gateway's error page (a simulator fault)


def api(base_url: str, master_key: str | None, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    """One JSON request; returns (status, decoded body, or the text of a non-JSON one) for
    success and HTTP errors alike."""
    data = None if body is None else json.dumps(body).encode()
    headers = {"Content-Type": "application/json"}
    if master_key:
        headers["Authorization"] = f"Bearer {master_key}"
    request = urllib.request.Request(base_url + path, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, _decoded(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, _decoded(exc.read())


class SimulatorProcess:
    """The simulator in a child process; ``url`` is set once it listens."""

    def __init__(self, master_key: str, startup_timeout: float = 60.0, stats_file: str | None = None) -> None:
        self.master_key = master_key
        self.startup_timeout = startup_timeout
        self.stats_file = stats_file
        self.url = ""
        self._process: subprocess.Popen[str] | None = None

    def __enter__(self) -> SimulatorProcess:
        env = dict(os.environ, PYTHONPATH=str(SIM_PARENT), LITELLM_LOCAL_MODEL_COST_MAP="True")
        self._process = subprocess.Popen(
            [sys.executable, "-m", "litellm_sim", "--master-key", self.master_key, "--port", "0"]
            + (["--stats-file", self.stats_file] if self.stats_file else []),
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            env=env,
        )
        deadline = time.monotonic() + self.startup_timeout
        assert self._process.stdout is not None
        line = self._process.stdout.readline()
        if not line.startswith("LISTENING ") or time.monotonic() > deadline:
            self.__exit__(None, None, None)
            raise RuntimeError(f"simulator did not start: {line!r}")
        self.url = line.split(" ", 1)[1].strip()
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(timeout=10)
        self._process = None

    def stats(self) -> dict[str, Any]:
        return api(self.url, None, "GET", "/_sim/stats")[1]

    def reset(self) -> None:
        api(self.url, None, "POST", "/_sim/reset", {})
