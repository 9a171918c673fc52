"""LiteLLM's own model access rules for teams, run over a real ``litellm.Router``.

``litellm/proxy/auth/auth_checks.py`` imports FastAPI, which the proxy extra brings and this
environment lacks, so the functions the team check runs are compiled from that file's source
(not copied): check_model_access_helper with what it calls (is_model_allowed_by_pattern,
_model_matches_any_wildcard_pattern_in_list, _model_custom_llm_provider_matches_wildcard_pattern,
_is_wildcard_pattern, _resolve_all_team_model_sentinel_for_auth_check, _model_in_team_aliases).
A LiteLLM upgrade that changes them changes the simulator with it.
"""

from __future__ import annotations

import ast
import os
import re
from collections.abc import Mapping, Sequence
from typing import Any, Final

import litellm
from litellm import Router
from litellm.litellm_core_utils.get_llm_provider_logic import get_llm_provider
from litellm.proxy._types import SpecialModelNames

AUTH_CHECKS = os.path.join(os.path.dirname(litellm.__file__), "proxy", "auth", "auth_checks.py")
FUNCTIONS = frozenset(
    [
        "check_model_access_helper",
        "is_model_allowed_by_pattern",
        "_model_matches_any_wildcard_pattern_in_list",
        "_model_custom_llm_provider_matches_wildcard_pattern",
        "_is_wildcard_pattern",
        "_resolve_all_team_model_sentinel_for_auth_check",
        "_model_in_team_aliases",
    ]
)


def _load() -> dict[str, Any]:
    with open(AUTH_CHECKS, encoding="utf-8") as handle:
        tree = ast.parse(handle.read(), AUTH_CHECKS)
    nodes = [node for node in tree.body if isinstance(node, ast.FunctionDef) and node.name in FUNCTIONS]
    missing = FUNCTIONS - {node.name for node in nodes}
    if missing:
        raise RuntimeError(f"{AUTH_CHECKS} no longer defines {sorted(missing)}")
    namespace: dict[str, Any] = {
        "re": re,
        "Final": Final,
        "Router": Router,
        "SpecialModelNames": SpecialModelNames,
        "get_llm_provider": get_llm_provider,
    }
    exec(compile(ast.Module(body=nodes, type_ignores=[]), AUTH_CHECKS, "exec"), namespace)  # noqa: S102
    return namespace


LITELLM: Final = _load()


def router_for(deployments: Sequence[Mapping[str, Any]]) -> Router:
    """A router over ``deployments`` (model_name, litellm_params, model_info); never called."""
    return Router(model_list=[dict(deployment) for deployment in deployments])


def team_can_call(model: str, team_models: Sequence[str], team_id: str | None, router: Router | None) -> bool:
    """auth_checks.py: can_team_access_model -> _can_object_call_model for a key moved into a
    team (validate_key_team_change passes no team or key aliases). The names checked are the
    model and its router model_group_alias target (_can_object_call_model: potential_models)."""
    names = [model]
    target = router.get_model_from_alias(model) if router is not None and model in router.model_group_alias else None
    if target:
        names.append(target)
    target = litellm.model_alias_map.get(model)
    if target:
        names.append(target)
    return any(
        LITELLM["check_model_access_helper"](model=name, llm_router=router, models=list(team_models), team_id=team_id)
        for name in names
    )
