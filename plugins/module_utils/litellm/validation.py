# -*- coding: utf-8 -*-
# Copyright: (c) 2026, llmops maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Options and input checks shared by keys, teams and budgets, each error naming its field.

The checks run before any request, so a declaration LiteLLM would refuse (or misread) fails
with every problem at once and nothing written.
"""

from __future__ import annotations

import math
import re
from typing import Any, Dict, List, Mapping, Optional, Sequence

from ansible_collections.llmops.litellm.plugins.module_utils.litellm.metadata import (
    MANAGED_KEYS_KEY,
    MANAGED_MARKER_KEY,
)

# litellm_core_utils/duration_parser.py: duration_in_seconds accepts these units and words.
DURATION_RE = re.compile(r"^[1-9][0-9]*(s|m|h|d|w|mo)$")
DURATION_WORDS = frozenset(["hourly", "daily", "weekly", "monthly"])

# The budget and rate-limit options keys, teams and budgets all take, with their types.
LIMIT_OPTION_TYPES = {
    "max_budget": "float",
    "soft_budget": "float",
    "budget_duration": "str",
    "rpm_limit": "int",
    "tpm_limit": "int",
    "max_parallel_requests": "int",
}


def limit_options(*names: str) -> Dict[str, Dict[str, Any]]:
    """Argument specs of the named budget and rate-limit options."""
    return {name: {"type": LIMIT_OPTION_TYPES[name]} for name in names}


def state_option(*choices: str) -> Dict[str, Any]:
    return {"type": "str", "default": choices[0], "choices": list(choices)}


def clear_fields_option(choices: Sequence[str]) -> Dict[str, Any]:
    return {"type": "list", "elements": "str", "choices": list(choices), "default": []}


def duration_error(field: str, value: Optional[str]) -> Optional[str]:
    """Explain why ``value`` is not a duration LiteLLM can parse, or return None."""
    if value is None:
        return None
    if value.strip().lower() in DURATION_WORDS or DURATION_RE.match(value):
        return None
    return "%s: invalid duration %r; use a number and a unit: s, m, h, d, w or mo (for example 30s, 30m, 1h, 30d)" % (
        field,
        value,
    )


def duration_errors(prefix: str, params: Mapping[str, Any], fields: Sequence[str]) -> List[str]:
    errors = [duration_error(prefix + field, params.get(field)) for field in fields]
    return [error for error in errors if error]


def numeric_errors(prefix: str, params: Mapping[str, Any], fields: Sequence[str]) -> List[str]:
    errors = []
    for field in fields:
        value = params.get(field)
        if value is not None and (not math.isfinite(value) or value < 0):
            errors.append("%s%s: must be a finite number >= 0, got %s" % (prefix, field, value))
    return errors


def clear_errors(prefix: str, params: Mapping[str, Any]) -> List[str]:
    errors = []
    for field in params.get("clear_fields") or []:
        if params.get(field) is not None:
            errors.append("%s%s: is both set and listed in clear_fields" % (prefix, field))
    return errors


def metadata_errors(prefix: str, params: Mapping[str, Any]) -> List[str]:
    metadata = params.get("metadata") or {}
    if MANAGED_MARKER_KEY in metadata:
        return ["%smetadata: key %r is reserved for the collection's ownership marker" % (prefix, MANAGED_MARKER_KEY)]
    if MANAGED_KEYS_KEY in metadata:
        return [
            "%smetadata: key %r is reserved: the collection records there which metadata keys it manages"
            % (prefix, MANAGED_KEYS_KEY)
        ]
    return []
