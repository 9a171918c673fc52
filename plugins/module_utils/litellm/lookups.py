# -*- coding: utf-8 -*-
# Copyright: (c) 2026, llmops maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a declaration may reference on the server (models, teams, budgets), each read at most once."""

from __future__ import annotations

import fnmatch
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

from ansible_collections.llmops.litellm.plugins.module_utils.litellm.client import LiteLLMClient, LiteLLMError
from ansible_collections.llmops.litellm.plugins.module_utils.litellm.model_access import ProxyModelGroups
from ansible_collections.llmops.litellm.plugins.module_utils.reconcile import index_by

# Model names LiteLLM gives a meaning of its own (proxy/_types.py: SpecialModelNames).
SPECIAL_MODEL_NAMES = frozenset(["all-proxy-models", "all-team-models", "no-default-models"])
# Up to this many distinct team references are looked up one filtered query each; more, and
# every team is listed once instead.
FILTERED_LOOKUPS_MAX = 5


class ModelCatalog:
    """The proxy's model names, fetched once, used to refuse keys and teams with unknown models."""

    def __init__(self, client: LiteLLMClient) -> None:
        self._client = client
        self._names = None  # type: Optional[List[str]]

    def unknown(self, models: Optional[Sequence[str]]) -> List[str]:
        if not models:
            return []
        if self._names is None:
            self._names = self._client.model_names()
        names = set(self._names)
        patterns = [name for name in self._names if "*" in name]
        return [
            model
            for model in models
            if model not in names
            and model not in SPECIAL_MODEL_NAMES
            and not any(fnmatch.fnmatchcase(model, pattern) for pattern in patterns)
        ]

    def error(self, prefix: str, models: Optional[Sequence[str]]) -> Optional[str]:
        missing = self.unknown(models)
        if not missing:
            return None
        return "%smodels: unknown model(s) %s; the proxy at %s serves: %s" % (
            prefix,
            ", ".join(missing),
            self._client.url("/v1/models"),
            ", ".join(sorted(self._names or [])) or "(none)",
        )


class ModelGroupDirectory:
    """The proxy's access groups, read from ``/v1/model/info`` at most once and only when asked.

    A model list that cannot be read gives groups that are not known, so no team model is taken
    for a plain name: a move LiteLLM may accept is then left to LiteLLM."""

    def __init__(self, client: LiteLLMClient) -> None:
        self._client = client
        self._groups = None  # type: Optional[ProxyModelGroups]

    def __call__(self) -> ProxyModelGroups:
        if self._groups is None:
            try:
                self._groups = ProxyModelGroups(self._client.model_deployments())
            except LiteLLMError:
                self._groups = ProxyModelGroups(None)
        return self._groups


class TeamDirectory:
    """Teams by id and alias, to resolve the ``team`` option of keys.

    Each distinct reference costs one filtered ``/v2/team/list`` query (``search``: the team_id
    or an alias containing it); with ``full=True`` (many references) every team is listed once,
    all pages read. Either way a listing that holds fewer teams than LiteLLM counts fails.
    """

    def __init__(self, client: LiteLLMClient, full: bool = False) -> None:
        self._client = client
        self._full = full
        self._all: Optional[List[Mapping[str, Any]]] = None
        self._found: Dict[str, List[Mapping[str, Any]]] = {}

    @classmethod
    def for_references(cls, client: LiteLLMClient, references: Sequence[Optional[str]]) -> "TeamDirectory":
        """A directory that lists every team when that is cheaper than one query per reference."""
        distinct = {reference for reference in references if reference}
        return cls(client, full=len(distinct) > FILTERED_LOOKUPS_MAX)

    def _candidates(self, reference: str) -> List[Mapping[str, Any]]:
        if self._full and self._all is None:
            self._all = self._client.list_teams()
        if self._all is not None:
            return self._all
        if reference not in self._found:
            self._found[reference] = self._client.find_teams(search=reference)
        return self._found[reference]

    def by_id(self, team_id: Optional[str]) -> Optional[Mapping[str, Any]]:
        if not team_id:
            return None
        known = list(self._all or []) + [team for teams in self._found.values() for team in teams]
        found = next((team for team in known if team.get("team_id") == team_id), None)
        if found is None and self._all is None:
            found = next(iter(self._client.find_teams(team_id=team_id)), None)
        return found

    def resolve(self, reference: str) -> Tuple[Optional[str], Optional[str]]:
        """Return ``(team_id, error)``; an exact team_id wins over an alias."""
        teams = self._candidates(reference)
        for team in teams:
            if team.get("team_id") == reference:
                return reference, None
        matches = [team for team in teams if team.get("team_alias") == reference]
        if len(matches) == 1:
            return matches[0]["team_id"], None
        if len(matches) > 1:
            return None, "team %r is ambiguous: %s teams have that alias (%s); use the team_id" % (
                reference,
                len(matches),
                ", ".join(sorted(team["team_id"] for team in matches)),
            )
        return None, "team %r does not exist (no team has that team_id or team_alias)" % reference


class BudgetDirectory:
    """Budget ids from one ``/budget/list`` call, to refuse keys that point at a missing budget."""

    def __init__(self, client: LiteLLMClient) -> None:
        self._client = client
        self._ids = None  # type: Optional[set]

    def exists(self, budget_id: str) -> bool:
        if self._ids is None:
            self._ids = {record.get("budget_id") for record in self._client.list_budgets()}
        return budget_id in self._ids


def find_team(client: LiteLLMClient, team_id: Optional[str], team_alias: Optional[str]) -> Optional[Mapping[str, Any]]:
    """The stored team for an identity: by team_id when given, else by a unique alias.

    One filtered ``/v2/team/list`` query, whose records also carry ``keys_count``. That listing
    fails (HTTP 500) rather than leave out a team LiteLLM cannot validate, and the client fails
    when it holds fewer teams than LiteLLM counts, so a team that exists is never missed and
    created a second time.
    """
    if team_id:
        return next(iter(client.find_teams(team_id=team_id)), None)
    teams = client.find_teams(team_alias=team_alias)
    unique, duplicates = index_by(teams, "team_alias")
    if duplicates:
        raise LiteLLMError(
            "team_alias %r matches %s teams (%s); LiteLLM does not enforce unique team aliases, so set team_id"
            % (team_alias, len(teams), ", ".join(sorted(team["team_id"] for team in teams)))
        )
    return unique.get(team_alias)
