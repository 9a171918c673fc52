"""What ansible-doc shows for every module: the documentation fragments merged as Ansible merges them.

Each module must declare the action group meta/runtime.yml puts it in (so ``module_defaults`` with
``group/llmops.litellm.<family>`` is documented where users read it), with its check and diff mode
support, and keep its own RETURN (ansible-doc cannot take RETURN from a fragment).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from collection_under_test import collections_path

REPO = Path(__file__).resolve().parents[4]

RUNTIME = yaml.safe_load((REPO / "meta" / "runtime.yml").read_text())
GROUP_OF = {module: group for group, modules in RUNTIME["action_groups"].items() for module in modules}
# Modules that act on the managed host itself, not on an API: in no action group, no connection options.
HOST_MODULES = ["config_files"]
ALL_MODULES = sorted(path.stem for path in (REPO / "plugins" / "modules").glob("*.py"))
MODULES = [name for name in ALL_MODULES if name not in HOST_MODULES]


@pytest.fixture(scope="module")
def docs() -> dict:
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=collections_path(), ANSIBLE_NOCOLOR="1")
    command = [str(Path(sys.executable).parent / "ansible-doc"), "-j"] + ["llmops.litellm." + m for m in ALL_MODULES]
    proc = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_every_api_module_is_in_an_action_group():
    assert sorted(GROUP_OF) == MODULES
    assert set(HOST_MODULES) <= set(ALL_MODULES)


@pytest.mark.parametrize("name", MODULES)
def test_attributes_name_the_action_group(docs, name):
    doc = docs["llmops.litellm." + name]["doc"]
    attributes = doc["attributes"]
    assert attributes["action_group"]["support"] == "full"
    assert attributes["action_group"]["membership"] == ["llmops.litellm." + GROUP_OF[name]]
    assert attributes["check_mode"]["support"] == "full"
    expected_diff = "N/A" if name.endswith("_info") else "full"
    assert attributes["diff_mode"]["support"] == expected_diff
    assert all(attribute.get("description") for attribute in attributes.values())


@pytest.mark.parametrize("name", MODULES)
def test_connection_options_and_return_values_are_documented(docs, name):
    entry = docs["llmops.litellm." + name]
    options = entry["doc"]["options"]
    connection = ("api_base", "master_key") if GROUP_OF[name] == "litellm" else ("grafana_url", "grafana_token")
    assert set(connection) <= set(options)
    assert "error" in entry["return"]


@pytest.mark.parametrize("name", HOST_MODULES)
def test_host_modules_document_check_and_diff_mode_and_their_return_values(docs, name):
    entry = docs["llmops.litellm." + name]
    attributes = entry["doc"]["attributes"]
    assert "action_group" not in attributes
    assert attributes["check_mode"]["support"] == "full"
    assert attributes["diff_mode"]["support"] == "full"
    assert all(attribute.get("description") or attribute.get("platforms") for attribute in attributes.values())
    assert entry["return"], f"{name} documents no return value"
