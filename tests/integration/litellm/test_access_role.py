"""The access role through playbooks/access.yml: check, apply, apply again, then one more key.

Asserts the recap (changed counts), the simulator's write counter, where generated keys end up
(a vault-encrypted file with mode 0600 that `ansible-vault view` opens) and that no generated
key value is ever printed.
"""

from __future__ import annotations

import json
import re
import stat
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from harness import PREFIX, REPO_ROOT, ansible_env, recap, run_playbook, writes
from litellm_sim.testing import api, tool

PLAYBOOK = REPO_ROOT / "playbooks" / "access.yml"
VAULT_PASSWORD = "it-vault-password-for-new-keys"


def declarations(tmp: Path, extra_keys: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {
        "access_litellm_budgets": [{"budget_id": PREFIX + "role-budget", "max_budget": 25, "budget_duration": "30d"}],
        "access_litellm_teams": [
            {
                "team_alias": PREFIX + "role-team",
                "max_budget": 100,
                "members": [{"user_id": PREFIX + "role-owner", "role": "admin"}],
            }
        ],
        "access_litellm_key_defaults": {"budget_duration": "30d", "max_budget": 5},
        "access_litellm_keys": [
            {"key_alias": PREFIX + "role-key-1", "team": PREFIX + "role-team"},
            {"key_alias": PREFIX + "role-key-2", "budget_id": PREFIX + "role-budget", "max_budget": 10},
            {"key_alias": PREFIX + "role-key-blocked", "state": "blocked"},
            *(extra_keys or []),
        ],
        "access_litellm_new_keys_file": str(tmp / "new-keys.vault.yml"),
        "access_litellm_new_keys_vault_password_file": str(tmp / "vault-password"),
    }


def apply(target: dict[str, str], tmp: Path, variables: dict[str, Any], *extra: str) -> tuple[dict[str, int], str]:
    vars_file = tmp / "access-vars.json"
    vars_file.write_text(json.dumps(variables))
    completed = run_playbook(PLAYBOOK, ansible_env(target, tmp), "-e", f"@{vars_file}", *extra)
    output = completed.stdout + completed.stderr
    assert completed.returncode == 0, output[-6000:]
    return recap(completed.stdout), output


def vault_view(tmp: Path) -> dict[str, str]:
    viewed = subprocess.run(
        [
            tool("ansible-vault"),
            "view",
            "--vault-password-file",
            str(tmp / "vault-password"),
            str(tmp / "new-keys.vault.yml"),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    return yaml.safe_load(viewed.stdout)


@pytest.fixture(scope="module")
def role_runs(target, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("access-role")
    (tmp / "vault-password").write_text(VAULT_PASSWORD + "\n")
    runs = []
    for name, check in (("check", True), ("apply", False), ("again", False)):
        before = writes(target)
        counts, output = apply(target, tmp, declarations(tmp), *(["--check"] if check else []))
        runs.append({"name": name, "recap": counts, "output": output, "writes": _delta(before, writes(target))})
    before = writes(target)
    extra = [{"key_alias": PREFIX + "role-key-3"}]
    counts, output = apply(target, tmp, declarations(tmp, extra))
    runs.append({"name": "one more key", "recap": counts, "output": output, "writes": _delta(before, writes(target))})
    return tmp, runs


def _delta(before: int | None, after: int | None) -> int | None:
    return None if before is None or after is None else after - before


def test_check_mode_predicts_changes_without_writing(role_runs):
    runs = role_runs[1]
    check = runs[0]
    # Exactly the three apply tasks (budgets, teams, keys); no keys file in check mode.
    assert check["recap"]["changed"] == 3, check["output"][-3000:]
    assert check["writes"] in (None, 0)
    assert check["recap"]["failed"] == 0


def test_first_apply_creates_everything(role_runs):
    runs = role_runs[1]
    first = runs[1]
    # Budgets, teams, keys and the new-keys file.
    assert first["recap"]["changed"] == 4, first["output"][-3000:]
    if first["writes"] is not None:
        # budget, team, three keys (one created blocked in the same request)
        assert first["writes"] == 5, first["output"][-3000:]


def test_second_apply_changes_nothing_and_writes_nothing(role_runs):
    runs = role_runs[1]
    again = runs[2]
    assert again["recap"]["changed"] == 0, again["output"][-3000:]
    assert again["writes"] in (None, 0)


def test_new_keys_are_in_a_vault_file_with_mode_0600(role_runs):
    tmp, runs = role_runs
    keys_file = tmp / "new-keys.vault.yml"
    assert stat.S_IMODE(keys_file.stat().st_mode) == 0o600
    assert keys_file.read_text().startswith("$ANSIBLE_VAULT;")
    stored = vault_view(tmp)
    expected = {PREFIX + name for name in ("role-key-1", "role-key-2", "role-key-blocked", "role-key-3")}
    assert set(stored) == expected
    assert all(re.fullmatch(r"sk-[A-Za-z0-9_-]{16,}", value) for value in stored.values())


def test_one_more_key_is_merged_into_the_file(role_runs):
    tmp, runs = role_runs
    last = runs[3]
    # The keys task and the new-keys file it is merged into.
    assert last["recap"]["changed"] == 2, last["output"][-3000:]
    if last["writes"] is not None:
        assert last["writes"] == 1
    assert PREFIX + "role-key-1" in vault_view(tmp)


def test_no_key_value_is_ever_printed(role_runs):
    tmp, runs = role_runs
    values = vault_view(tmp).values()
    for run in runs:
        for value in values:
            assert value not in run["output"], f"key value printed during {run['name']}"
        assert VAULT_PASSWORD not in run["output"]


def test_preflight_refuses_generated_keys_without_a_destination(target, tmp_path):
    variables = declarations(tmp_path)
    variables["access_litellm_new_keys_file"] = ""
    variables["access_litellm_new_keys_vault_password_file"] = ""
    before = writes(target)
    vars_file = tmp_path / "vars.json"
    vars_file.write_text(json.dumps(variables))
    completed = run_playbook(PLAYBOOK, ansible_env(target, tmp_path), "-e", f"@{vars_file}")
    assert completed.returncode != 0
    assert "would be lost" in completed.stdout
    assert _delta(before, writes(target)) in (None, 0)


def test_new_keys_can_go_to_an_awx_artifact_instead(target, tmp_path):
    variables = declarations(tmp_path, [{"key_alias": PREFIX + "role-key-stats"}])
    variables["access_litellm_keys"] = variables["access_litellm_keys"][-1:]
    variables["access_litellm_new_keys_file"] = ""
    variables["access_litellm_new_keys_vault_password_file"] = ""
    variables["access_litellm_new_keys_set_stats"] = True
    vars_file = tmp_path / "vars.json"
    vars_file.write_text(json.dumps(variables))
    env = ansible_env(target, tmp_path)
    env["ANSIBLE_SHOW_CUSTOM_STATS"] = "true"
    completed = run_playbook(PLAYBOOK, env, "-e", f"@{vars_file}")
    assert completed.returncode == 0, completed.stdout[-4000:]
    stats_line = completed.stdout[completed.stdout.index("CUSTOM STATS") :]
    # The stats block is JSON or YAML depending on callback_result_format.
    pattern = r"""["']?%s["']?\s*:\s*["']?sk-[A-Za-z0-9_-]{16,}""" % re.escape(PREFIX + "role-key-stats")
    assert re.search(pattern, stats_line), stats_line
    assert not (tmp_path / "new-keys.vault.yml").exists()


def test_exclusive_role_run_prunes_only_the_keys_of_its_owner(target, tmp_path):
    owner, other = PREFIX + "role-owner", PREFIX + "other-app"
    marker = {"llmops_managed_by": "llmops.litellm"}
    kept, stale, foreign = PREFIX + "owned-kept", PREFIX + "owned-stale", PREFIX + "foreign"
    for alias, key_owner in ((stale, owner), (foreign, other)):
        body = {"key_alias": alias, "metadata": {**marker, "llmops_owner": key_owner}}
        assert api(target["api_base"], target["master_key"], "POST", "/key/generate", body)[0] == 200
    variables = {
        "access_litellm_keys": [{"key_alias": kept, "key": "sk-it-owned-" + PREFIX + "0123456789"}],
        "access_litellm_keys_owner": owner,
        "access_litellm_keys_exclusive": True,
        "access_litellm_shutoff_probe": False,
    }
    apply(target, tmp_path, variables)
    records = {
        alias: only(api(target["api_base"], target["master_key"], "GET", KEY_LIST + alias)[1])
        for alias in (kept, stale, foreign)
    }
    assert records[kept]["metadata"]["llmops_owner"] == owner and not records[kept]["blocked"]
    assert records[stale]["blocked"] is True
    assert not records[foreign]["blocked"] and records[foreign]["metadata"]["llmops_owner"] == other
    before = writes(target)
    counts, _output = apply(target, tmp_path, variables)
    assert counts["changed"] == 0 and _delta(before, writes(target)) in (None, 0)


KEY_LIST = "/key/list?return_full_object=true&key_alias="


def only(listing: dict[str, Any]) -> dict[str, Any]:
    assert len(listing["keys"]) == 1, listing
    return listing["keys"][0]
