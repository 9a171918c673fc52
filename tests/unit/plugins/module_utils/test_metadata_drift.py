"""SERVER_METADATA_KEYS against the installed LiteLLM, so an upgrade that writes a new metadata key fails here.

The keys LiteLLM writes into a key's or team's ``metadata`` itself are read from the installed
package three ways:

1. the lists LiteLLM keeps of them (``litellm.proxy._types``: request fields it stores in
   metadata, reserved fields), imported;
2. every ``*SYSTEM_MANAGED_METADATA_KEYS`` constant of the management endpoints, read from source;
3. every write of a literal key into an object's metadata in the management endpoints
   (``x["metadata"]["k"] = ...``, ``team_metadata["k"] = ...``, ``x["metadata"] = {"k": ...}``),
   found in the source's syntax tree.

Anything found that the collection does not know would be reported as drift, or dropped on the
next metadata write, so the test names it and where it is written.
"""

from __future__ import annotations

import ast
import importlib.util
import os
import re
from pathlib import Path

import pytest
from ansible_collections.llmops.litellm.plugins.module_utils.litellm import metadata

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

LITELLM_SPEC = importlib.util.find_spec("litellm")
if LITELLM_SPEC is None or not LITELLM_SPEC.submodule_search_locations:
    pytest.skip("litellm is not installed", allow_module_level=True)
PROXY = Path(next(iter(LITELLM_SPEC.submodule_search_locations))) / "proxy"
ENDPOINTS = PROXY / "management_endpoints"
# Names under which the endpoints hold a key's or team's metadata dict.
OBJECT_METADATA_NAME = re.compile(r"^(team|key|token)_metadata$")
# Keys the scan finds in 1.106.12, so that a scan broken by a refactor of LiteLLM fails loudly
# instead of finding nothing and passing.
KNOWN_WRITES = {"tags", "team_member_budget_id", "logging", "callback_settings"}


def _holds_object_metadata(node: ast.AST) -> bool:
    if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant) and node.slice.value == "metadata":
        return True
    return isinstance(node, ast.Name) and bool(OBJECT_METADATA_NAME.match(node.id))


def metadata_writes(path: Path) -> dict[str, str]:
    """Literal metadata keys written in one source file, each with the line that writes it."""
    found = {}
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
            targets, value = [node.target], node.value
        else:
            continue
        for target in targets:
            if not (isinstance(target, ast.Subscript) and isinstance(target.slice, ast.Constant)):
                continue
            key = target.slice.value
            where = "%s:%s" % (path.relative_to(PROXY), node.lineno)
            if isinstance(key, str) and _holds_object_metadata(target.value):
                found.setdefault(key, where)
            if key == "metadata" and isinstance(value, ast.Dict):
                for item in value.keys:
                    if isinstance(item, ast.Constant) and isinstance(item.value, str):
                        found.setdefault(item.value, where)
    return found


def system_managed_constants(path: Path) -> dict[str, str]:
    """Keys listed in ``*SYSTEM_MANAGED_METADATA_KEYS`` assignments (class attributes included)."""
    found = {}
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            targets, value = [node.target], node.value
        else:
            continue
        names = [target.id for target in targets if isinstance(target, ast.Name)]
        if not any(name.endswith("SYSTEM_MANAGED_METADATA_KEYS") for name in names):
            continue
        for constant in ast.walk(value):
            if isinstance(constant, ast.Constant) and isinstance(constant.value, str):
                found.setdefault(constant.value, "%s:%s" % (path.relative_to(PROXY), node.lineno))
    return found


def server_written_keys() -> dict[str, str]:
    from litellm.proxy import _types  # noqa: PLC0415 - importing litellm is slow, only this test pays

    keys = {}
    for name in (
        "LiteLLM_ManagementEndpoint_MetadataFields",
        "LiteLLM_ManagementEndpoint_MetadataFields_Premium",
        "LiteLLM_Reserved_Metadata_Fields",
    ):
        for key in getattr(_types, name):
            keys.setdefault(key, "_types.py: %s" % name)
    for path in sorted(ENDPOINTS.rglob("*.py")):
        for key, where in {**system_managed_constants(path), **metadata_writes(path)}.items():
            keys.setdefault(key, where)
    return keys


def test_the_scan_still_sees_the_writes_it_knows():
    found = {}
    for path in sorted(ENDPOINTS.rglob("*.py")):
        found.update(metadata_writes(path))
        found.update(system_managed_constants(path))
    assert set(found) >= KNOWN_WRITES, "the scan of %s lost %s" % (ENDPOINTS, sorted(KNOWN_WRITES - set(found)))


def test_every_key_litellm_writes_into_metadata_is_a_server_key():
    missing = {key: where for key, where in server_written_keys().items() if key not in metadata.SERVER_METADATA_KEYS}
    assert missing == {}, (
        "LiteLLM writes these metadata keys itself; add them to SERVER_METADATA_KEYS "
        "(plugins/module_utils/litellm/metadata.py): %s" % missing
    )


def test_the_collections_own_keys_are_not_litellms():
    assert not set(metadata.RESERVED_KEYS) & set(server_written_keys())
