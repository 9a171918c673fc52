"""Shared plumbing of the LiteLLM integration tests: target selection, ansible-playbook runs."""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "sim"))

from litellm_sim.testing import REPO_ROOT, api, collections_path, tool  # noqa: E402

PLAYBOOKS = Path(__file__).parent / "playbooks"
REAL = bool(os.environ.get("LITELLM_API_BASE") and os.environ.get("LITELLM_MASTER_KEY"))
PREMIUM = os.environ.get("LITELLM_IT_PREMIUM") == "1"
DESTRUCTIVE = os.environ.get("LITELLM_IT_DESTRUCTIVE") == "1"
PREFIX = os.environ.get("LITELLM_IT_PREFIX") or f"it{secrets.token_hex(3)}-"
SIM_MASTER_KEY = "sk-it-master-" + secrets.token_hex(8)


def ansible_env(target: dict[str, str], tmp: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "ANSIBLE_COLLECTIONS_PATH": collections_path(),
            "LITELLM_API_BASE": target["api_base"],
            "LITELLM_MASTER_KEY": target["master_key"],
            "LITELLM_SIM_URL": target.get("sim_url", ""),
            "LITELLM_SIM_STATS_FILE": target.get("stats_file", ""),
            "ANSIBLE_LOCALHOST_WARNING": "false",
            "ANSIBLE_INVENTORY_UNPARSED_WARNING": "false",
            "ANSIBLE_NOCOLOR": "1",
            "ANSIBLE_LOCAL_TEMP": str(tmp / "ansible-tmp"),
            "ANSIBLE_RETRY_FILES_ENABLED": "false",
            # The modules' retry backoff (1 s, doubling) shortened: the suite exercises retries,
            # and every unreachable-URL case would otherwise wait 7 s.
            "LITELLM_RETRY_DELAY": "0.05",
        }
    )
    return env


def run_playbook(
    playbook: Path, env: dict[str, str], *extra: str, timeout: int = 600
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [tool("ansible-playbook"), str(playbook), *extra],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        cwd=REPO_ROOT,
    )


def recap(stdout: str) -> dict[str, int]:
    """The localhost line of PLAY RECAP as numbers (ok, changed, failed, ...)."""
    line = next(line for line in stdout.splitlines() if line.startswith("localhost") and "ok=" in line)
    return {name: int(value) for name, value in re.findall(r"(\w+)=(\d+)", line)}


def writes(target: dict[str, str]) -> int | None:
    """The simulator's write counter, or None against a real proxy."""
    if not target.get("stats_file"):
        return None
    return int(json.loads(Path(target["stats_file"]).read_text())["writes"])


def _all_keys(base: str, master_key: str) -> list[dict[str, Any]]:
    keys: list[dict[str, Any]] = []
    page = 1
    while True:
        status, listing = api(base, master_key, "GET", f"/key/list?return_full_object=true&size=100&page={page}")
        if status != 200:
            return keys
        keys.extend(listing["keys"])
        if page >= (listing.get("total_pages") or 0):
            return keys
        page += 1


def cleanup_real(base: str, master_key: str) -> None:
    """Remove what the suite created on a real proxy (every name carries the run prefix)."""
    tokens = [key["token"] for key in _all_keys(base, master_key) if (key.get("key_alias") or "").startswith(PREFIX)]
    if tokens:
        api(base, master_key, "POST", "/key/delete", {"keys": tokens})
    status, teams = api(base, master_key, "GET", "/team/list")
    team_ids = [
        team["team_id"]
        for team in (teams if status == 200 else [])
        if (team.get("team_alias") or "").startswith(PREFIX) or team["team_id"].startswith(PREFIX)
    ]
    if team_ids:
        api(base, master_key, "POST", "/team/delete", {"team_ids": team_ids})
    status, budgets = api(base, master_key, "GET", "/budget/list")
    for budget in budgets if status == 200 else []:
        if (budget.get("budget_id") or "").startswith(PREFIX):
            api(base, master_key, "POST", "/budget/delete", {"id": budget["budget_id"]})
