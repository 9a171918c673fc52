"""model_access against LiteLLM's own team model check (auth_checks.py: check_model_access_helper,
compiled from the installed LiteLLM's source, over a real Router), so a LiteLLM change that moves
a verdict fails here."""

from __future__ import annotations

import pytest
from ansible_collections.llmops.litellm.plugins.module_utils.litellm.model_access import (
    ALLOWED,
    REFUSED,
    UNKNOWN,
    ProxyModelGroups,
    models_team_refuses,
    pattern_matches,
    team_model_verdict,
)
from litellm_sim.model_access import router_for, team_can_call


def deployment(name: str, model: str, groups=()):
    return {
        "model_name": name,
        "litellm_params": {"model": model, "api_key": "sk-simulated"},
        "model_info": {"id": "id-" + name, "access_groups": list(groups)},
    }


DEPLOYMENTS = [
    deployment("gpt-4o", "openai/gpt-4o"),
    deployment("gpt-4o-mini", "openai/gpt-4o-mini", ["cheap-models"]),
    deployment("claude-3-5-haiku", "anthropic/claude-3-5-haiku-20241022", ["cheap-models", "fast"]),
    deployment("anthropic/claude-3-5-sonnet", "anthropic/claude-3-5-sonnet-20240620"),
    deployment("openai/*", "openai/*"),
]

# (key model, team models, verdict of model_access)
CASES = [
    ("openai/gpt-4o", ["openai/*"], ALLOWED),
    ("openai/gpt-4o-mini", ["openai/gpt-4o*"], ALLOWED),
    ("gpt-4o", ["gpt-4o"], ALLOWED),
    ("gpt-4o", [], ALLOWED),
    ("gpt-4o", ["*"], ALLOWED),
    ("gpt-4o", ["all-proxy-models"], ALLOWED),
    ("gpt-4o-mini", ["cheap-models"], ALLOWED),
    ("claude-3-5-haiku", ["fast"], ALLOWED),
    ("claude-3-5-haiku", ["gpt-4o", "cheap-models"], ALLOWED),
    ("smart", ["gpt-4o"], ALLOWED),
    ("gpt-4o", ["cheap-models"], REFUSED),
    ("gpt-4o", ["gpt-4o-mini"], REFUSED),
    ("anthropic/claude-3-5-sonnet", ["openai/*"], REFUSED),
    ("anthropic/claude-3-5-sonnet", ["openai/*", "cheap-models"], REFUSED),
    ("openai/gpt-4o", ["anthropic/*"], REFUSED),
    ("openaiz/gpt-4o", ["openai/*"], REFUSED),
    ("gpt-4o", ["anthropic/claude-*"], REFUSED),
    ("gpt-4o", ["gpt-4"], REFUSED),
    ("gpt-4o", ["openai/*"], UNKNOWN),  # the provider LiteLLM infers for a bare name
    ("claude-3-5-haiku", ["openai/*"], UNKNOWN),
]


@pytest.fixture(scope="module")
def router():
    return router_for(DEPLOYMENTS + [deployment("smart-target", "openai/gpt-4o")])


@pytest.fixture(scope="module")
def groups(router):
    router.model_group_alias = {"smart": "gpt-4o"}
    # proxy_server.py: model_info_v1 lists the deployments and the model_group_alias rows
    rows = list(router.model_list) + list(router.get_model_list_from_model_alias())
    return ProxyModelGroups(rows)


@pytest.mark.parametrize(("model", "team_models", "expected"), CASES)
def test_verdicts_agree_with_litellm(router, groups, model, team_models, expected):
    verdict = team_model_verdict(model, {"team_id": "t", "models": team_models}, groups)
    assert verdict == expected
    litellm_allows = team_can_call(model, team_models, "t", router)
    if verdict == ALLOWED:
        assert litellm_allows is True
    if verdict == REFUSED:
        assert litellm_allows is False


def test_what_cannot_be_known_is_never_refused():
    unreadable = ProxyModelGroups(None)
    assert team_model_verdict("gpt-4o", {"models": ["cheap-models"]}, unreadable) == UNKNOWN
    assert team_model_verdict("gpt-4o", {"models": ["cheap-models"]}) == UNKNOWN
    assert team_model_verdict("gpt-4o", {"models": ["m1"], "access_group_ids": ["ag-1"]}, ProxyModelGroups([])) == (
        UNKNOWN
    )
    assert team_model_verdict("gpt-4o", {"models": ["all-team-models"]}, ProxyModelGroups([])) == UNKNOWN
    # a model served by no listed deployment (a wildcard route) may be in a group the team names
    rows = [deployment("gpt-4o-mini", "openai/gpt-4o-mini", ["cheap-models"])]
    assert team_model_verdict("openai/gpt-4o", {"models": ["cheap-models"]}, ProxyModelGroups(rows)) == UNKNOWN
    assert team_model_verdict("openai/gpt-4o", {"models": ["m1"]}, ProxyModelGroups(rows)) == REFUSED


def test_the_all_team_models_sentinel_of_a_key_is_always_allowed():
    assert team_model_verdict("all-team-models", {"models": ["gpt-4o"]}, ProxyModelGroups([])) == ALLOWED


def test_pattern_matching_is_litellms_regular_expression():
    assert pattern_matches("bedrock/us.amazon.nova-micro-v1:0", "bedrock/us.*")
    assert not pattern_matches("bedrockzzzz/us.amazon.nova", "bedrock/*")
    assert not pattern_matches("gpt-4o", "gpt-4o")  # no star: not a pattern
    assert not pattern_matches("x", "(*")  # an invalid expression matches nothing


def test_groups_are_read_once_and_only_when_needed():
    calls = []

    def load():
        calls.append(1)
        return ProxyModelGroups(
            [deployment("gpt-4o", "openai/gpt-4o"), deployment("gpt-4o-mini", "openai/gpt-4o-mini", ["cheap-models"])]
        )

    assert models_team_refuses(["openai/gpt-4o"], {"models": ["openai/*"]}, load) == []
    assert calls == []
    refused = models_team_refuses(["gpt-4o", "gpt-4o-mini", "o1"], {"models": ["cheap-models"]}, load)
    assert refused == ["gpt-4o"]  # o1 is served by no listed deployment: it may be in the group
    assert calls == [1]
