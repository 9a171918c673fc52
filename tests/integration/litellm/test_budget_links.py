"""litellm_budget refuses to delete a budget a team uses, with or without detach, through ansible-playbook.

A team given ``team_member_budget`` gets a budget LiteLLM names itself (``team-<alias>-budget-<hex>``,
kept in the team's ``metadata.team_member_budget_id``) and its members' memberships linked to it:
its id is only known once the team exists, so this is not one of test_litellm_modules.py's
static cases. LiteLLM has no request that unlinks a team's members' budget, so the module must
refuse the delete in check mode and in a real run, name the team, and write nothing.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from harness import PREFIX, ansible_env, run_playbook, writes
from litellm_sim.testing import api

TEAM_ALIAS = PREFIX + "budget-team"


def playbook(tmp: Path, budget_id: str, results: Path) -> Path:
    tasks = []
    for index, (check, detach) in enumerate(((True, False), (False, False), (True, True), (False, True))):
        tasks.append(
            {
                "name": f"Delete the team's budget (check {check}, detach {detach})",
                "llmops.litellm.litellm_budget": {"budget_id": budget_id, "state": "absent", "detach": detach},
                "check_mode": check,
                "diff": True,
                "register": f"step_{index}",
                "ignore_errors": True,
            }
        )
    tasks.append(
        {
            "name": "Write the results",
            "ansible.builtin.copy": {
                "content": "{{ [step_0, step_1, step_2, step_3] | to_json }}",
                "dest": str(results),
                "mode": "0600",
            },
        }
    )
    path = tmp / "budget-links.yml"
    path.write_text(
        yaml.safe_dump([{"hosts": "localhost", "connection": "local", "gather_facts": False, "tasks": tasks}])
    )
    return path


@pytest.fixture
def team_budget(target):
    base, master_key = target["api_base"], target["master_key"]
    status, team = api(
        base,
        master_key,
        "POST",
        "/team/new",
        {
            "team_alias": TEAM_ALIAS,
            "team_member_budget": 3,
            "members_with_roles": [{"user_id": PREFIX + "budget-team-member", "role": "user"}],
        },
    )
    assert status == 200, team
    budget_id = team["metadata"]["team_member_budget_id"]
    yield budget_id
    api(base, master_key, "POST", "/team/delete", {"team_ids": [team["team_id"]]})
    api(base, master_key, "POST", "/budget/delete", {"id": budget_id})


def test_a_budget_a_team_uses_is_never_deleted(target, team_budget, tmp_path):
    results = tmp_path / "results.json"
    before = writes(target)
    completed = run_playbook(playbook(tmp_path, team_budget, results), ansible_env(target, tmp_path))
    assert completed.returncode == 0, completed.stdout[-4000:]
    steps: list[dict[str, Any]] = json.loads(results.read_text())
    assert [step.get("failed") for step in steps] == [True] * 4, json.dumps(steps, indent=1)[:4000]
    for step in steps:
        assert "is still used by 1 team(s) (%s: its members' budget" % TEAM_ALIAS in step["msg"], step["msg"]
        assert "detach cannot" in step["msg"]
    if before is not None:
        assert writes(target) == before
    status, budgets = api(target["api_base"], target["master_key"], "POST", "/budget/info", {"budgets": [team_budget]})
    assert status == 200 and [budget["budget_id"] for budget in budgets] == [team_budget]
