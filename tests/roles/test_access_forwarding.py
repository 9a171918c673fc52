"""The access role forwards every option of the modules it calls, under the same name.

A declaration in ``access_litellm_budgets`` or ``access_litellm_teams`` takes the options of
llmops.litellm.litellm_budget / litellm_team (the role's documentation says so); an option the
role's task does not pass on would be dropped without a word. This reads the modules' own
DOCUMENTATION and the role's tasks and fails on any option that is not forwarded as
``item.<option>`` (or set by the role for a stated reason)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
TASKS = ROOT / "roles" / "access" / "tasks" / "apply.yml"
CONNECTION = {"api_base", "master_key", "validate_certs", "timeout"}
# Options the role sets itself, with the reason.
SET_BY_ROLE = {
    "state": "the role splits declarations by state: present ones here, absent ones in the removal tasks",
    "validate_models": "one switch for the whole role, access_litellm_validate_models",
    "force": "only meaningful when removing: forwarded by 'Remove teams declared absent'",
    "detach": "only meaningful when removing: forwarded by 'Remove budgets declared absent'",
}


def module_options(module: str) -> set[str]:
    tree = ast.parse((ROOT / "plugins" / "modules" / f"{module}.py").read_text())
    doc = next(n.value.value for n in tree.body if isinstance(n, ast.Assign) and n.targets[0].id == "DOCUMENTATION")
    options = set(yaml.safe_load(doc)["options"])
    assert options, f"{module}: no options documented"
    return options - CONNECTION


def tasks() -> list[dict]:
    blocks = yaml.safe_load(TASKS.read_text())
    found = [t for b in blocks for t in b.get("block", [b])]
    assert found, f"no tasks in {TASKS}"
    return found


def task_args(name: str) -> dict:
    task = next((t for t in tasks() if t.get("name") == name), None)
    assert task is not None, f"{TASKS} has no task named {name!r}"
    module = next(k for k in task if k.startswith("llmops.litellm."))
    return task[module]


@pytest.mark.parametrize(
    ("task", "module"),
    [("Apply budgets", "litellm_budget"), ("Apply teams", "litellm_team")],
)
def test_every_module_option_is_forwarded_under_its_name(task: str, module: str) -> None:
    args = task_args(task)
    missing = sorted(module_options(module) - set(args) - set(SET_BY_ROLE))
    assert not missing, f"{task}: the role drops {missing} of llmops.litellm.{module}"
    for option, value in args.items():
        if option in SET_BY_ROLE:
            continue
        assert re.fullmatch(rf"\{{\{{ item\.{option}( \| default\(omit\))? \}}\}}", str(value)), (
            f"{task}: {option} is forwarded as {value!r}, not item.{option}"
        )
    assert not set(args) - module_options(module), f"{task}: options the module does not take"


def test_removal_forwards_force() -> None:
    args = task_args("Remove teams declared absent")
    assert args.get("force") == "{{ item.force | default(omit) }}"
    assert args.get("state") == "absent"


def test_budget_removal_forwards_detach() -> None:
    args = task_args("Remove budgets declared absent")
    assert args.get("detach") == "{{ item.detach | default(omit) }}"
    assert args.get("state") == "absent"


def test_keys_are_handed_over_whole() -> None:
    """Keys go to litellm_keys as the declared list, so every key option reaches the module."""
    args = task_args("Apply keys")
    assert args["keys"] == "{{ access_litellm_keys }}"
    assert args["key_defaults"] == "{{ access_litellm_key_defaults }}"


def test_keys_task_passes_every_option_of_the_bulk_module() -> None:
    """The options of litellm_keys besides the declarations come from access_litellm_keys_<option>."""
    args = task_args("Apply keys")
    missing = sorted(module_options("litellm_keys") - set(args))
    assert not missing, f"Apply keys: the role drops {missing} of llmops.litellm.litellm_keys"
    # An empty owner means no owner: the option is left out rather than sent empty (which the module refuses).
    assert args["owner"] == "{{ access_litellm_keys_owner | default(omit, true) }}"
    for option in ("exclusive", "exclusive_action", "exclusive_scope"):
        assert args[option] == "{{ access_litellm_keys_%s }}" % option


def test_the_default_owner_is_named_after_the_stack() -> None:
    defaults = yaml.safe_load((ROOT / "roles" / "access" / "defaults" / "main.yml").read_text())
    assert defaults["access_litellm_keys_owner"] == "{{ llmops_stack_name }}-access"
