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
import time
from datetime import datetime, timedelta, timezone
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

from ansible_collections.llmops.litellm.plugins.module_utils.litellm.metadata import (
    MANAGED_KEYS_KEY,
    MANAGED_MARKER_KEY,
    OWNER_KEY,
)

# Durations -------------------------------------------------------------------------------
#
# LiteLLM 1.106.12, litellm_core_utils/duration_parser.py and proxy/common_utils/timezone_utils.py,
# reproduced here because the modules run where LiteLLM is not installed:
#
# - duration_in_seconds() reads ``budget_duration`` and a key's ``duration``: a word alias
#   (hourly, daily, weekly, monthly; any case, surrounding spaces ignored) or
#   ``re.match(r"(\d+)(mo|[smhdw]?)")``: digits at the very start (any Unicode digit), then a unit
#   that must be there; whatever follows the unit is ignored ("30days" is 30 d, "1month" 1 mo,
#   but "30 days", "30D" and "30" are refused). ``Nmo`` is computed on the calendar and fails
#   when it lands after the year 9999.
# - validate_budget_duration() (key, team and budget endpoints) also refuses a period of 0 s and
#   one whose first reset get_next_standardized_reset_time() cannot compute: ``Nmo`` with N other
#   than 1 (_handle_month_reset) and days or weeks that land after the year 9999 (OverflowError).
#   That function reads the unit as ``[a-z]+`` instead, so a suffix other than s, m, h, d, w or mo
#   ("days", "month", "min") resets the budget at the next midnight, every day.
# - A key's ``duration`` is only parsed (key generation), then added to the current time.
DURATION_WORD_ALIASES = {"hourly": "1h", "daily": "24h", "weekly": "7d", "monthly": "30d"}
DURATION_WORDS = frozenset(DURATION_WORD_ALIASES)
DURATION_RE = re.compile(r"(\d+)(mo|[smhdw]?)")
RESET_UNIT_RE = re.compile(r"(\d+)([a-z]+)")
RESET_UNITS = ("s", "m", "h", "d", "w", "mo")
UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
# int() of a longer digit string raises ValueError on the proxy's Python (3.11: sys.int_info).
MAX_INT_DIGITS = 4300
DURATION_HINT = (
    "LiteLLM reads a number followed by a unit: s, m, h, d, w or mo (for example 30s, 30m, 1h, 30d, 1mo), "
    "or one of hourly, daily, weekly, monthly"
)


def _normalize_duration(duration: str) -> str:
    return DURATION_WORD_ALIASES.get(duration.strip().lower(), duration)


def _int_of_digits(digits: str) -> int:
    if len(digits) > MAX_INT_DIGITS:
        raise ValueError("Exceeds the limit (%s digits) for integer string conversion" % MAX_INT_DIGITS)
    return int(digits)


def _last_day_of_month(year: int, month: int) -> int:
    if month == 12:
        return 31
    return (datetime(year=year, month=month + 1, day=1) - timedelta(days=1)).day


def duration_in_seconds(duration: str, now: Optional[float] = None) -> int:
    """LiteLLM's duration_in_seconds: the seconds ``duration`` stands for, ValueError when LiteLLM
    cannot read it (``now``, a POSIX time, only matters for months)."""
    match = DURATION_RE.match(_normalize_duration(duration))
    if not match:
        raise ValueError("Invalid duration format")
    value, unit = _int_of_digits(match.group(1)), match.group(2)
    if unit in UNIT_SECONDS:
        return value * UNIT_SECONDS[unit]
    if unit == "mo":
        current = datetime.fromtimestamp(time.time() if now is None else now)
        total_months = current.month - 1 + value
        target_year = current.year + total_months // 12
        target_month = total_months % 12 + 1
        target_day = min(current.day, _last_day_of_month(target_year, target_month))
        target = current.replace(year=target_year, month=target_month, day=target_day)
        return int((target - current).total_seconds())
    raise ValueError("Unsupported duration unit, passed duration: %s" % duration)


def _reset_unit(duration: str) -> Tuple[Optional[int], Optional[str]]:
    """get_next_standardized_reset_time's own reading of the value and unit (_parse_duration)."""
    match = RESET_UNIT_RE.match(_normalize_duration(duration))
    if not match:
        return None, None
    return _int_of_digits(match.group(1)), match.group(2)


def budget_duration_problem(value: str, now: Optional[float] = None) -> Optional[str]:
    """Why LiteLLM refuses ``value`` as a budget_duration (timezone_utils.py: budget_duration_error), or None."""
    try:
        if duration_in_seconds(value, now) <= 0:
            return "LiteLLM refuses a budget period of 0 seconds"
        count, unit = _reset_unit(value)
    except (ValueError, OverflowError):
        return DURATION_HINT
    if unit == "mo" and count != 1:
        return "LiteLLM resets a budget on the calendar only every 1mo; for longer periods count days (for example 60d)"
    if unit in ("d", "w"):
        days = count if unit == "d" else count * 7
        if days not in (0, 1, 7, 30):
            today = datetime.now(timezone.utc) if now is None else datetime.fromtimestamp(now, timezone.utc)
            try:
                today.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=days)
            except OverflowError:
                return "its first reset would fall after the year 9999"
    return None


def budget_duration_resets_daily(value: Optional[str]) -> bool:
    """True when LiteLLM accepts ``value`` but schedules its resets for the next midnight, every day,
    because get_next_standardized_reset_time does not know its unit (30days, 1month, 1min)."""
    if value is None or budget_duration_problem(value) is not None:
        return False
    return _reset_unit(value)[1] not in RESET_UNITS


def key_duration_problem(value: str, now: Optional[float] = None) -> Optional[str]:
    """Why LiteLLM cannot create a key that expires after ``value`` (generate_key_helper_fn:
    duration_in_seconds, then added to the current time), or None."""
    try:
        seconds = duration_in_seconds(value, now)
    except (ValueError, OverflowError):
        return DURATION_HINT
    start = datetime.now(timezone.utc) if now is None else datetime.fromtimestamp(now, timezone.utc)
    try:
        start + timedelta(seconds=seconds)
    except OverflowError:
        return "the key would expire after the year 9999"
    return None


# Limits ----------------------------------------------------------------------------------

# The PostgreSQL column each integer limit is stored in (proxy/schema.prisma, and the migration
# SQL of litellm-proxy-extras): the same in LiteLLM_VerificationToken (keys), LiteLLM_TeamTable
# and LiteLLM_BudgetTable. Prisma Int is int4, BigInt int8; a value beyond the column makes the
# write fail late, inside the database. max_budget and soft_budget are Float (double precision):
# any finite number fits.
INT4 = (-(2**31), 2**31 - 1, "PostgreSQL integer")
INT8 = (-(2**63), 2**63 - 1, "PostgreSQL bigint")
LIMIT_COLUMNS = {"max_parallel_requests": INT4, "tpm_limit": INT8, "rpm_limit": INT8}

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
    """Explain why LiteLLM refuses ``value`` as a budget_duration, or return None."""
    if value is None:
        return None
    problem = budget_duration_problem(value)
    return None if problem is None else "%s: invalid duration %r; %s" % (field, value, problem)


def key_duration_error(field: str, value: Optional[str]) -> Optional[str]:
    """Explain why LiteLLM cannot create a key with ``duration: value``, or return None."""
    if value is None:
        return None
    problem = key_duration_problem(value)
    return None if problem is None else "%s: invalid duration %r; %s" % (field, value, problem)


def duration_errors(prefix: str, params: Mapping[str, Any], fields: Sequence[str]) -> List[str]:
    """Errors of the named durations: a key's ``duration`` (its lifetime) or a ``budget_duration``."""
    errors = [
        (key_duration_error if field == "duration" else duration_error)(prefix + field, params.get(field))
        for field in fields
    ]
    return [error for error in errors if error]


def duration_warnings(
    prefix: str, params: Mapping[str, Any], fields: Sequence[str] = ("budget_duration",)
) -> List[str]:
    """Budget durations LiteLLM accepts but resets every day at midnight."""
    warnings = []
    for field in fields:
        value = params.get(field)
        if budget_duration_resets_daily(value):
            warnings.append(
                "%s%s: LiteLLM accepts %r but does not know the unit %r when it schedules resets, so the budget "
                "resets every day at midnight; write the unit as one of %s (for example 30d, 12h, 1mo)"
                % (prefix, field, value, _reset_unit(value)[1], ", ".join(RESET_UNITS))
            )
    return warnings


def numeric_errors(prefix: str, params: Mapping[str, Any], fields: Sequence[str]) -> List[str]:
    """Budgets and limits: finite, >= 0, and (integer limits) within the column LiteLLM stores them in."""
    errors = []
    for field in fields:
        value = params.get(field)
        if value is None:
            continue
        if value < 0 or (isinstance(value, float) and not math.isfinite(value)):
            errors.append("%s%s: must be a finite number >= 0, got %s" % (prefix, field, value))
        elif field in LIMIT_COLUMNS and value > LIMIT_COLUMNS[field][1]:
            _lowest, highest, column = LIMIT_COLUMNS[field]
            errors.append(
                "%s%s: %s exceeds the largest value LiteLLM can store (%s, %s)"
                % (prefix, field, value, highest, column)
            )
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
    if OWNER_KEY in metadata:
        return ["%smetadata: key %r is reserved: set the owner with the owner option" % (prefix, OWNER_KEY)]
    return []


# An owner names a namespace of keys; it is compared exactly and shown in results and messages.
OWNER_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:/-]{0,63}")


def owner_errors(prefix: str, owner: Optional[str]) -> List[str]:
    """``owner`` unset, or 1 to 64 characters: letters, digits and ``. _ : / -``, starting with a
    letter or digit."""
    if owner is None or OWNER_PATTERN.fullmatch(owner):
        return []
    return [
        "%sowner: %r is not a valid owner; use 1 to 64 letters, digits, dots, underscores, colons, slashes "
        "and dashes, starting with a letter or digit" % (prefix, owner)
    ]
