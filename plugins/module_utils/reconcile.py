# -*- coding: utf-8 -*-
# Copyright: (c) 2026, llmops maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Generic normalise / compare / redact helpers for declarative API modules.

Nothing here knows about a particular API: callers pass plain mappings (decoded JSON) and
say which fields they manage, which are set-like, and which are secret. The functions are
pure, so the same desired state always yields the same plan, diff and result.

Stable interface (other API families import it):
``normalize``, ``values_equal``, ``changed_fields``, ``FieldChange``, ``subset``,
``without_keys``, ``prune_none``, ``redact``, ``ansible_diff``, ``index_by``, ``REDACTED``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any, Callable, Collection, Dict, List, NamedTuple, Optional, Tuple

REDACTED = "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"


class FieldChange(NamedTuple):
    """One managed field whose current value differs from the desired one."""

    before: Any
    after: Any


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _sort_key(value: Any) -> Tuple[str, str]:
    # Mixed-type lists must still sort deterministically, so order by type name first.
    return (type(value).__name__, repr(value))


def normalize(value: Any, unordered: bool = False) -> Any:
    """Return a canonical, comparable copy of a JSON-like value.

    Integral floats become ints (APIs echo ``10`` as ``10.0``), mappings become dicts with
    sorted keys, tuples become lists. With ``unordered`` the top-level list is sorted and
    de-duplicated so that it compares as a set.
    """
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value)
    if isinstance(value, Mapping):
        return {str(key): normalize(value[key]) for key in sorted(value, key=str)}
    if isinstance(value, (list, tuple)):
        items = [normalize(item) for item in value]
        if unordered:
            unique = []
            for item in items:
                if item not in unique:
                    unique.append(item)
            return sorted(unique, key=_sort_key)
        return items
    return value


def values_equal(desired: Any, current: Any, unordered: bool = False) -> bool:
    """Compare two JSON-like values after normalisation.

    Numbers compare by value (``1 == 1.0``) but booleans never equal numbers, and strings
    never equal numbers: an API that stores ``"10"`` for ``10`` is reported as a change.
    """
    left = normalize(desired, unordered)
    right = normalize(current, unordered)
    return _deep_equal(left, right)


def _deep_equal(left: Any, right: Any) -> bool:
    if isinstance(left, bool) or isinstance(right, bool):
        return isinstance(left, bool) and isinstance(right, bool) and left == right
    if _is_number(left) and _is_number(right):
        return math.isclose(float(left), float(right), rel_tol=1e-12, abs_tol=1e-12)
    if isinstance(left, dict) and isinstance(right, dict):
        return left.keys() == right.keys() and all(_deep_equal(left[key], right[key]) for key in left)
    if isinstance(left, list) and isinstance(right, list):
        return len(left) == len(right) and all(_deep_equal(left[index], right[index]) for index in range(len(left)))
    return type(left) is type(right) and left == right


def changed_fields(
    desired: Mapping[str, Any],
    current: Optional[Mapping[str, Any]],
    unordered_fields: Collection[str] = (),
    comparators: Optional[Mapping[str, Callable[[Any, Any], bool]]] = None,
) -> Dict[str, FieldChange]:
    """Return the managed fields whose current value differs from the desired one.

    Only the keys present in ``desired`` are managed: a field the caller did not declare is
    never compared, so server-managed fields cannot cause a change. A key whose desired value
    is ``None`` means "must be unset" and is compared like any other value. ``comparators``
    overrides the comparison for single fields (for example partial dict matching).
    """
    current = current or {}
    special = comparators or {}
    changes = {}
    for name in sorted(desired):
        want = desired[name]
        have = current.get(name)
        if name in special:
            same = special[name](want, have)
        else:
            same = values_equal(want, have, unordered=name in unordered_fields)
        if not same:
            changes[name] = FieldChange(before=have, after=want)
    return changes


def subset(desired: Mapping[str, Any], current: Optional[Mapping[str, Any]]) -> bool:
    """True when every key of ``desired`` is present in ``current`` with an equal value."""
    current = current or {}
    return all(key in current and values_equal(value, current[key]) for key, value in desired.items())


def without_keys(mapping: Optional[Mapping[str, Any]], keys: Iterable[str]) -> Dict[str, Any]:
    """Return a shallow copy of ``mapping`` without ``keys`` (``None`` reads as empty)."""
    drop = set(keys)
    return {key: value for key, value in (mapping or {}).items() if key not in drop}


def prune_none(mapping: Mapping[str, Any]) -> Dict[str, Any]:
    """Return a shallow copy of ``mapping`` without the keys whose value is ``None``."""
    return {key: value for key, value in mapping.items() if value is not None}


def redact(value: Any, secret_keys: Collection[str], placeholder: str = REDACTED) -> Any:
    """Return a deep copy of ``value`` where every mapping entry named in ``secret_keys`` is masked.

    Masking is by key name at any depth, so a secret nested in a list of objects is caught.
    ``None`` stays ``None`` so that "not set" remains visible in diffs.
    """
    if isinstance(value, Mapping):
        return {
            key: (placeholder if key in secret_keys and item is not None else redact(item, secret_keys, placeholder))
            for key, item in value.items()
        }
    if isinstance(value, (list, tuple)):
        return [redact(item, secret_keys, placeholder) for item in value]
    return value


def ansible_diff(
    before: Optional[Mapping[str, Any]],
    after: Optional[Mapping[str, Any]],
    secret_keys: Collection[str] = (),
    before_header: Optional[str] = None,
    after_header: Optional[str] = None,
) -> Dict[str, Any]:
    """Build the ``diff`` return value Ansible renders with ``--diff``.

    Both sides are normalised (sorted keys) and redacted; an absent object is an empty dict
    so that creation and deletion render as a full add or remove.
    """
    diff = {
        "before": redact(normalize(dict(before or {})), secret_keys),
        "after": redact(normalize(dict(after or {})), secret_keys),
    }
    if before_header:
        diff["before_header"] = before_header
    if after_header:
        diff["after_header"] = after_header
    return diff


def index_by(
    items: Iterable[Mapping[str, Any]], key: str
) -> Tuple[Dict[Any, Mapping[str, Any]], Dict[Any, List[Mapping[str, Any]]]]:
    """Index objects by one field; return ``(unique, duplicates)``.

    Objects without the field (or with ``None``) are skipped. ``duplicates`` holds every
    object of an identity that occurs more than once, so callers can refuse to act on it.
    """
    groups: Dict[Any, List[Mapping[str, Any]]] = {}
    for item in items:
        identity = item.get(key)
        if identity is None:
            continue
        groups.setdefault(identity, []).append(item)
    unique = {identity: group[0] for identity, group in groups.items() if len(group) == 1}
    duplicates = {identity: group for identity, group in groups.items() if len(group) > 1}
    return unique, duplicates
