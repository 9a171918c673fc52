"""The plugin tests import ``ansible_collections.llmops.litellm`` from this checkout, and only from it,
and the simulators from tests/sim (see tests/sim/collection_under_test.py)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

SIM = Path(__file__).resolve().parents[2] / "sim"
if str(SIM) not in sys.path:
    sys.path.insert(0, str(SIM))

from collection_under_test import make_collection_importable  # noqa: E402

make_collection_importable()


@pytest.fixture(scope="module")
def sim(request):
    """A LiteLLM simulator for one test module, answering to the module's ``MASTER_KEY``.
    (The Grafana tests define their own ``sim``.)"""
    from litellm_sim import start  # noqa: PLC0415 - importing litellm is slow, only tests that need it pay

    server, _thread = start(request.module.MASTER_KEY)
    yield server
    server.shutdown()
