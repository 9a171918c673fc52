"""The generic normalise / compare / redact helpers of plugins/module_utils/reconcile.py."""

from __future__ import annotations

import pytest
from ansible_collections.llmops.litellm.plugins.module_utils.reconcile import (
    REDACTED,
    FieldChange,
    ansible_diff,
    changed_fields,
    index_by,
    normalize,
    prune_none,
    redact,
    subset,
    values_equal,
    without_keys,
)


def test_normalize_makes_integral_floats_ints_and_sorts_mapping_keys():
    value = normalize({"b": 2.0, "a": [1.5, (3.0,)], "c": {"z": 1, "y": 0.0}})
    assert value == {"a": [1.5, [3]], "b": 2, "c": {"y": 0, "z": 1}}
    assert list(value) == ["a", "b", "c"]
    assert isinstance(value["b"], int)


def test_normalize_unordered_sorts_and_deduplicates_the_top_level_list():
    assert normalize(["b", "a", "b"], unordered=True) == ["a", "b"]
    assert normalize(["b", "a", "b"]) == ["b", "a", "b"]
    assert normalize([2, "1", 1.0], unordered=True) == [1, 2, "1"]


@pytest.mark.parametrize(
    ("left", "right", "unordered", "equal"),
    [
        (10, 10.0, False, True),
        (0.1 + 0.2, 0.3, False, True),
        (True, 1, False, False),
        (False, 0, False, False),
        ("10", 10, False, False),
        (None, 0, False, False),
        ({"a": [1, {"b": 2.0}]}, {"a": [1, {"b": 2}]}, False, True),
        ({"a": 1}, {"a": 1, "b": None}, False, False),
        (["x", "y"], ["y", "x"], False, False),
        (["x", "y"], ["y", "x", "x"], True, True),
        ([], None, False, False),
    ],
)
def test_values_equal(left, right, unordered, equal):
    assert values_equal(left, right, unordered=unordered) is equal


def test_changed_fields_compares_only_declared_fields():
    desired = {"max_budget": 10, "models": ["a", "b"]}
    current = {"max_budget": 10.0, "models": ["b", "a"], "spend": 123.4, "created_at": "now"}
    assert changed_fields(desired, current, unordered_fields=("models",)) == {}


def test_changed_fields_reports_before_and_after():
    changes = changed_fields({"rpm_limit": 20, "tpm_limit": None}, {"rpm_limit": 10, "tpm_limit": 5})
    assert changes == {
        "rpm_limit": FieldChange(before=10, after=20),
        "tpm_limit": FieldChange(before=5, after=None),
    }
    assert list(changes) == sorted(changes)


def test_changed_fields_treats_a_missing_current_object_as_empty():
    assert changed_fields({"a": 1}, None) == {"a": FieldChange(None, 1)}


def test_changed_fields_uses_a_field_comparator():
    def same_tags(want, have):
        return set(want) <= set(have or [])

    assert changed_fields({"tags": ["x"]}, {"tags": ["x", "y"]}, comparators={"tags": same_tags}) == {}
    assert "tags" in changed_fields({"tags": ["z"]}, {"tags": ["x"]}, comparators={"tags": same_tags})


def test_subset_and_key_helpers():
    assert subset({"a": 1}, {"a": 1.0, "b": 2})
    assert not subset({"a": 1, "c": 3}, {"a": 1})
    assert not subset({"a": None}, {})
    assert without_keys({"a": 1, "b": 2}, ["b", "zz"]) == {"a": 1}
    assert without_keys(None, ["a"]) == {}
    assert prune_none({"a": None, "b": 0, "c": False}) == {"b": 0, "c": False}


def test_redact_masks_secret_keys_at_any_depth_but_keeps_unset_values():
    value = {"key": "sk-secret", "nested": [{"key": "sk-other", "alias": "a"}], "unset": {"key": None}}
    assert redact(value, {"key"}) == {
        "key": REDACTED,
        "nested": [{"key": REDACTED, "alias": "a"}],
        "unset": {"key": None},
    }
    assert value["key"] == "sk-secret"


def test_ansible_diff_is_normalised_redacted_and_labelled():
    diff = ansible_diff({"b": 1.0, "a": "x"}, {"a": "x", "key": "sk-new"}, secret_keys=("key",), after_header="after")
    assert diff == {"before": {"a": "x", "b": 1}, "after": {"a": "x", "key": REDACTED}, "after_header": "after"}
    assert list(diff["before"]) == ["a", "b"]
    assert ansible_diff(None, None) == {"before": {}, "after": {}}


def test_index_by_separates_duplicates_and_skips_missing_identities():
    items = [{"id": "a", "n": 1}, {"id": "b"}, {"id": "a", "n": 2}, {"id": None}, {"other": 1}]
    unique, duplicates = index_by(items, "id")
    assert unique == {"b": {"id": "b"}}
    assert duplicates == {"a": [{"id": "a", "n": 1}, {"id": "a", "n": 2}]}
