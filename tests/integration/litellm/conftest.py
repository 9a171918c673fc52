"""Session fixtures of the LiteLLM integration tests (see harness.py and test_litellm_modules.py)."""

from __future__ import annotations

import os

import pytest
from harness import REAL, SIM_MASTER_KEY, cleanup_real
from litellm_sim.testing import SimulatorProcess, collections_path


@pytest.fixture(scope="session", autouse=True)
def collection_under_test():
    """Fail every test, saying why, when ansible would run another llmops.litellm than this checkout's."""
    return collections_path()


@pytest.fixture(scope="session")
def target(tmp_path_factory):
    """A real LiteLLM when LITELLM_API_BASE and LITELLM_MASTER_KEY are set, else the simulator."""
    if REAL:
        base = os.environ["LITELLM_API_BASE"].rstrip("/")
        yield {"api_base": base, "master_key": os.environ["LITELLM_MASTER_KEY"]}
        cleanup_real(base, os.environ["LITELLM_MASTER_KEY"])
        return
    stats_file = tmp_path_factory.mktemp("litellm-sim") / "stats.json"
    with SimulatorProcess(SIM_MASTER_KEY, stats_file=str(stats_file)) as sim:
        yield {"api_base": sim.url, "master_key": SIM_MASTER_KEY, "sim_url": sim.url, "stats_file": str(stats_file)}
