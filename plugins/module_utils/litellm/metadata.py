# -*- coding: utf-8 -*-
# Copyright: (c) 2026, llmops maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""LiteLLM ``metadata``: the collection's ownership marker and the keys LiteLLM writes itself."""

from __future__ import annotations

from typing import Any, Dict, Mapping, Optional

from ansible_collections.llmops.litellm.plugins.module_utils.reconcile import values_equal, without_keys

MANAGED_MARKER_KEY = "llmops_managed_by"
MANAGED_MARKER_VALUE = "llmops.litellm"

# LiteLLM stores these request fields inside ``metadata`` (proxy/_types.py:
# LiteLLM_ManagementEndpoint_MetadataFields and ..._Premium), keeps ``service_account_id``
# once set (LiteLLM_Reserved_Metadata_Fields) and owns ``team_member_budget_id``
# (team_endpoints.py: TeamMemberBudgetHandler.SYSTEM_MANAGED_METADATA_KEYS). None of them is
# user metadata, so they are left out of comparisons and carried over on every metadata write.
SERVER_METADATA_KEYS = frozenset(
    [
        "model_rpm_limit",
        "model_tpm_limit",
        "model_itpm_limit",
        "model_otpm_limit",
        "default_estimated_output_tokens",
        "default_estimated_output_tokens_per_model",
        "mcp_rpm_limit",
        "tag_rpm_limit",
        "rpm_limit_type",
        "tpm_limit_type",
        "enforced_params",
        "temp_budget_increase",
        "temp_budget_expiry",
        "allowed_vector_store_indexes",
        "enforced_batch_output_expires_after",
        "enforced_file_expires_after",
        "throttle_on_budget_exceeded",
        "enable_prompt_caching",
        "end_user_budget_id",
        "disable_global_guardrails",
        "guardrails",
        "policies",
        "tags",
        "team_member_key_duration",
        "prompts",
        "logging",
        "secret_manager_settings",
        "allowed_passthrough_routes",
        "denied_passthrough_routes",
        "service_account_id",
        "team_member_budget_id",
    ]
)


def user_metadata(metadata: Optional[Mapping[str, Any]], declared: Optional[Mapping[str, Any]] = None) -> Dict:
    """The part of stored metadata a user owns: without LiteLLM's keys (unless declared) and our marker."""
    declared = declared or {}
    hidden = [key for key in SERVER_METADATA_KEYS if key not in declared]
    hidden.append(MANAGED_MARKER_KEY)
    return without_keys(metadata if isinstance(metadata, Mapping) else {}, hidden)


def metadata_to_send(desired: Mapping[str, Any], stored: Optional[Mapping[str, Any]]) -> Dict[str, Any]:
    """Desired user metadata plus what must survive LiteLLM's wholesale metadata replacement."""
    stored = stored if isinstance(stored, Mapping) else {}
    kept = {key: value for key, value in stored.items() if key in SERVER_METADATA_KEYS and key not in desired}
    if MANAGED_MARKER_KEY in stored:
        kept[MANAGED_MARKER_KEY] = stored[MANAGED_MARKER_KEY]
    result = dict(kept)
    result.update(desired)
    return result


def marked(metadata: Optional[Mapping[str, Any]]) -> Dict[str, Any]:
    """Declared metadata of a new object, with the ownership marker."""
    result = dict(metadata or {})
    result[MANAGED_MARKER_KEY] = MANAGED_MARKER_VALUE
    return result


def metadata_equal(declared: Any, stored: Any) -> bool:
    """Declared metadata against stored metadata, LiteLLM's own keys and the marker left out."""
    return values_equal(declared or {}, user_metadata(stored, declared))


def is_managed(record: Mapping[str, Any]) -> bool:
    metadata = record.get("metadata")
    return isinstance(metadata, Mapping) and metadata.get(MANAGED_MARKER_KEY) == MANAGED_MARKER_VALUE
