"""End-to-end tests of the LiteLLM modules and the access role, run through ansible-playbook.

Target: a real LiteLLM proxy when LITELLM_API_BASE and LITELLM_MASTER_KEY are set (use a
dedicated instance: the suite creates and deletes keys, teams and budgets whose names start
with a random prefix), otherwise the simulator in tests/sim started on 127.0.0.1.

Against a real proxy, cases that need simulator-only set-up (duplicate aliases, which today's
LiteLLM refuses to create) are not generated, cases that need an Enterprise licence run only with
LITELLM_IT_PREMIUM=1, and cases that block or delete keys beyond the suite's own
(exclusive scope "all") run only with LITELLM_IT_DESTRUCTIVE=1 (`make test` runs this suite a
second time, against the Molecule stack's database-backed proxy, with it set). LITELLM_IT_MODELS="<m1>,<m2>"
names two models the real proxy serves (default: gpt-4o-mini,gpt-4o, which the simulator serves).

Every module case runs check / run / check / run and asserts changed = true, true, false,
false, and against the simulator the number of write requests of each step (0, >0, 0, 0).
Bad inputs must fail naming the field or URL with zero writes (those whose check mode differs run
check / run).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import secrets
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import pytest
from harness import DESTRUCTIVE, PLAYBOOKS, PREFIX, PREMIUM, REAL, REPO_ROOT, SIM_MASTER_KEY, ansible_env
from litellm_sim.testing import SimulatorProcess, tool

P = PREFIX
M1, M2 = (os.environ.get("LITELLM_IT_MODELS") or "gpt-4o-mini,gpt-4o").split(",")[:2]
IDEMPOTENT = [True, False, True, False]
BAD_INPUT = [False]


def sha256(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


@dataclass
class Case:
    name: str
    module: str
    args: dict[str, Any]
    kind: str = "idempotent"  # idempotent | noop | error | info | partial
    setup: list[dict[str, Any]] = field(default_factory=list)
    probe: str | None = None
    check: Callable[[dict[str, Any]], None] | None = None
    msg: tuple[str, ...] = ()
    sim_only: bool = False
    premium: bool = False
    destructive: bool = False
    steps: list[bool] | None = None
    expect_failed: list[bool] | None = None
    expect_done: dict[str, list[str]] | None = None  # kind "partial": what the failed run lists as done

    def step_list(self) -> list[bool]:
        if self.steps is not None:
            return self.steps
        return {"idempotent": IDEMPOTENT, "noop": IDEMPOTENT, "error": BAD_INPUT, "info": [False], "partial": [False]}[
            self.kind
        ]

    def left_out_because(self) -> str | None:
        if REAL and self.sim_only:
            return "needs simulator-only set-up"
        if REAL and self.premium and not PREMIUM:
            return "needs a LiteLLM Enterprise licence (set LITELLM_IT_PREMIUM=1)"
        if REAL and self.destructive and not DESTRUCTIVE:
            return "touches keys outside the suite (set LITELLM_IT_DESTRUCTIVE=1)"
        return None

    def spec(self) -> dict[str, Any]:
        spec = {"name": self.name, "module": self.module, "args": self.args, "steps": self.step_list()}
        if self.setup:
            spec["setup"] = self.setup
        if self.probe:
            spec["probe"] = self.probe
        return spec


def only_key(probe: dict[str, Any]) -> dict[str, Any]:
    assert probe["total_count"] == 1, probe
    return probe["keys"][0]


def key_probe(alias: str) -> str:
    return f"/key/list?return_full_object=true&key_alias={alias}"


def team_by_alias(probe: list[dict[str, Any]], alias: str) -> dict[str, Any]:
    matches = [team for team in probe if team.get("team_alias") == alias]
    assert len(matches) == 1, [team.get("team_alias") for team in probe]
    return matches[0]


def budget_by_id(probe: list[dict[str, Any]], budget_id: str) -> dict[str, Any] | None:
    return next((budget for budget in probe if budget["budget_id"] == budget_id), None)


def expect_key(alias: str, **fields: Any) -> Callable[[dict[str, Any]], None]:
    def check(probe: dict[str, Any]) -> None:
        record = only_key(probe)
        for name, value in fields.items():
            assert record[name] == value, (name, record[name], value)

    return check


def expect_team(alias: str, **fields: Any) -> Callable[[Any], None]:
    def check(probe: list[dict[str, Any]]) -> None:
        record = team_by_alias(probe, alias)
        for name, value in fields.items():
            assert record[name] == value, (name, record[name], value)

    return check


def expect_budget(budget_id: str, **fields: Any) -> Callable[[Any], None]:
    def check(probe: list[dict[str, Any]]) -> None:
        record = budget_by_id(probe, budget_id)
        assert record is not None, budget_id
        for name, value in fields.items():
            assert record[name] == value, (name, record[name], value)

    return check


def post(path: str, body: dict[str, Any], sim: bool = False, status: list[int] | None = None) -> dict[str, Any]:
    step = {"method": "POST", "path": path, "body": body, "sim": sim}
    if status:
        step["status"] = status
    return step


K1, K2, K3 = P + "key-1", P + "key-2", P + "key-3"
MK = P + "meta-key"


def hand_edited(declared: dict[str, Any], **added: Any) -> dict[str, Any]:
    """Metadata as the collection stored it for ``declared``, with keys another actor (the UI) added."""
    return {
        **declared,
        **added,
        "llmops_managed_by": "llmops.litellm",
        "llmops_metadata_keys": sorted(declared),
    }


def expect_metadata(
    record_of: Callable[[Any], dict[str, Any]], user: dict[str, Any], recorded: list[str]
) -> Callable[[Any], None]:
    def check(probe: Any) -> None:
        stored = record_of(probe)["metadata"]
        assert stored == {**user, "llmops_managed_by": "llmops.litellm", "llmops_metadata_keys": recorded}, stored

    return check


TEAM_K, BUDGET_K = P + "team-for-keys", P + "budget-for-keys"
CUSTOM_1 = "sk-it-custom-" + secrets.token_hex(8)
CUSTOM_2 = "sk-it-rotated-" + secrets.token_hex(8)


def check_k1_created(probe: dict[str, Any]) -> None:
    record = only_key(probe)
    assert record["models"] == [M1]
    assert record["max_budget"] == 10
    assert record["budget_duration"] == "30d"
    assert (record["rpm_limit"], record["tpm_limit"], record["max_parallel_requests"]) == (10, 1000, 2)
    assert record["metadata"] == {
        "owner": "platform",
        "llmops_managed_by": "llmops.litellm",
        "llmops_metadata_keys": ["owner"],
    }
    assert record["expires"] is not None


def check_server_metadata_kept(probe: dict[str, Any]) -> None:
    metadata = only_key(probe)["metadata"]
    assert metadata["owner"] == "search"
    assert metadata["model_rpm_limit"] == {M2: 5}
    assert metadata["llmops_managed_by"] == "llmops.litellm"


def check_soft_budget(value: float) -> Callable[[dict[str, Any]], None]:
    def check(probe: dict[str, Any]) -> None:
        assert only_key(probe)["litellm_budget_table"]["soft_budget"] == value

    return check


def check_team_of_key(probe: dict[str, Any]) -> None:
    assert only_key(probe)["team_id"] == P + "team-for-keys-id"


def check_absent(probe: dict[str, Any]) -> None:
    assert probe["total_count"] == 0, probe


def check_every_field_updated(probe: dict[str, Any]) -> None:
    record = only_key(probe)
    assert sorted(record["models"]) == sorted([M1, M2])
    assert (record["max_budget"], record["budget_duration"]) == (20, "1h")
    assert (record["rpm_limit"], record["tpm_limit"], record["max_parallel_requests"]) == (20, 2000, 4)
    assert record["litellm_budget_table"]["soft_budget"] == 5
    assert record["user_id"] == P + "user-1"
    assert record["metadata"] == {
        "owner": "search",
        "tier": "gold",
        "llmops_managed_by": "llmops.litellm",
        "llmops_metadata_keys": ["owner", "tier"],
    }


KEY_CASES = [
    Case(
        "key create",
        "litellm_key",
        {
            "key_alias": K1,
            "models": [M1],
            "max_budget": 10,
            "budget_duration": "30d",
            "rpm_limit": 10,
            "tpm_limit": 1000,
            "max_parallel_requests": 2,
            "metadata": {"owner": "platform"},
            "duration": "30d",
        },
        probe=key_probe(K1),
        check=check_k1_created,
    ),
    Case(
        "key no-op with every field set",
        "litellm_key",
        {
            "key_alias": K1,
            "models": [M1],
            "max_budget": 10.0,
            "budget_duration": "30d",
            "rpm_limit": 10,
            "tpm_limit": 1000,
            "max_parallel_requests": 2,
            "metadata": {"owner": "platform"},
            "duration": "7d",
        },
        kind="noop",
    ),
    Case(
        "key update every managed field",
        "litellm_key",
        {
            "key_alias": K1,
            "models": [M2, M1],
            "max_budget": 20,
            "budget_duration": "1h",
            "soft_budget": 5,
            "rpm_limit": 20,
            "tpm_limit": 2000,
            "max_parallel_requests": 4,
            "user_id": P + "user-1",
            "metadata": {"owner": "search", "tier": "gold"},
        },
        probe=key_probe(K1),
        check=check_every_field_updated,
    ),
    Case(
        "key models compared as a set, unset fields ignored",
        "litellm_key",
        {"key_alias": K1, "models": [M1, M2, M2]},
        kind="noop",
    ),
    Case(
        "key metadata rewritten by LiteLLM is kept and ignored",
        "litellm_key",
        {"key_alias": K1, "metadata": {"owner": "search"}},
        setup=[post("/key/update", {"key_alias": K1, "model_rpm_limit": {M2: 5}})],
        probe=key_probe(K1),
        check=check_server_metadata_kept,
    ),
    Case(
        "key update team by alias",
        "litellm_key",
        {"key_alias": K1, "team": TEAM_K, "clear_fields": ["user_id"]},
        setup=[post("/team/new", {"team_alias": TEAM_K, "team_id": P + "team-for-keys-id"})],
        probe=key_probe(K1),
        check=check_team_of_key,
    ),
    Case(
        "error key moved to a team its user is not in",
        "litellm_key",
        {"key_alias": P + "mover", "team": TEAM_K},
        kind="error",
        setup=[post("/key/generate", {"key_alias": P + "mover", "user_id": P + "outsider"})],
        msg=("team", P + "outsider", "not a member"),
    ),
    Case(
        "key update budget_id",
        "litellm_key",
        {"key_alias": K1, "budget_id": BUDGET_K},
        setup=[post("/budget/new", {"budget_id": BUDGET_K, "max_budget": 50})],
        probe=key_probe(K1),
        check=expect_key(K1, budget_id=BUDGET_K),
    ),
    Case(
        "key block",
        "litellm_key",
        {"key_alias": K1, "state": "blocked"},
        probe=key_probe(K1),
        check=expect_key(K1, blocked=True),
    ),
    Case(
        "key unblock with the flag",
        "litellm_key",
        {"key_alias": K1, "blocked": False},
        probe=key_probe(K1),
        check=expect_key(K1, blocked=False),
    ),
    Case(
        "key clear fields",
        "litellm_key",
        {"key_alias": K1, "clear_fields": ["rpm_limit", "max_parallel_requests"]},
        probe=key_probe(K1),
        check=expect_key(K1, rpm_limit=None, max_parallel_requests=None),
    ),
    Case(
        "key create with a custom value",
        "litellm_key",
        {"key_alias": K2, "key": CUSTOM_1, "max_budget": 1},
        probe=key_probe(K2),
        check=expect_key(K2, token=sha256(CUSTOM_1)),
    ),
    Case(
        "key rotate to a declared value",
        "litellm_key",
        {"key_alias": K2, "key": CUSTOM_2, "rotate_key": True},
        setup=[post("/_sim/config", {"premium_user": True}, sim=True)],
        probe=key_probe(K2),
        check=expect_key(K2, token=sha256(CUSTOM_2)),
        premium=True,
    ),
    Case("key delete", "litellm_key", {"key_alias": K2, "state": "absent"}, probe=key_probe(K2), check=check_absent),
    Case(
        "key create blocked on a wildcard model",
        "litellm_key",
        {"key_alias": K3, "state": "blocked", "models": ["openai/gpt-4.1"]},
        probe=key_probe(K3),
        check=expect_key(K3, blocked=True, models=["openai/gpt-4.1"]),
        sim_only=True,
    ),
    Case(
        "key metadata create records the declared keys",
        "litellm_key",
        {"key_alias": MK, "metadata": {"owner": "a", "tier": "x"}},
        probe=key_probe(MK),
        check=expect_metadata(only_key, {"owner": "a", "tier": "x"}, ["owner", "tier"]),
    ),
    Case(
        "key metadata another actor's key is kept, a key no longer declared is removed",
        "litellm_key",
        {"key_alias": MK, "metadata": {"owner": "b"}},
        setup=[
            post(
                "/key/update",
                {"key_alias": MK, "metadata": hand_edited({"owner": "a", "tier": "x"}, cost_center="cc-9")},
            )
        ],
        probe=key_probe(MK),
        check=expect_metadata(only_key, {"owner": "b", "cost_center": "cc-9"}, ["owner"]),
    ),
    Case(
        "key metadata another actor's key alone is no change",
        "litellm_key",
        {"key_alias": MK, "metadata": {"owner": "b"}},
        kind="noop",
        setup=[
            post(
                "/key/update",
                {"key_alias": MK, "metadata": hand_edited({"owner": "b"}, cost_center="cc-9", reviewer="zoe")},
            )
        ],
    ),
    Case("key info by alias", "litellm_key_info", {"key_alias": K1}, kind="info"),
    Case("key info by team", "litellm_key_info", {"team": TEAM_K}, kind="info"),
]

BULK = [P + f"bulk-{index}" for index in range(1, 6)]
HAND = P + "hand-made"


def bulk_keys(**changes: dict[str, Any]) -> list[dict[str, Any]]:
    declared = [
        {"key_alias": BULK[0], "max_budget": 1},
        {"key_alias": BULK[1], "max_budget": 2},
        {"key_alias": BULK[2], "max_budget": 3, "team": TEAM_K},
        {"key_alias": BULK[3], "rpm_limit": 30},
        {"key_alias": BULK[4], "state": "blocked"},
    ]
    for entry in declared:
        entry.update(changes.get(entry["key_alias"], {}))
    return declared


BULK_DEFAULTS = {"models": [M1], "budget_duration": "30d", "metadata": {"owner": "bulk"}}


def check_bulk_created(probe: dict[str, Any]) -> None:
    records = {record["key_alias"]: record for record in probe["keys"] if record["key_alias"] in BULK}
    assert sorted(records) == sorted(BULK)
    assert records[BULK[2]]["team_id"] == P + "team-for-keys-id"
    assert records[BULK[4]]["blocked"] is True
    assert all(record["models"] == [M1] for record in records.values())
    assert all(record["metadata"]["owner"] == "bulk" for record in records.values())


def bulk_states(probe: dict[str, Any]) -> dict[str, Any]:
    return {record["key_alias"]: bool(record["blocked"]) for record in probe["keys"]}


def check_exclusive_block(probe: dict[str, Any]) -> None:
    states = bulk_states(probe)
    assert states[BULK[1]] is False
    assert states[BULK[3]] is True
    assert states[HAND] is False
    assert states[BULK[0]] is False


def check_exclusive_delete(probe: dict[str, Any]) -> None:
    states = bulk_states(probe)
    assert BULK[3] not in states
    assert BULK[4] not in states
    assert states[HAND] is False


def check_exclusive_all(probe: dict[str, Any]) -> None:
    states = bulk_states(probe)
    assert states[HAND] is True
    assert states[BULK[0]] is False


ALL_KEYS_PROBE = "/key/list?return_full_object=true&size=100"

BULK_CASES = [
    Case(
        "bulk create",
        "litellm_keys",
        {"keys": bulk_keys(), "key_defaults": BULK_DEFAULTS},
        probe=ALL_KEYS_PROBE,
        check=check_bulk_created,
    ),
    Case("bulk no-op", "litellm_keys", {"keys": bulk_keys(), "key_defaults": BULK_DEFAULTS}, kind="noop"),
    Case(
        "bulk update one key and block another",
        "litellm_keys",
        {
            "keys": bulk_keys(**{BULK[0]: {"max_budget": 9}, BULK[1]: {"state": "blocked"}}),
            "key_defaults": BULK_DEFAULTS,
        },
        probe=ALL_KEYS_PROBE,
        check=lambda p: bulk_states(p)[BULK[1]] or pytest.fail("not blocked"),
    ),
    Case(
        "bulk exclusive blocks undeclared managed keys only, unblocks declared",
        "litellm_keys",
        {
            "keys": bulk_keys(**{BULK[0]: {"max_budget": 9}})[:3] + [{"key_alias": K1}],
            "key_defaults": BULK_DEFAULTS,
            "exclusive": True,
        },
        setup=[post("/key/generate", {"key_alias": HAND})],
        probe=ALL_KEYS_PROBE,
        check=check_exclusive_block,
        destructive=True,
    ),
    Case(
        "bulk exclusive delete",
        "litellm_keys",
        {
            "keys": bulk_keys(**{BULK[0]: {"max_budget": 9}})[:3] + [{"key_alias": K1}],
            "key_defaults": BULK_DEFAULTS,
            "exclusive": True,
            "exclusive_action": "delete",
        },
        probe=ALL_KEYS_PROBE,
        check=check_exclusive_delete,
        destructive=True,
    ),
    Case(
        "bulk exclusive scope all blocks hand-made keys",
        "litellm_keys",
        {
            "keys": bulk_keys(**{BULK[0]: {"max_budget": 9}})[:3] + [{"key_alias": K1}],
            "key_defaults": BULK_DEFAULTS,
            "exclusive": True,
            "exclusive_scope": "all",
        },
        probe=ALL_KEYS_PROBE,
        check=check_exclusive_all,
        destructive=True,
    ),
    Case(
        "bulk delete declared absent",
        "litellm_keys",
        {"keys": [{"key_alias": alias, "state": "absent"} for alias in BULK[:3] + [HAND]]},
        probe=ALL_KEYS_PROBE,
        check=lambda p: not (set(BULK[:3] + [HAND]) & {r["key_alias"] for r in p["keys"]}) or pytest.fail(str(p)),
    ),
]

# Two owners sharing the proxy, each exclusive over its own keys.
OWNER_A, OWNER_B = P + "owner-a", P + "owner-b"
A_KEEP, A_STALE, B_KEY, UNOWNED = P + "a-keep", P + "a-stale", P + "b-key", P + "unowned"


def owned_key(alias: str, owner: str | None) -> dict[str, Any]:
    """A key as the collection makes it for ``owner`` (no owner: as an older version made it)."""
    stored = {"llmops_managed_by": "llmops.litellm"}
    if owner:
        stored["llmops_owner"] = owner
    return post("/key/generate", {"key_alias": alias, "metadata": stored})


def check_owner_scope(probe: dict[str, Any]) -> None:
    records = {record["key_alias"]: record for record in probe["keys"]}
    assert records[A_STALE]["blocked"] is True
    assert not records[B_KEY]["blocked"] and not records[UNOWNED]["blocked"], records
    assert records[A_KEEP]["metadata"]["llmops_owner"] == OWNER_A
    assert records[A_KEEP]["metadata"]["llmops_managed_by"] == "llmops.litellm"
    assert records[B_KEY]["metadata"]["llmops_owner"] == OWNER_B


OWNER_CASES = [
    Case(
        "bulk exclusive with an owner prunes only that owner's keys",
        "litellm_keys",
        {"keys": [{"key_alias": A_KEEP}], "owner": OWNER_A, "exclusive": True},
        setup=[owned_key(A_STALE, OWNER_A), owned_key(B_KEY, OWNER_B), owned_key(UNOWNED, None)],
        probe=ALL_KEYS_PROBE,
        check=check_owner_scope,
    ),
    Case(
        "bulk owner takes over a key without an owner",
        "litellm_keys",
        {"keys": [{"key_alias": A_KEEP}, {"key_alias": UNOWNED}], "owner": OWNER_A, "exclusive": True},
        probe=key_probe(UNOWNED),
        check=lambda p: only_key(p)["metadata"]["llmops_owner"] == OWNER_A or pytest.fail(str(p)),
    ),
    Case(
        "error bulk key of another owner",
        "litellm_keys",
        {"keys": [{"key_alias": A_KEEP}, {"key_alias": B_KEY, "max_budget": 1}], "owner": OWNER_A},
        kind="error",
        msg=(f"keys[1] ({B_KEY}): owner: key '{B_KEY}' belongs to owner '{OWNER_B}'", f"owner '{OWNER_A}'"),
    ),
    Case(
        "error bulk bad owner",
        "litellm_keys",
        {"keys": [{"key_alias": A_KEEP}], "owner": "not an owner"},
        kind="error",
        msg=("owner: 'not an owner' is not a valid owner",),
    ),
    Case(
        "bulk delete the owner cases' keys",
        "litellm_keys",
        {"keys": [{"key_alias": alias, "state": "absent"} for alias in (A_KEEP, A_STALE, B_KEY, UNOWNED)]},
        probe=ALL_KEYS_PROBE,
        check=lambda p: (
            not ({A_KEEP, A_STALE, B_KEY, UNOWNED} & {r["key_alias"] for r in p["keys"]}) or pytest.fail(str(p))
        ),
    ),
]

R = [P + f"retry-{index}" for index in range(1, 8)]
CUSTOM_R2, CUSTOM_R6 = "sk-it-retry-" + secrets.token_hex(8), "sk-it-retry-" + secrets.token_hex(8)


def fault(**values: Any) -> dict[str, Any]:
    return post("/_sim/faults", values, sim=True)


def expect_keys(*aliases: str, values: dict[str, str] | None = None) -> Callable[[dict[str, Any]], None]:
    """Exactly these retry-* keys exist (each once), those in ``values`` with that secret."""

    def check(probe: dict[str, Any]) -> None:
        found = [record for record in probe["keys"] if record["key_alias"] in R]
        assert sorted(record["key_alias"] for record in found) == sorted(aliases), found
        tokens = {record["key_alias"]: record["token"] for record in found}
        for alias, value in (values or {}).items():
            assert tokens[alias] == sha256(value), alias

    return check


FAULT_CASES = [
    Case(
        "retry key info after two 502s",
        "litellm_key_info",
        {"key_alias": K1},
        kind="info",
        setup=[fault(path="/key/list", status=502, count=2)],
        sim_only=True,
    ),
    Case(
        "retry bulk create after transient 503s",
        "litellm_keys",
        {"keys": [{"key_alias": R[0]}, {"key_alias": R[1], "key": CUSTOM_R2}]},
        setup=[fault(path="/key/generate", status=503, count=2)],
        probe=ALL_KEYS_PROBE,
        check=expect_keys(R[0], R[1], values={R[1]: CUSTOM_R2}),
        sim_only=True,
    ),
    Case(
        "retry bulk create whose answer was lost is not sent again",
        "litellm_keys",
        {"keys": [{"key_alias": R[2], "key": CUSTOM_1.replace("custom", "lost")}]},
        setup=[fault(path="/key/generate", status=504, applied=True)],
        probe=ALL_KEYS_PROBE,
        check=expect_keys(R[0], R[1], R[2]),
        sim_only=True,
    ),
    Case(
        "retry bulk persistent failure lists only the writes done",
        "litellm_keys",
        {"keys": [{"key_alias": R[3]}, {"key_alias": R[4]}, {"key_alias": R[5]}]},
        kind="partial",
        setup=[fault(path="/key/generate", status=503, count=50, match={"key_alias": R[4]})],
        msg=(R[4], "HTTP 503", "Gave up after 4 attempts"),
        expect_done={"created": [R[3]], "updated": [], "deleted": []},
        probe=ALL_KEYS_PROBE,
        check=expect_keys(R[0], R[1], R[2], R[3]),
        sim_only=True,
    ),
    Case(
        "retry bulk create that timed out but took effect",
        "litellm_keys",
        {"keys": [{"key_alias": R[6], "key": CUSTOM_R6}], "timeout": 1},
        setup=[post("/_sim/faults", {"faults": []}, sim=True), fault(path="/key/generate", delay=1.5, applied=True)],
        probe=ALL_KEYS_PROBE,
        check=expect_keys(R[0], R[1], R[2], R[3], R[6], values={R[6]: CUSTOM_R6}),
        sim_only=True,
    ),
]

TEAM_A = P + "team-a"
TEAM_B_ID = P + "team-b-id"
TEAMS_PROBE = "/team/list"
MT, MT_ID = P + "meta-team", P + "meta-team-id"
# 100 teams whose alias contains PAGED, and PAGED itself, whose id sorts last: LiteLLM's alias
# filter matches substrings, so the exact one comes on page 2 of 100.
PAGED = P + "paged"
PAGED_TEAMS = [{"team_alias": f"{PAGED}-{index:03d}", "team_id": f"{P}a-{index:03d}"} for index in range(100)] + [
    {"team_alias": PAGED, "team_id": P + "z-paged"}
]


def check_paged_team(probe: dict[str, Any]) -> None:
    assert probe["total"] == 101, {name: probe[name] for name in ("total", "page", "total_pages")}
    exact = [team for team in probe["teams"] if team["team_alias"] == PAGED]
    assert [(team["team_id"], team["max_budget"]) for team in exact] == [(P + "z-paged", 7)]


def check_team_created(probe: list[dict[str, Any]]) -> None:
    team = team_by_alias(probe, TEAM_A)
    assert sorted(team["models"]) == sorted([M1, M2])
    assert (team["max_budget"], team["soft_budget"], team["budget_duration"]) == (100, 50, "30d")
    assert (team["rpm_limit"], team["tpm_limit"]) == (100, 10000)
    assert team["metadata"]["cost_center"] == "cc-1"
    roles = {member.get("user_id"): member["role"] for member in team["members_with_roles"]}
    assert roles[P + "alice"] == "admin"
    assert any(member.get("user_email") == "bob@example.com" for member in team["members_with_roles"])


def check_members_changed(probe: list[dict[str, Any]]) -> None:
    team = team_by_alias(probe, TEAM_A)
    ids = {member.get("user_id") for member in team["members_with_roles"]}
    assert P + "carol" in ids
    assert not any(member.get("user_email") == "bob@example.com" for member in team["members_with_roles"])


TEAM_ARGS = {
    "team_alias": TEAM_A,
    "models": [M2, M1],
    "max_budget": 100,
    "soft_budget": 50,
    "budget_duration": "30d",
    "rpm_limit": 100,
    "tpm_limit": 10000,
    "metadata": {"cost_center": "cc-1"},
    "members": [{"user_id": P + "alice", "role": "admin"}, {"user_email": "bob@example.com"}],
}


def check_team_updated(probe: list[dict[str, Any]]) -> None:
    team = team_by_alias(probe, TEAM_A)
    assert team["models"] == [M2]
    assert (team["max_budget"], team["soft_budget"], team["budget_duration"]) == (200, 150, "7d")
    assert (team["rpm_limit"], team["tpm_limit"], team["blocked"]) == (50, 5000, True)
    assert team["metadata"] == {
        "cost_center": "cc-2",
        "llmops_managed_by": "llmops.litellm",
        "llmops_metadata_keys": ["cost_center"],
    }


def check_member_promoted(probe: list[dict[str, Any]]) -> None:
    roles = {m.get("user_id"): m["role"] for m in team_by_alias(probe, TEAM_A)["members_with_roles"]}
    assert roles[P + "carol"] == "admin", roles


TEAM_CASES = [
    Case("team create", "litellm_team", TEAM_ARGS, probe=TEAMS_PROBE, check=check_team_created),
    Case("team no-op", "litellm_team", TEAM_ARGS, kind="noop"),
    Case(
        "team update every managed field and block",
        "litellm_team",
        {
            "team_alias": TEAM_A,
            "models": [M2],
            "max_budget": 200,
            "soft_budget": 150,
            "budget_duration": "7d",
            "rpm_limit": 50,
            "tpm_limit": 5000,
            "metadata": {"cost_center": "cc-2"},
            "blocked": True,
        },
        probe=TEAMS_PROBE,
        check=check_team_updated,
    ),
    Case(
        "team unblock",
        "litellm_team",
        {"team_alias": TEAM_A, "blocked": False},
        probe=TEAMS_PROBE,
        check=expect_team(TEAM_A, blocked=False),
    ),
    Case(
        "team members added and removed",
        "litellm_team",
        {"team_alias": TEAM_A, "members": [{"user_id": P + "alice", "role": "admin"}, {"user_id": P + "carol"}]},
        probe=TEAMS_PROBE,
        check=check_members_changed,
    ),
    Case(
        "team member promoted",
        "litellm_team",
        {
            "team_alias": TEAM_A,
            "members": [{"user_id": P + "alice", "role": "admin"}, {"user_id": P + "carol", "role": "admin"}],
        },
        setup=[post("/_sim/config", {"premium_user": True}, sim=True)],
        probe=TEAMS_PROBE,
        check=check_member_promoted,
        premium=True,
    ),
    Case(
        "team clear fields",
        "litellm_team",
        {"team_alias": TEAM_A, "clear_fields": ["rpm_limit", "models"]},
        probe=TEAMS_PROBE,
        check=expect_team(TEAM_A, rpm_limit=None, models=[]),
    ),
    Case(
        "team create with an id",
        "litellm_team",
        {"team_id": TEAM_B_ID, "team_alias": P + "team-b"},
        probe=TEAMS_PROBE,
        check=expect_team(P + "team-b", team_id=TEAM_B_ID),
    ),
    Case(
        "team rename by id",
        "litellm_team",
        {"team_id": TEAM_B_ID, "team_alias": P + "team-b2"},
        probe=TEAMS_PROBE,
        check=expect_team(P + "team-b2", team_id=TEAM_B_ID),
    ),
    Case(
        "team delete refused while it has keys",
        "litellm_team",
        {"team_id": TEAM_B_ID, "state": "absent"},
        kind="error",
        setup=[post("/key/generate", {"key_alias": P + "team-b-key", "team_id": TEAM_B_ID})],
        steps=[True, False],
        msg=("still has 1 key", "force: true"),
    ),
    Case(
        "team delete with force deletes its keys",
        "litellm_team",
        {"team_id": TEAM_B_ID, "state": "absent", "force": True},
        probe=key_probe(P + "team-b-key"),
        check=check_absent,
    ),
    Case(
        "team metadata create records the declared keys",
        "litellm_team",
        {"team_id": MT_ID, "team_alias": MT, "metadata": {"owner": "a", "tier": "x"}},
        probe=TEAMS_PROBE,
        check=expect_metadata(lambda probe: team_by_alias(probe, MT), {"owner": "a", "tier": "x"}, ["owner", "tier"]),
    ),
    Case(
        "team metadata another actor's key is kept, a key no longer declared is removed",
        "litellm_team",
        {"team_id": MT_ID, "metadata": {"owner": "b"}},
        setup=[
            post("/team/update", {"team_id": MT_ID, "metadata": hand_edited({"owner": "a", "tier": "x"}, note="hand")})
        ],
        probe=TEAMS_PROBE,
        check=expect_metadata(lambda probe: team_by_alias(probe, MT), {"owner": "b", "note": "hand"}, ["owner"]),
    ),
    Case(
        "team metadata another actor's key alone is no change",
        "litellm_team",
        {"team_id": MT_ID, "metadata": {"owner": "b"}},
        kind="noop",
        setup=[post("/team/update", {"team_id": MT_ID, "metadata": hand_edited({"owner": "b"}, note="hand", x=1)})],
    ),
    Case(
        "team found by alias on page 2 of the filtered listing",
        "litellm_team",
        {"team_alias": PAGED, "max_budget": 7},
        setup=[post("/_sim/seed", {"teams": PAGED_TEAMS}, sim=True)],
        probe=f"/v2/team/list?team_alias={PAGED}&page_size=100&page=2&sort_by=team_id",
        check=check_paged_team,
        sim_only=True,
    ),
    Case("team info by alias", "litellm_team_info", {"team_alias": TEAM_A}, kind="info"),
]

BUDGET_A = P + "budget-a"
BUDGET_ODD = P + "budget-30days"
BUDGET_LINKED = P + "budget-linked"
LINKED_KEY = P + "budget-linked-key"
BUDGETS_PROBE = "/budget/list"
BUDGET_ARGS = {
    "budget_id": BUDGET_A,
    "max_budget": 100,
    "soft_budget": 80,
    "budget_duration": "30d",
    "rpm_limit": 10,
    "tpm_limit": 1000,
    "max_parallel_requests": 3,
}

BUDGET_CASES = [
    Case(
        "budget create",
        "litellm_budget",
        BUDGET_ARGS,
        probe=BUDGETS_PROBE,
        check=expect_budget(
            BUDGET_A,
            max_budget=100,
            soft_budget=80,
            budget_duration="30d",
            rpm_limit=10,
            tpm_limit=1000,
            max_parallel_requests=3,
        ),
    ),
    Case("budget no-op", "litellm_budget", BUDGET_ARGS, kind="noop"),
    Case(
        "budget update every managed field",
        "litellm_budget",
        {
            "budget_id": BUDGET_A,
            "max_budget": 120,
            "soft_budget": 90,
            "budget_duration": "1d",
            "rpm_limit": 20,
            "tpm_limit": 2000,
            "max_parallel_requests": 6,
        },
        probe=BUDGETS_PROBE,
        check=expect_budget(
            BUDGET_A,
            max_budget=120,
            soft_budget=90,
            budget_duration="1d",
            rpm_limit=20,
            tpm_limit=2000,
            max_parallel_requests=6,
        ),
    ),
    Case(
        "budget clear soft_budget",
        "litellm_budget",
        {"budget_id": BUDGET_A, "clear_fields": ["soft_budget"]},
        probe=BUDGETS_PROBE,
        check=expect_budget(BUDGET_A, soft_budget=None),
    ),
    Case("budget info", "litellm_budget_info", {"budget_id": BUDGET_A}, kind="info"),
    Case(
        "budget with a duration LiteLLM accepts as it reads it (30days)",
        "litellm_budget",
        {"budget_id": BUDGET_ODD, "budget_duration": "30days"},
        probe=BUDGETS_PROBE,
        check=expect_budget(BUDGET_ODD, budget_duration="30days"),
    ),
    Case(
        "budget delete refused while keys use it",
        "litellm_budget",
        {"budget_id": BUDGET_LINKED, "state": "absent"},
        kind="error",
        setup=[
            post("/budget/new", {"budget_id": BUDGET_LINKED, "max_budget": 5}),
            post("/key/generate", {"key_alias": LINKED_KEY, "budget_id": BUDGET_LINKED}),
        ],
        steps=[True, False],
        msg=("budget %r is still used by 1 key(s) (%s)" % (BUDGET_LINKED, LINKED_KEY), "detach: true"),
    ),
    Case(
        "budget delete with detach unlinks its keys first",
        "litellm_budget",
        {"budget_id": BUDGET_LINKED, "state": "absent", "detach": True},
        probe=key_probe(LINKED_KEY),
        check=expect_key(LINKED_KEY, budget_id=None),
    ),
    Case(
        "budget delete",
        "litellm_budget",
        {"budget_id": BUDGET_A, "state": "absent"},
        probe=BUDGETS_PROBE,
        check=lambda p: budget_by_id(p, BUDGET_A) is None or pytest.fail(str(p)),
    ),
]

WRONG_KEY = "sk-it-wrong-master-key-000000"
UNREACHABLE = "http://127.0.0.1:9"
DUP = P + "dup-alias"
DUP_TEAM = P + "dup-team"
UNLISTABLE = P + "unlistable"

ERROR_CASES = [
    Case(
        "error key negative max_budget",
        "litellm_key",
        {"key_alias": P + "e1", "max_budget": -1},
        kind="error",
        msg=("max_budget", "-1"),
    ),
    Case(
        "error key negative rpm_limit",
        "litellm_key",
        {"key_alias": P + "e1", "rpm_limit": -5},
        kind="error",
        msg=("rpm_limit",),
    ),
    Case(
        "error key bad budget_duration",
        "litellm_key",
        {"key_alias": P + "e1", "budget_duration": "30 days"},
        kind="error",
        msg=("budget_duration", "30 days"),
    ),
    Case(
        "error key bad duration",
        "litellm_key",
        {"key_alias": P + "e1", "duration": "1x"},
        kind="error",
        msg=("duration", "1x"),
    ),
    Case(
        "error key unknown model",
        "litellm_key",
        {"key_alias": P + "e1", "models": [M2, "gpt-99"]},
        kind="error",
        msg=("models", "gpt-99", "/v1/models"),
    ),
    Case(
        "error key unknown team (warning in check mode)",
        "litellm_key",
        {"key_alias": P + "e1", "team": P + "no-such-team"},
        kind="error",
        steps=[True, False],
        expect_failed=[False, True],
        msg=("team", "no-such-team"),
    ),
    Case(
        "error key unknown budget (warning in check mode)",
        "litellm_key",
        {"key_alias": P + "e1", "budget_id": P + "no-such-budget"},
        kind="error",
        steps=[True, False],
        expect_failed=[False, True],
        msg=("budget_id", "no-such-budget"),
    ),
    Case(
        "error key custom value format",
        "litellm_key",
        {"key_alias": P + "e1", "key": "not-a-litellm-key"},
        kind="error",
        msg=("key:", "sk-"),
    ),
    Case(
        "error key soft_budget with budget_id",
        "litellm_key",
        {"key_alias": P + "e1", "soft_budget": 1, "budget_id": "x"},
        kind="error",
        msg=("soft_budget", "budget_id"),
    ),
    Case(
        "error key blocked contradiction",
        "litellm_key",
        {"key_alias": P + "e1", "state": "blocked", "blocked": False},
        kind="error",
        msg=("blocked",),
    ),
    Case(
        "error key duplicate alias on the server",
        "litellm_key",
        {"key_alias": DUP, "max_budget": 3},
        kind="error",
        setup=[post("/_sim/seed", {"keys": [{"key_alias": DUP}, {"key_alias": DUP}]}, sim=True)],
        msg=(DUP, "matches 2 keys"),
        sim_only=True,
    ),
    Case(
        "error key wrong master key",
        "litellm_key",
        {"key_alias": P + "e1", "master_key": WRONG_KEY},
        kind="error",
        msg=("401", "/key/list", "master_key"),
    ),
    Case(
        "error key unreachable api",
        "litellm_key",
        {"key_alias": P + "e1", "api_base": UNREACHABLE},
        kind="error",
        msg=("Cannot reach", UNREACHABLE),
    ),
    Case(
        "error key no api_base",
        "litellm_key",
        {"key_alias": P + "e1", "api_base": ""},
        kind="error",
        msg=("api_base", "LITELLM_API_BASE"),
    ),
    Case(
        "error bulk duplicate alias in the list",
        "litellm_keys",
        {"keys": [{"key_alias": P + "e2"}, {"key_alias": P + "e2"}]},
        kind="error",
        msg=("listed more than once", P + "e2"),
    ),
    Case(
        "error bulk one bad entry writes nothing",
        "litellm_keys",
        {"keys": [{"key_alias": P + "e3"}, {"key_alias": P + "e4"}, {"key_alias": P + "e5", "max_budget": -2}]},
        kind="error",
        msg=("keys[2]", P + "e5", "max_budget"),
    ),
    Case(
        "error bulk unknown model",
        "litellm_keys",
        {"keys": [{"key_alias": P + "e3"}, {"key_alias": P + "e4", "models": ["nope-model"]}]},
        kind="error",
        msg=("keys[1]", "nope-model"),
    ),
    Case(
        "error bulk duplicate alias on the server",
        "litellm_keys",
        {"keys": [{"key_alias": DUP}]},
        kind="error",
        msg=(DUP, "2 keys"),
        sim_only=True,
    ),
    Case(
        "error bulk wrong master key",
        "litellm_keys",
        {"keys": [{"key_alias": P + "e3"}], "master_key": WRONG_KEY},
        kind="error",
        msg=("401",),
    ),
    Case(
        "error team negative max_budget",
        "litellm_team",
        {"team_alias": P + "et", "max_budget": -10},
        kind="error",
        msg=("max_budget",),
    ),
    Case(
        "error team soft_budget above max_budget",
        "litellm_team",
        {"team_alias": P + "et", "max_budget": 10, "soft_budget": 20},
        kind="error",
        msg=("soft_budget", "max_budget"),
    ),
    Case(
        "error team soft_budget above the stored max_budget",
        "litellm_team",
        {"team_alias": TEAM_A, "soft_budget": 500},
        kind="error",
        msg=("soft_budget", "stored"),
    ),
    Case(
        "error team bad budget_duration",
        "litellm_team",
        {"team_alias": P + "et", "budget_duration": "monthly-ish"},
        kind="error",
        msg=("budget_duration",),
    ),
    Case(
        "error team unknown model",
        "litellm_team",
        {"team_alias": P + "et", "models": ["gpt-99"]},
        kind="error",
        msg=("models", "gpt-99"),
    ),
    Case(
        "error team member without identity",
        "litellm_team",
        {"team_alias": P + "et", "members": [{"role": "user"}]},
        kind="error",
        msg=("members[0]",),
    ),
    Case(
        "error team ambiguous alias",
        "litellm_team",
        {"team_alias": DUP_TEAM, "max_budget": 1},
        kind="error",
        setup=[post("/team/new", {"team_alias": DUP_TEAM}), post("/team/new", {"team_alias": DUP_TEAM})],
        msg=(DUP_TEAM, "2 teams", "team_id"),
    ),
    Case(
        "error team a team LiteLLM cannot list is not created a second time",
        "litellm_team",
        {"team_alias": UNLISTABLE, "max_budget": 3},
        kind="error",
        setup=[
            post(
                "/_sim/seed",
                {
                    "teams": [
                        {
                            "team_alias": UNLISTABLE,
                            "members_with_roles": [{"user_id": None, "user_email": None, "role": "user"}],
                        }
                    ]
                },
                sim=True,
            )
        ],
        msg=("/v2/team/list", "HTTP 500", "fails its own validation"),
        sim_only=True,
    ),
    Case(
        "error budget negative max_budget",
        "litellm_budget",
        {"budget_id": P + "eb", "max_budget": -1},
        kind="error",
        msg=("max_budget",),
    ),
    Case(
        "error key max_parallel_requests beyond its integer column",
        "litellm_key",
        {"key_alias": P + "e1", "max_parallel_requests": 3000000000},
        kind="error",
        msg=(
            "max_parallel_requests: 3000000000 exceeds the largest value LiteLLM can store",
            "(2147483647, PostgreSQL integer)",
        ),
    ),
    Case(
        "error bulk rpm_limit beyond its bigint column",
        "litellm_keys",
        {"keys": [{"key_alias": P + "e3"}, {"key_alias": P + "e4", "rpm_limit": 2**63}]},
        kind="error",
        msg=("keys[1] (%se4): rpm_limit: 9223372036854775808 exceeds the largest value" % P, "PostgreSQL bigint"),
    ),
    Case(
        "error team tpm_limit beyond its bigint column",
        "litellm_team",
        {"team_alias": P + "et", "tpm_limit": 2**63},
        kind="error",
        msg=("tpm_limit", "9223372036854775807, PostgreSQL bigint"),
    ),
    Case(
        "error budget max_parallel_requests beyond its integer column",
        "litellm_budget",
        {"budget_id": P + "eb", "max_parallel_requests": 2**31},
        kind="error",
        msg=("max_parallel_requests", "2147483647, PostgreSQL integer"),
    ),
    Case(
        "error budget duration of months other than 1mo",
        "litellm_budget",
        {"budget_id": P + "eb", "budget_duration": "2mo"},
        kind="error",
        msg=("budget_duration: invalid duration '2mo'", "1mo"),
    ),
    Case(
        "error key budget_duration of 0",
        "litellm_key",
        {"key_alias": P + "e1", "budget_duration": "0d"},
        kind="error",
        msg=("budget_duration: invalid duration '0d'", "0 seconds"),
    ),
    Case(
        "error budget bad duration",
        "litellm_budget",
        {"budget_id": P + "eb", "budget_duration": "1y"},
        kind="error",
        msg=("budget_duration", "1y"),
    ),
]

# Two independent lanes, each against its own simulator, run at the same time.
LANES = {
    "keys": KEY_CASES + BULK_CASES + OWNER_CASES + FAULT_CASES,
    "teams-budgets-errors": TEAM_CASES + BUDGET_CASES + ERROR_CASES,
}
ALL_CASES = [case for cases in LANES.values() for case in cases]


def start_lane(name: str, cases: list[Case], lane_target: dict[str, str], tmp: Path) -> tuple[subprocess.Popen, Path]:
    lane_dir = tmp / name
    lane_dir.mkdir()
    results = lane_dir / "results.json"
    cases_file = lane_dir / "cases.json"
    runnable = [case.spec() for case in cases if case.left_out_because() is None]
    cases_file.write_text(json.dumps({"cases": runnable, "results_file": str(results)}))
    command = [tool("ansible-playbook"), str(PLAYBOOKS / "cases.yml"), "-e", f"@{cases_file}"]
    log = (lane_dir / "ansible.log").open("w")
    process = subprocess.Popen(
        command, env=ansible_env(lane_target, lane_dir), stdout=log, stderr=subprocess.STDOUT, cwd=REPO_ROOT
    )
    return process, lane_dir


@pytest.fixture(scope="session")
def case_results(target, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("litellm-cases")
    with contextlib.ExitStack() as stack:
        targets = [target]
        for _lane in list(LANES)[1:]:
            if REAL:
                targets.append(target)
                continue
            stats_file = tmp / f"stats-{len(targets)}.json"
            sim = stack.enter_context(SimulatorProcess(SIM_MASTER_KEY, stats_file=str(stats_file)))
            targets.append(
                {"api_base": sim.url, "master_key": SIM_MASTER_KEY, "sim_url": sim.url, "stats_file": str(stats_file)}
            )
        lanes = [
            start_lane(name, cases, lane_target, tmp)
            for (name, cases), lane_target in zip(LANES.items(), targets, strict=True)
        ]
        results: dict[str, Any] = {}
        for process, lane_dir in lanes:
            returncode = process.wait(timeout=900)
            log = (lane_dir / "ansible.log").read_text()
            assert returncode == 0, log[-6000:]
            results.update(json.loads((lane_dir / "results.json").read_text()))
    return results


def write_deltas(outcome: dict[str, Any]) -> list[int] | None:
    """Writes made by each step; step 2's count is folded into step 3's (both must be 0)."""
    if outcome["writes_before"] in (None, ""):
        return None
    previous = int(outcome["writes_before"])
    deltas = []
    for step in outcome["steps"]:
        if step["writes"] is None:
            deltas.append(0)
            continue
        deltas.append(int(step["writes"]) - previous)
        previous = int(step["writes"])
    return deltas


def describe(outcome: dict[str, Any]) -> str:
    return json.dumps(
        [{k: s[k] for k in ("check_mode", "changed", "failed", "msg", "writes", "warnings")} for s in outcome["steps"]],
        indent=1,
    )


# Against a real proxy, cases that only the simulator can set up, or that need an Enterprise
# licence or may touch keys beyond the suite's (without the opt-in variables), are not generated
# at all: nothing skips. Against the simulator every case runs.
APPLICABLE = [case for case in ALL_CASES if case.left_out_because() is None]


def test_only_cases_that_cannot_apply_to_the_target_are_left_out() -> None:
    left_out = {case.name: case.left_out_because() for case in ALL_CASES if case.left_out_because() is not None}
    if not REAL:
        assert left_out == {}
    assert len(APPLICABLE) + len(left_out) == len(ALL_CASES)
    assert APPLICABLE, "no case applies to this target"


@pytest.mark.parametrize("case", APPLICABLE, ids=[case.name for case in APPLICABLE])
def test_case(case: Case, case_results: dict[str, Any]) -> None:
    outcome = case_results[case.name]
    steps = outcome["steps"]
    changed = [step["changed"] for step in steps]
    failed = [step["failed"] for step in steps]
    deltas = write_deltas(outcome)
    details = describe(outcome)
    if case.kind == "partial":
        # A run that fails part-way: its result lists exactly the writes that took effect.
        assert failed == [True], details
        for fragment in case.msg:
            assert fragment in steps[0]["msg"], (fragment, steps[0]["msg"])
        assert steps[0]["done"] == case.expect_done, details
        if deltas is not None:
            assert deltas[0] > 0, details
        if case.check is not None:
            case.check(outcome["probe"])
        return
    if case.kind == "error":
        assert failed == (case.expect_failed or [True] * len(steps)), details
        failure = steps[failed.index(True)]["msg"]
        for fragment in case.msg:
            assert fragment in failure, (fragment, failure)
        assert WRONG_KEY not in json.dumps(outcome), "a secret leaked into a result"
        assert not any(step["secret_in_result"] for step in steps)
        if deltas is not None:
            assert deltas == [0] * len(steps), details
        if case.expect_failed and not case.expect_failed[0]:
            assert steps[0]["warnings"], details
        return
    assert failed == [False] * len(steps), details
    if case.kind == "info":
        assert changed == [False], details
        check_info(case, steps[0]["result"])
    elif case.kind == "noop":
        assert changed == [False, False, False, False], details
        if deltas is not None:
            assert deltas == [0, 0, 0, 0], details
    else:
        assert changed == [True, True, False, False], details
        if deltas is not None:
            assert deltas[0] == 0 and deltas[1] > 0 and deltas[2:] == [0, 0], details
    if case.check is not None:
        case.check(outcome["probe"])
    check_secrets(case, steps)


def check_info(case: Case, result: dict[str, Any]) -> None:
    if case.module == "litellm_key_info":
        aliases = [key["key_alias"] for key in result["keys"]]
        assert K1 in aliases, aliases
        assert all(set(key) >= {"token", "managed", "blocked"} for key in result["keys"])
    elif case.module == "litellm_team_info":
        assert [team["team_alias"] for team in result["teams"]] == [TEAM_A]
        assert result["teams"][0]["members"], result
    else:
        assert [budget["budget_id"] for budget in result["budgets"]] == [BUDGET_A]


def check_secrets(case: Case, steps: list[dict[str, Any]]) -> None:
    """A generated key comes back only from the real run that created it, never in a diff or record."""
    assert not any(step["secret_in_result"] for step in steps), "a key value appears in a result"
    if case.module == "litellm_key" and case.name in ("key create", "key create blocked on a wildcard model"):
        assert [step["api_key_returned"] for step in steps] == [False, True, False, False]
    if case.module == "litellm_key" and case.name == "key create with a custom value":
        assert not any(step["api_key_returned"] for step in steps)
    if case.name == "bulk create":
        assert [sorted(step["api_keys"]) for step in steps] == [[], sorted(BULK), [], []]
