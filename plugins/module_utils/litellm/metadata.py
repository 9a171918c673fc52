# -*- coding: utf-8 -*-
# Copyright: (c) 2026, llmops maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""LiteLLM ``metadata``: who owns which key of it.

Four kinds of key live side by side in a key's or team's metadata:

- the keys LiteLLM writes itself (``SERVER_METADATA_KEYS``): always kept, never drift unless declared;
- the collection's own: the ownership marker (``llmops_managed_by``, on objects it created),
  ``llmops_owner``, the owner (namespace) of the task that declares the object, when it has one,
  and ``llmops_metadata_keys``, the sorted list of the user keys the declaration held when the
  collection last wrote the metadata;
- the user keys the task declares: compared and written;
- keys another actor added (the UI, a script): not declared and not in ``llmops_metadata_keys``,
  so kept as they are and never reported as drift.

A key that was declared (so is in ``llmops_metadata_keys``) and no longer is gets removed; LiteLLM
replaces metadata wholesale on update, so every write carries what must be kept.
``clear_fields: [metadata]`` removes every user key, another actor's included.
"""

from __future__ import annotations

from typing import Any, Dict, List, Mapping, Optional

from ansible_collections.llmops.litellm.plugins.module_utils.reconcile import values_equal, without_keys

MANAGED_MARKER_KEY = "llmops_managed_by"
MANAGED_MARKER_VALUE = "llmops.litellm"
MANAGED_KEYS_KEY = "llmops_metadata_keys"
OWNER_KEY = "llmops_owner"
RESERVED_KEYS = (MANAGED_MARKER_KEY, MANAGED_KEYS_KEY, OWNER_KEY)

# Keys LiteLLM 1.106.12 writes into a key's or team's metadata itself (proxy/ paths):
# - request fields it stores in metadata (_types.py: LiteLLM_ManagementEndpoint_MetadataFields and
#   LiteLLM_ManagementEndpoint_MetadataFields_Premium; key_management_endpoints.py:
#   generate_key_helper_fn puts ``tags`` there);
# - ``service_account_id``, immutable once set (_types.py: LiteLLM_Reserved_Metadata_Fields);
# - ``team_member_budget_id`` (team_endpoints.py: TeamMemberBudgetHandler.SYSTEM_MANAGED_METADATA_KEYS);
# - ``logging`` and ``callback_settings``, written by the team callback routes
#   (team_callback_endpoints.py: add_team_callbacks, disable_team_logging).
# None of them is user metadata, so they are left out of comparisons and carried over on every
# metadata write. tests/unit/plugins/module_utils/test_metadata_drift.py reads the installed
# LiteLLM and fails when it writes a key this set lacks.
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
        "callback_settings",
        "secret_manager_settings",
        "allowed_passthrough_routes",
        "denied_passthrough_routes",
        "service_account_id",
        "team_member_budget_id",
    ]
)


def _mapping(metadata: Any) -> Mapping[str, Any]:
    return metadata if isinstance(metadata, Mapping) else {}


def declared_user_keys(desired: Optional[Mapping[str, Any]]) -> List[str]:
    """The declared keys the collection records as its own (LiteLLM's keys are not)."""
    return sorted(key for key in desired or {} if key not in SERVER_METADATA_KEYS and key not in RESERVED_KEYS)


def recorded_keys(stored: Any) -> frozenset:
    """The user keys the collection wrote last time (``llmops_metadata_keys``), empty when unknown."""
    recorded = _mapping(stored).get(MANAGED_KEYS_KEY)
    if not isinstance(recorded, list):
        return frozenset()
    return frozenset(key for key in recorded if isinstance(key, str))


def user_metadata(metadata: Optional[Mapping[str, Any]], declared: Optional[Mapping[str, Any]] = None) -> Dict:
    """Metadata as a diff shows it: without LiteLLM's keys (unless declared), the ownership marker and
    the owner (shown as a field of its own); ``llmops_metadata_keys`` stays, so a change of it is visible."""
    declared = declared or {}
    hidden = [key for key in SERVER_METADATA_KEYS if key not in declared]
    hidden.extend((MANAGED_MARKER_KEY, OWNER_KEY))
    return without_keys(_mapping(metadata), hidden)


def metadata_to_send(
    desired: Mapping[str, Any], stored: Optional[Mapping[str, Any]], exclusive: bool = False
) -> Dict[str, Any]:
    """The whole metadata to write: the desired keys, plus what must survive LiteLLM's wholesale
    replacement (its own keys, the marker and owner, another actor's keys), with ``llmops_metadata_keys``
    recording the declared user keys. Keys declared before and no longer are dropped; with
    ``exclusive`` (``clear_fields: [metadata]``) every user key not desired is."""
    stored = _mapping(stored)
    before = recorded_keys(stored)
    result = {}
    for key, value in stored.items():
        if key in desired or key == MANAGED_KEYS_KEY:
            continue
        kept_always = key in (MANAGED_MARKER_KEY, OWNER_KEY) or key in SERVER_METADATA_KEYS
        # Another actor's key is kept; one the collection wrote and the declaration dropped is not.
        if kept_always or (not exclusive and key not in before):
            result[key] = value
    result.update(desired)
    owned = declared_user_keys(desired)
    if owned:
        previous = stored.get(MANAGED_KEYS_KEY)
        # Same keys in another order is no change (nor a write).
        same = isinstance(previous, list) and sorted(recorded_keys(stored)) == owned and len(previous) == len(owned)
        result[MANAGED_KEYS_KEY] = list(previous) if same else owned
    return result


def marked(metadata: Optional[Mapping[str, Any]], owner: Optional[str] = None) -> Dict[str, Any]:
    """Declared metadata of a new object, with the ownership marker, the owner (when the task has
    one) and the declared user keys."""
    result = metadata_to_send(dict(metadata or {}), None)
    result[MANAGED_MARKER_KEY] = MANAGED_MARKER_VALUE
    if owner is not None:
        result[OWNER_KEY] = owner
    return result


def metadata_equal(declared: Any, stored: Any, exclusive: bool = False) -> bool:
    """True when writing the declared metadata would store what is stored already."""
    return values_equal(metadata_to_send(declared or {}, stored, exclusive), dict(_mapping(stored)))


def clears_metadata(params: Mapping[str, Any]) -> bool:
    return "metadata" in (params.get("clear_fields") or [])


def is_managed(record: Mapping[str, Any]) -> bool:
    metadata = record.get("metadata")
    return isinstance(metadata, Mapping) and metadata.get(MANAGED_MARKER_KEY) == MANAGED_MARKER_VALUE


def owner_of(record: Optional[Mapping[str, Any]]) -> Optional[str]:
    """The owner recorded in an object's metadata (``llmops_owner``), None when it has none."""
    owner = _mapping(_mapping(record).get("metadata")).get(OWNER_KEY)
    return owner if isinstance(owner, str) and owner else None
