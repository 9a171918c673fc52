# -*- coding: utf-8 -*-
# Copyright: (c) 2026, llmops maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Whether a team may use a model, read as LiteLLM reads a team's ``models``.

LiteLLM checks a key moved to a team model by model (key_management_endpoints.py:
validate_key_team_change -> auth_checks.py: can_team_access_model -> _can_object_call_model ->
check_model_access_helper). A team model grants a model when it is:

- the model's own name;
- a wildcard pattern matching it (is_model_allowed_by_pattern: ``*`` is ``.*`` in an anchored
  regular expression), directly or as ``<provider>/<model>`` with the provider LiteLLM infers
  for a bare name (_model_custom_llm_provider_matches_wildcard_pattern);
- ``*`` or ``all-proxy-models``; an empty team list grants everything;
- an access group of the deployments serving the model (Router.get_model_access_groups).

The answer is three-valued: ``ALLOWED``, ``REFUSED`` or ``UNKNOWN``. What cannot be known from
outside LiteLLM (the provider it infers for a bare name, access groups when the proxy's model
list cannot be read, ``all-team-models`` in a team's list, a team's ``access_group_ids``,
team-scoped deployments) gives ``UNKNOWN``, never ``REFUSED``: LiteLLM itself then decides.
"""

from __future__ import annotations

import re
from typing import Any, Dict, FrozenSet, Iterable, List, Mapping, Optional, Sequence, Set

ALLOWED = "allowed"
REFUSED = "refused"
UNKNOWN = "unknown"

# proxy/_types.py: SpecialModelNames
ALL_TEAM_MODELS = "all-team-models"
ALL_PROXY_MODELS = "all-proxy-models"


def pattern_matches(model: str, pattern: str) -> bool:
    """auth_checks.py: is_model_allowed_by_pattern (only patterns holding ``*`` match)."""
    if "*" not in pattern:
        return False
    try:
        return bool(re.match("^%s$" % pattern.replace("*", ".*"), model))
    except re.error:
        return False


def _may_match_with_inferred_provider(model: str, pattern: str) -> bool:
    """Whether ``<provider>/<model>`` could match ``pattern`` for a provider LiteLLM infers
    (auth_checks.py: _model_custom_llm_provider_matches_wildcard_pattern). A name holding ``/``
    is rebuilt as itself, or refused when its prefix is no provider, so only bare names count."""
    if "/" in model or "*" not in pattern:
        return False
    if "/" not in pattern:
        # a leading part can absorb "<provider>/"; say so rather than guess the provider
        return True
    head, rest = pattern.split("/", 1)
    if not head or "/" in rest:
        return False
    return rest == model or pattern_matches(model, rest)


class ProxyModelGroups:
    """Access groups of the proxy's deployments, from ``/model/info`` rows (proxy_server.py:
    model_info_v1: the router's deployments, model_group_alias rows, wildcard rows expanded).

    ``rows=None`` means the model list could not be read: every team model may be a group.
    """

    def __init__(self, rows: Optional[Iterable[Mapping[str, Any]]]) -> None:
        self.known = rows is not None
        self._groups: Dict[str, Set[str]] = {}
        deployments: Dict[Any, Set[str]] = {}
        for row in rows or []:
            name = row.get("model_name")
            info = row.get("model_info") or {}
            if not isinstance(name, str) or not isinstance(info, Mapping):
                continue
            self._groups.setdefault(name, set()).update(
                group for group in info.get("access_groups") or [] if isinstance(group, str)
            )
            # Router.get_all_deployments(model_alias=...) copies the target deployment under the
            # alias name: same id and provider model.
            params = row.get("litellm_params") or {}
            identity = (info.get("id"), params.get("model") if isinstance(params, Mapping) else None)
            if identity[0] is not None:
                deployments.setdefault(identity, set()).add(name)
        self._aliases: Dict[str, Set[str]] = {}
        for names in deployments.values():
            for name in names:
                self._aliases.setdefault(name, set()).update(names - {name})
        self.names: FrozenSet[str] = frozenset(group for groups in self._groups.values() for group in groups)

    def groups_of(self, model: str) -> Optional[Set[str]]:
        """The access groups of the deployments serving ``model``, or None when not known."""
        if not self.known:
            return None
        if model in self._groups:
            return self._groups[model]
        return None if self.names else set()

    def may_be_group(self, name: str) -> bool:
        return not self.known or name in self.names

    def aliases_of(self, model: str) -> Set[str]:
        return set(self._aliases.get(model, ()))


def _literal_verdict(model: str, filtered: Sequence[str], team_models: Sequence[str]) -> str:
    """auth_checks.py: check_model_access_helper once access groups are taken out."""
    if any(pattern_matches(model, pattern) for pattern in filtered):
        return ALLOWED
    if (not filtered and not team_models) or "*" in filtered or ALL_PROXY_MODELS in filtered:
        return ALLOWED
    if model in filtered:
        return ALLOWED
    if any(_may_match_with_inferred_provider(model, pattern) for pattern in filtered):
        return UNKNOWN
    return REFUSED


def _name_verdict(model: str, team_models: Sequence[str], groups: ProxyModelGroups) -> str:
    """check_model_access_helper for one name: a team model that is an access group of the
    model grants it; the other team models are read as names and patterns."""
    verdict = _literal_verdict(model, team_models, team_models)
    if verdict != REFUSED:
        return verdict
    mine = groups.groups_of(model)
    if mine is None:
        return UNKNOWN if any(groups.may_be_group(name) for name in team_models) else REFUSED
    if any(name in mine for name in team_models):
        return ALLOWED
    return _literal_verdict(model, [name for name in team_models if name not in mine], team_models)


def team_model_verdict(model: str, team: Mapping[str, Any], groups: Any = None) -> str:
    """Whether LiteLLM lets ``team`` use ``model`` (auth_checks.py: can_team_access_model).

    ``groups`` is a ProxyModelGroups, or a callable returning one, called only when names and
    patterns alone do not grant the model; without it no team model is known not to be an
    access group, so nothing is refused."""
    team_models = list(team.get("models") or [])
    if model == ALL_TEAM_MODELS:
        # validate_key_team_change skips the sentinel: whatever the team allows
        return ALLOWED
    verdict = _literal_verdict(model, team_models, team_models)
    if verdict != REFUSED:
        return verdict
    if ALL_TEAM_MODELS in team_models or model.startswith("model_name_") or team.get("access_group_ids"):
        # _resolve_all_team_model_sentinel_for_auth_check (the router's model names join the
        # list), _owning_team_names_for_team_deployment, can_team_access_model's fallback to the
        # team's access_group_ids: each may grant what is not known here
        return UNKNOWN
    if callable(groups):
        groups = groups()
    if groups is None:
        return UNKNOWN
    # _can_object_call_model: a model_group_alias is checked as its target as well
    verdicts = [_name_verdict(name, team_models, groups) for name in [model] + sorted(groups.aliases_of(model))]
    if ALLOWED in verdicts:
        return ALLOWED
    return UNKNOWN if UNKNOWN in verdicts else REFUSED


def models_team_refuses(models: Optional[Sequence[str]], team: Mapping[str, Any], groups: Any = None) -> List[str]:
    """The models LiteLLM would refuse to a key moved into ``team`` (key_management_endpoints.py:
    validate_key_team_change); ``groups`` as for team_model_verdict, read at most once."""
    cache: List[Any] = []

    def loaded() -> Any:
        if not cache:
            cache.append(groups() if callable(groups) else groups)
        return cache[0]

    return [model for model in models or [] if team_model_verdict(model, team, loaded) == REFUSED]
