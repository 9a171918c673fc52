"""A LiteLLM client on a freshly reset simulator, for the shared-code tests."""

from __future__ import annotations

import pytest
from ansible_collections.llmops.litellm.plugins.module_utils.litellm.client import LiteLLMClient
from litellm_sim.testing import api


@pytest.fixture
def client(request, sim):
    api(sim.url, None, "POST", "/_sim/reset", {})
    return LiteLLMClient(sim.url, request.module.MASTER_KEY)
