"""The LiteLLM modules in-process: documentation against argument specs, argument handling,
check mode, and the bulk module's merge and exclusive logic (the simulator runs in a thread)."""

from __future__ import annotations

import importlib
import json

import pytest
import yaml
from ansible.module_utils.testing import patch_module_args
from ansible_collections.llmops.litellm.plugins.doc_fragments.litellm import ModuleDocFragment
from ansible_collections.llmops.litellm.plugins.module_utils import api_module
from ansible_collections.llmops.litellm.plugins.module_utils.litellm import (
    keys,
    metadata,
)
from ansible_collections.llmops.litellm.plugins.module_utils.litellm.client import (
    token_hash,
)
from litellm_sim.testing import api

MODULES = (
    "litellm_key",
    "litellm_keys",
    "litellm_key_info",
    "litellm_team",
    "litellm_team_info",
    "litellm_budget",
    "litellm_budget_info",
)
MASTER_KEY = "sk-unit-modules-master-01"


def load(name: str):
    return importlib.import_module(f"ansible_collections.llmops.litellm.plugins.modules.{name}")


def module_spec(module) -> dict:
    """The argument spec main() really hands to AnsibleModule (connection options included)."""
    captured = {}

    class Capture(Exception):
        pass

    def fake(argument_spec, **kwargs):
        captured.update(argument_spec)
        raise Capture

    original = api_module.AnsibleModule
    api_module.AnsibleModule = fake
    try:
        with pytest.raises(Capture):
            module.main()
    finally:
        api_module.AnsibleModule = original
    return captured


def documented_options(module) -> dict:
    options = yaml.safe_load(ModuleDocFragment.DOCUMENTATION)["options"]
    options.update(yaml.safe_load(module.DOCUMENTATION)["options"])
    return options


def compare(spec: dict, docs: dict, where: str) -> list[str]:
    problems = []
    if set(spec) != set(docs):
        problems.append(f"{where}: spec {sorted(set(spec) - set(docs))} vs docs {sorted(set(docs) - set(spec))}")
    for name in set(spec) & set(docs):
        option, doc = spec[name], docs[name]
        for attribute in ("type", "elements", "choices", "default"):
            expected = option.get(attribute, "str" if attribute == "type" else None)
            if attribute == "default" and expected is None and doc.get("default") is None:
                continue
            if expected != doc.get(attribute, "str" if attribute == "type" else None):
                problems.append(f"{where}.{name}.{attribute}: spec {expected!r} != docs {doc.get(attribute)!r}")
        if bool(option.get("required")) != bool(doc.get("required")):
            problems.append(f"{where}.{name}.required differs")
        if "options" in option or "suboptions" in doc:
            problems.extend(compare(option.get("options", {}), doc.get("suboptions", {}), f"{where}.{name}"))
    return problems


@pytest.mark.parametrize("name", MODULES)
def test_documentation_matches_the_argument_spec(name):
    module = load(name)
    assert compare(module_spec(module), documented_options(module), name) == []
    assert yaml.safe_load(module.EXAMPLES)
    assert yaml.safe_load(module.RETURN)


@pytest.mark.parametrize("name", MODULES)
def test_secret_options_are_no_log(name):
    spec = module_spec(load(name))
    assert spec["master_key"]["no_log"] is True
    if "key" in spec:
        assert spec["key"]["no_log"] is True


@pytest.fixture
def run(sim, capsys):
    api(sim.url, None, "POST", "/_sim/reset", {})

    def invoke(name: str, check_mode: bool = False, connection: bool = True, **args) -> dict:
        if connection:
            args.setdefault("api_base", sim.url)
            args.setdefault("master_key", MASTER_KEY)
        args["_ansible_check_mode"] = check_mode
        args["_ansible_diff"] = True
        with patch_module_args(args), pytest.raises(SystemExit):
            load(name).main()
        return json.loads(capsys.readouterr().out)

    return invoke


def writes(sim) -> int:
    return api(sim.url, None, "GET", "/_sim/stats")[1]["writes"]


def test_key_create_check_run_check_run(run, sim):
    outcomes = []
    for check in (True, False, True, False):
        before = writes(sim)
        result = run("litellm_key", check_mode=check, key_alias="unit", models=["gpt-4o"], max_budget=2)
        outcomes.append((result["changed"], writes(sim) - before, "api_key" in result))
    assert outcomes == [(True, 0, False), (True, 1, True), (False, 0, False), (False, 0, False)]


def test_connection_options_fall_back_to_the_environment(run, sim, monkeypatch):
    monkeypatch.setenv("LITELLM_API_BASE", sim.url)
    monkeypatch.setenv("LITELLM_MASTER_KEY", MASTER_KEY)
    result = run("litellm_key_info", connection=False)
    assert result["keys"] == []
    assert "failed" not in result


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        ({"master_key": ""}, "master_key is required"),
        ({"api_base": ""}, "api_base is required"),
        ({"timeout": 0}, "timeout must be a positive number"),
    ],
)
def test_missing_connection_settings_are_named(run, monkeypatch, args, fragment):
    monkeypatch.delenv("LITELLM_API_BASE", raising=False)
    monkeypatch.delenv("LITELLM_MASTER_KEY", raising=False)
    result = run("litellm_budget_info", **args)
    assert result["failed"] is True
    assert fragment in result["msg"]


def test_key_diff_never_contains_the_key_value(run):
    value = "sk-unit-declared-value-0001"
    result = run("litellm_key", check_mode=True, key_alias="secret", key=value)
    assert value not in json.dumps(result["diff"])
    assert result["changed"] is True


def test_team_module_check_mode_then_apply(run, sim):
    args = {
        "team_alias": "unit-team",
        "models": ["gpt-4o"],
        "max_budget": 5,
        "members": [{"user_id": "u1", "role": "admin"}],
    }
    assert run("litellm_team", check_mode=True, **args)["changed"] is True
    assert writes(sim) == 0
    created = run("litellm_team", **args)
    assert created["team"]["members"] == [{"user_id": "u1", "role": "admin"}]
    assert created["team"]["managed"] is True
    assert run("litellm_team", **args)["changed"] is False


def test_budget_module_reports_changed_fields(run):
    run("litellm_budget", budget_id="unit-budget", max_budget=5, budget_duration="30d")
    result = run("litellm_budget", budget_id="unit-budget", max_budget=6, budget_duration="30d")
    assert result["changes"] == ["max_budget"]
    assert result["diff"]["before"]["max_budget"] == 5 and result["diff"]["after"]["max_budget"] == 6


# litellm_keys internals -------------------------------------------------------------------


def bulk_params(**values) -> dict:
    params = {
        "keys": [],
        "key_defaults": {},
        "exclusive": False,
        "exclusive_action": "block",
        "exclusive_scope": "managed",
        "master_key": MASTER_KEY,
        "validate_models": True,
    }
    params.update(values)
    return params


def test_declared_keys_fill_unset_options_from_defaults_then_builtins():
    bulk = load("litellm_keys")
    entry = dict.fromkeys(keys.key_option_spec())
    declared = bulk.declared_keys(
        bulk_params(
            keys=[dict(entry, key_alias="a", models=[]), dict(entry, key_alias="b", max_budget=9)],
            key_defaults={"models": ["gpt-4o"], "max_budget": 1, "state": None},
        )
    )
    assert [(d["key_alias"], d["models"], d["max_budget"], d["state"], d["clear_fields"]) for d in declared] == [
        ("a", [], 1, "present", []),
        ("b", ["gpt-4o"], 9, "present", []),
    ]


def test_exclusive_candidates_respect_scope_blocked_keys_and_the_callers_own_key():
    bulk = load("litellm_keys")
    marker = {metadata.MANAGED_MARKER_KEY: metadata.MANAGED_MARKER_VALUE}
    records = [
        {"key_alias": "declared", "token": "1", "metadata": marker},
        {"key_alias": "managed", "token": "2", "metadata": marker},
        {"key_alias": "managed-blocked", "token": "3", "metadata": marker, "blocked": True},
        {"key_alias": "hand-made", "token": "4", "metadata": {}},
        {"key_alias": None, "token": "5", "metadata": {}},
        {"key_alias": "caller", "token": token_hash(MASTER_KEY), "metadata": marker},
    ]

    def aliases(**values):
        return [r["key_alias"] for r in bulk.prune_candidates(records, {"declared"}, bulk_params(**values))]

    assert aliases() == []
    assert aliases(exclusive=True) == ["managed"]
    assert aliases(exclusive=True, exclusive_action="delete") == ["managed", "managed-blocked"]
    assert aliases(exclusive=True, exclusive_scope="all") == ["managed", "hand-made", None]


def test_bulk_failure_before_writes_keeps_the_result_shape(run, sim):
    result = run("litellm_keys", keys=[{"key_alias": "a"}, {"key_alias": "a"}])
    assert result["failed"] is True
    assert "listed more than once: a" in result["msg"]
    assert result["created"] == [] and result["api_keys"] == {}
    assert writes(sim) == 0


# Budget deletion while keys or teams use the budget ----------------------------------------


def test_budget_delete_is_refused_while_keys_use_it_in_check_mode_too(run, sim):
    run("litellm_budget", budget_id="shared", max_budget=5)
    run("litellm_key", key_alias="batch-1", budget_id="shared")
    run("litellm_key", key_alias="batch-2", budget_id="shared")
    before = writes(sim)
    for check in (True, False):
        result = run("litellm_budget", check_mode=check, budget_id="shared", state="absent")
        assert result["failed"] is True
        assert "budget 'shared' is still used by 2 key(s) (batch-1, batch-2)" in result["msg"]
        assert "detach: true" in result["msg"]
    assert writes(sim) == before
    assert run("litellm_budget_info", budget_id="shared")["budgets"]


def test_budget_delete_with_detach_unlinks_the_keys_first(run, sim):
    run("litellm_budget", budget_id="shared", max_budget=5)
    run("litellm_key", key_alias="batch-1", budget_id="shared")
    before = writes(sim)
    predicted = run("litellm_budget", check_mode=True, budget_id="shared", state="absent", detach=True)
    assert writes(sim) == before
    assert (predicted["changed"], predicted["changes"], predicted["detached_keys"]) == (True, ["state"], ["batch-1"])
    assert predicted["diff"]["before"]["keys"] == ["batch-1"] and predicted["diff"]["after"] == {}
    applied = run("litellm_budget", budget_id="shared", state="absent", detach=True)
    assert (applied["changed"], applied["detached_keys"]) == (True, ["batch-1"])
    assert writes(sim) - before == 2  # the key update, then the delete
    key = run("litellm_key_info", key_alias="batch-1")["keys"][0]
    assert key["budget_id"] is None
    again = run("litellm_budget", budget_id="shared", state="absent", detach=True)
    assert (again["changed"], again["detached_keys"]) == (False, [])


def test_budget_delete_is_refused_while_a_team_uses_it_even_with_detach(run, sim):
    status, team = api(sim.url, MASTER_KEY, "POST", "/team/new", {"team_alias": "squad", "team_member_budget": 2})
    assert status == 200
    budget_id = team["metadata"]["team_member_budget_id"]
    before = writes(sim)
    for detach in (False, True):
        result = run("litellm_budget", budget_id=budget_id, state="absent", detach=detach)
        assert result["failed"] is True
        assert "1 team(s) (squad: its members' budget and the budget of 1 member(s))" in result["msg"]
    assert writes(sim) == before


# Limits and durations as LiteLLM takes them -----------------------------------------------


def test_limit_beyond_its_column_fails_before_any_request(run, sim):
    result = run("litellm_key", key_alias="big", max_parallel_requests=3000000000)
    assert result["failed"] is True
    assert result["msg"] == (
        "max_parallel_requests: 3000000000 exceeds the largest value LiteLLM can store (2147483647, PostgreSQL integer)"
    )
    assert api(sim.url, None, "GET", "/_sim/stats")[1]["requests"] == 0


def test_bulk_limit_beyond_its_column_names_the_entry(run):
    result = run("litellm_keys", keys=[{"key_alias": "a"}, {"key_alias": "b", "rpm_limit": 2**63}])
    assert result["failed"] is True
    assert result["msg"] == (
        "keys[1] (b): rpm_limit: 9223372036854775808 exceeds the largest value LiteLLM can store "
        "(9223372036854775807, PostgreSQL bigint)"
    )


def test_durations_litellm_accepts_but_resets_daily_are_applied_with_a_warning(run):
    result = run("litellm_budget", budget_id="odd", max_budget=1, budget_duration="30days")
    assert result["changed"] is True and "failed" not in result
    warnings = json.dumps(result["warnings"])  # ansible-core returns them as structured events
    assert "budget_duration: LiteLLM accepts '30days'" in warnings and "every day at midnight" in warnings
    result = run("litellm_team", team_alias="odd", budget_duration="1month")
    assert result["changed"] is True and "LiteLLM accepts '1month'" in json.dumps(result["warnings"])


def fault(sim, **values):
    assert api(sim.url, None, "POST", "/_sim/faults", values)[0] == 200


def route_count(sim, route) -> int:
    return api(sim.url, None, "GET", "/_sim/stats")[1]["by_route"].get(route, 0)


def test_bulk_transient_failures_are_retried_and_succeed(run, sim):
    fault(sim, path="/key/generate", status=503, count=2)
    fault(sim, path="/key/generate", status=504, applied=True, match={"key_alias": "b"})
    keys_declared = [{"key_alias": "a"}, {"key_alias": "b", "key": "sk-unit-bulk-value-0002"}, {"key_alias": "c"}]
    result = run("litellm_keys", keys=keys_declared, retry_delay=0)
    assert "failed" not in result, result
    assert result["created"] == ["a", "b", "c"] and sorted(result["api_keys"]) == ["a", "c"]
    # a: two 503s then created; b: created, answer lost, found by a look-up; c: created.
    assert route_count(sim, "POST /key/generate") == 5
    again = run("litellm_keys", keys=keys_declared, retry_delay=0)
    assert again["changed"] is False and again["unchanged"] == 3


def test_bulk_persistent_failure_lists_only_what_was_done(run, sim):
    run("litellm_keys", keys=[{"key_alias": "old", "max_budget": 1}, {"key_alias": "gone"}])
    before = writes(sim)
    fault(sim, path="/key/generate", status=503, count=100, match={"key_alias": "second"})
    result = run(
        "litellm_keys",
        keys=[
            {"key_alias": "old", "max_budget": 2},
            {"key_alias": "first"},
            {"key_alias": "second"},
            {"key_alias": "third"},
            {"key_alias": "gone", "state": "absent"},
        ],
        retry_delay=0,
    )
    assert result["failed"] is True
    assert result["msg"].startswith("key 'second': POST ") and "HTTP 503" in result["msg"]
    assert "Gave up after 4 attempts" in result["msg"]
    assert result["error"]["status"] == 503
    assert (result["updated"], result["created"], result["deleted"]) == (["old"], ["first"], [])
    assert sorted(result["changes"]) == ["first", "old"] and list(result["api_keys"]) == ["first"]
    assert result["changed"] is True and "diff" not in result
    # old updated, first created, second tried four times; third and the deletion never sent.
    assert writes(sim) - before == 6
    aliases = sorted(
        key["key_alias"] for key in api(sim.url, MASTER_KEY, "GET", "/key/list?return_full_object=true")[1]["keys"]
    )
    assert aliases == ["first", "gone", "old"]


def test_bulk_lost_secret_is_reported_created_and_fails(run, sim):
    fault(sim, path="/key/generate", status=504, applied=True, match={"key_alias": "b"})
    result = run("litellm_keys", keys=[{"key_alias": "a"}, {"key_alias": "b"}, {"key_alias": "c"}], retry_delay=0)
    assert result["failed"] is True and "key 'b'" in result["msg"] and "rotate_key" in result["msg"]
    assert result["created"] == ["a", "b"] and list(result["api_keys"]) == ["a"]


def test_team_module_refuses_to_create_a_duplicate_of_a_team_it_cannot_list(run, sim):
    broken = [{"user_id": None, "user_email": None, "role": "user"}]
    api(sim.url, None, "POST", "/_sim/seed", {"teams": [{"team_alias": "ops", "members_with_roles": broken}]})
    result = run("litellm_team", team_alias="ops", max_budget=5, retries=0)
    assert result["failed"] is True and "fails its own validation" in result["msg"]
    assert writes(sim) == 0


def test_team_delete_counts_keys_from_the_listing(run, sim):
    created = run("litellm_team", team_alias="doomed")
    api(sim.url, MASTER_KEY, "POST", "/key/generate", {"key_alias": "dk", "team_id": created["team"]["team_id"]})
    before = route_count(sim, "GET /key/list")
    refused = run("litellm_team", team_alias="doomed", state="absent")
    assert refused["failed"] is True and "still has 1 key(s)" in refused["msg"]
    assert route_count(sim, "GET /key/list") == before


def test_team_metadata_keeps_another_actors_keys(run, sim):
    created = run("litellm_team", team_alias="meta", metadata={"owner": "a", "tier": "x"})
    team_id = created["team"]["team_id"]
    stored = created["team"]["metadata"]
    assert stored[metadata.MANAGED_KEYS_KEY] == ["owner", "tier"]
    api(sim.url, MASTER_KEY, "POST", "/team/update", {"team_id": team_id, "metadata": dict(stored, note="by hand")})
    assert run("litellm_team", team_alias="meta", metadata={"owner": "a", "tier": "x"})["changed"] is False
    changed = run("litellm_team", team_alias="meta", metadata={"owner": "b"})
    assert changed["changed"] is True
    assert changed["diff"]["after"]["metadata"] == {
        "owner": "b",
        "note": "by hand",
        metadata.MANAGED_KEYS_KEY: ["owner"],
    }
    after = changed["team"]["metadata"]
    assert {k: after[k] for k in after if k != metadata.MANAGED_MARKER_KEY} == {
        "owner": "b",
        "note": "by hand",
        metadata.MANAGED_KEYS_KEY: ["owner"],
    }
    before = writes(sim)
    assert run("litellm_team", team_alias="meta", metadata={"owner": "b"})["changed"] is False
    assert writes(sim) == before


@pytest.mark.parametrize(("option", "value"), [("retries", -1), ("retry_delay", -0.5)])
def test_negative_retry_settings_are_refused(run, option, value):
    result = run("litellm_budget_info", **{option: value})
    assert result["failed"] is True and option in result["msg"]


# Moving a key to a team: the team's models as LiteLLM reads them (auth_checks.py: can_team_access_model)


def test_key_moves_into_a_team_whose_wildcard_covers_its_model(run, sim):
    run("litellm_team", team_alias="openai-team", models=["openai/*"])
    run("litellm_key", key_alias="mover", models=["openai/gpt-4o"])
    moved = run("litellm_key", key_alias="mover", models=["openai/gpt-4o"], team="openai-team")
    assert "failed" not in moved, moved.get("msg")
    assert moved["changed"] is True
    assert moved["key"]["team_id"] is not None


def test_key_moves_into_a_team_that_allows_its_model_through_an_access_group(run, sim):
    run("litellm_team", team_alias="cheap-team", models=["cheap-models"])
    run("litellm_key", key_alias="cheap", models=["gpt-4o-mini"])
    moved = run("litellm_key", key_alias="cheap", models=["gpt-4o-mini"], team="cheap-team")
    assert "failed" not in moved, moved.get("msg")
    assert moved["key"]["team_id"] is not None


def test_key_move_is_refused_for_a_model_outside_every_team_pattern(run, sim):
    served = ["gpt-4o", "gpt-4o-mini", "claude-3-5-haiku", "anthropic/claude-3-5-sonnet"]
    api(sim.url, None, "POST", "/_sim/config", {"models": served})
    run("litellm_team", team_alias="openai-only", models=["openai/*", "cheap-models"])
    run("litellm_key", key_alias="stays", models=["anthropic/claude-3-5-sonnet", "openai/gpt-4o", "gpt-4o-mini"])
    before = writes(sim)
    refused = run(
        "litellm_key",
        key_alias="stays",
        models=["anthropic/claude-3-5-sonnet", "openai/gpt-4o", "gpt-4o-mini"],
        team="openai-only",
    )
    assert refused["failed"] is True
    assert refused["msg"].startswith("team: team openai-only (")
    assert "does not allow model(s) anthropic/claude-3-5-sonnet used by the key" in refused["msg"]
    assert "(team models: openai/*, cheap-models)" in refused["msg"]
    assert writes(sim) == before


def test_key_move_refusal_matches_the_simulated_litellm(run, sim):
    """The same move, sent without the module's check, is refused by LiteLLM's own rules."""
    served = ["gpt-4o", "anthropic/claude-3-5-sonnet"]
    api(sim.url, None, "POST", "/_sim/config", {"models": served})
    team = run("litellm_team", team_alias="openai-only", models=["openai/*"])["team"]
    key = run("litellm_key", key_alias="direct", models=["anthropic/claude-3-5-sonnet"])["key"]
    status, body = api(sim.url, MASTER_KEY, "POST", "/key/update", {"key": key["token"], "team_id": team["team_id"]})
    assert status == 401
    assert "not allowed to call model=anthropic/claude-3-5-sonnet" in json.dumps(body)


# Ownership scopes of exclusive ------------------------------------------------------------


def stored_keys(sim) -> dict:
    listing = api(sim.url, MASTER_KEY, "GET", "/key/list?return_full_object=true&size=100")[1]["keys"]
    return {key["key_alias"]: key for key in listing}


def test_exclusive_candidates_are_the_keys_of_the_tasks_owner():
    bulk = load("litellm_keys")
    marker = {metadata.MANAGED_MARKER_KEY: metadata.MANAGED_MARKER_VALUE}
    records = [
        {"key_alias": "a-1", "token": "1", "metadata": dict(marker, llmops_owner="a")},
        {"key_alias": "b-1", "token": "2", "metadata": dict(marker, llmops_owner="b")},
        {"key_alias": "unowned", "token": "3", "metadata": marker},
        {"key_alias": "hand-made", "token": "4", "metadata": {"llmops_owner": "a"}},
    ]

    def aliases(**values):
        return [r["key_alias"] for r in bulk.prune_candidates(records, set(), bulk_params(exclusive=True, **values))]

    assert aliases(owner="a") == ["a-1"]
    assert aliases(owner="b") == ["b-1"]
    assert aliases() == ["unowned"]
    assert aliases(owner="c") == []
    assert aliases(owner="a", exclusive_scope="all") == ["a-1", "b-1", "unowned", "hand-made"]


def test_two_owners_each_exclusive_leave_each_others_keys_alone(run, sim):
    assert run("litellm_keys", owner="team-a", keys=[{"key_alias": "a-1"}, {"key_alias": "a-2"}])["changed"]
    assert run("litellm_keys", owner="team-b", keys=[{"key_alias": "b-1"}], exclusive=True)["changed"]
    run("litellm_key", key_alias="unowned")
    stored = stored_keys(sim)
    assert {alias: stored[alias]["metadata"].get("llmops_owner") for alias in stored} == {
        "a-1": "team-a",
        "a-2": "team-a",
        "b-1": "team-b",
        "unowned": None,
    }
    before = writes(sim)
    checked = run("litellm_keys", check_mode=True, owner="team-a", keys=[{"key_alias": "a-1"}], exclusive=True)
    assert writes(sim) == before
    assert checked["pruned"] == [
        {"key_alias": "a-2", "token": stored["a-2"]["token"], "action": "block", "managed": True, "owner": "team-a"}
    ]
    assert list(checked["diff"]["after"]) == ["a-2"]
    assert checked["diff"]["before"]["a-2"]["owner"] == "team-a"
    applied = run("litellm_keys", owner="team-a", keys=[{"key_alias": "a-1"}], exclusive=True)
    assert [entry["key_alias"] for entry in applied["pruned"]] == ["a-2"]
    assert applied["pruned"][0]["owner"] == "team-a"
    assert writes(sim) - before == 1
    blocked = {alias: bool(key["blocked"]) for alias, key in stored_keys(sim).items()}
    assert blocked == {"a-1": False, "a-2": True, "b-1": False, "unowned": False}
    again = run("litellm_keys", owner="team-b", keys=[{"key_alias": "b-1"}], exclusive=True)
    assert (again["changed"], again["pruned"], writes(sim) - before) == (False, [], 1)


def test_a_task_without_owner_prunes_only_keys_without_one(run, sim):
    run("litellm_keys", owner="team-a", keys=[{"key_alias": "a-1"}])
    run("litellm_keys", keys=[{"key_alias": "old-1"}, {"key_alias": "old-2"}])
    result = run("litellm_keys", keys=[{"key_alias": "old-1"}], exclusive=True, exclusive_action="delete")
    assert [(entry["key_alias"], entry["owner"]) for entry in result["pruned"]] == [("old-2", None)]
    assert sorted(stored_keys(sim)) == ["a-1", "old-1"]


def test_scope_all_prunes_every_undeclared_key_whatever_its_owner(run, sim):
    run("litellm_keys", owner="team-a", keys=[{"key_alias": "a-1"}])
    run("litellm_keys", owner="team-b", keys=[{"key_alias": "b-1"}])
    run("litellm_key", key_alias="unowned")
    api(sim.url, MASTER_KEY, "POST", "/key/generate", {"key_alias": "hand-made"})
    result = run("litellm_keys", owner="team-a", keys=[{"key_alias": "a-1"}], exclusive=True, exclusive_scope="all")
    pruned = {entry["key_alias"]: (entry["managed"], entry["owner"]) for entry in result["pruned"]}
    assert pruned == {"b-1": (True, "team-b"), "unowned": (True, None), "hand-made": (False, None)}
    assert {alias for alias, key in stored_keys(sim).items() if key["blocked"]} == {"b-1", "unowned", "hand-made"}


def test_an_unowned_key_is_taken_over_once_with_check_mode_and_diff(run, sim):
    run("litellm_key", key_alias="old", max_budget=1, metadata={"purpose": "x"})
    before = writes(sim)
    checked = run("litellm_keys", check_mode=True, owner="team-a", keys=[{"key_alias": "old", "max_budget": 1}])
    assert (checked["changed"], checked["updated"], writes(sim)) == (True, ["old"], before)
    assert checked["changes"] == {"old": {"action": "update", "fields": ["owner"]}}
    assert (checked["diff"]["before"]["old"]["owner"], checked["diff"]["after"]["old"]["owner"]) == (None, "team-a")
    applied = run("litellm_keys", owner="team-a", keys=[{"key_alias": "old", "max_budget": 1}])
    assert applied["updated"] == ["old"] and writes(sim) - before == 1
    stored = stored_keys(sim)["old"]["metadata"]
    assert stored["llmops_owner"] == "team-a"
    assert stored["purpose"] == "x" and stored[metadata.MANAGED_KEYS_KEY] == ["purpose"]
    assert stored[metadata.MANAGED_MARKER_KEY] == metadata.MANAGED_MARKER_VALUE
    again = run("litellm_keys", owner="team-a", keys=[{"key_alias": "old", "max_budget": 1}])
    assert (again["changed"], again["unchanged"], writes(sim) - before) == (False, 1, 1)
    single = run("litellm_key", owner="team-a", key_alias="old", metadata={"purpose": "x"})
    assert (single["changed"], single["key"]["owner"], writes(sim) - before) == (False, "team-a", 1)
    # A task without owner leaves the ownership as it is.
    untouched = run("litellm_key", key_alias="old", max_budget=1)
    assert untouched["changed"] is False and writes(sim) - before == 1


def test_a_key_of_another_owner_fails_naming_both_owners_before_any_write(run, sim):
    run("litellm_keys", owner="team-b", keys=[{"key_alias": "b-1"}])
    before = writes(sim)
    for check in (True, False):
        declared = [{"key_alias": "new"}, {"key_alias": "b-1"}]
        result = run("litellm_keys", check_mode=check, owner="team-a", keys=declared)
        assert result["failed"] is True
        assert (
            "keys[1] (b-1): owner: key 'b-1' belongs to owner 'team-b', not to this task's owner 'team-a'"
            in (result["msg"])
        )
        assert result["created"] == []
        single = run("litellm_key", check_mode=check, owner="team-a", key_alias="b-1", state="absent")
        assert single["failed"] is True and "belongs to owner 'team-b'" in single["msg"]
    assert writes(sim) == before
    assert sorted(stored_keys(sim)) == ["b-1"]


def test_a_new_key_records_the_owner(run, sim):
    created = run("litellm_key", owner="team-a", key_alias="fresh", metadata={"purpose": "x"})
    assert created["key"]["owner"] == "team-a"
    assert created["diff"]["after"]["owner"] == "team-a"
    assert "llmops_owner" not in created["diff"]["after"]["metadata"]
    assert stored_keys(sim)["fresh"]["metadata"]["llmops_owner"] == "team-a"
    assert run("litellm_key", owner="team-a", key_alias="fresh", metadata={"purpose": "x"})["changed"] is False


@pytest.mark.parametrize("owner", ["", "team a", "-lead", "x" * 65, "ünï"])
def test_a_bad_owner_is_refused_before_any_request(run, sim, owner):
    for name, args in (("litellm_keys", {"keys": [{"key_alias": "a"}]}), ("litellm_key", {"key_alias": "a"})):
        result = run(name, owner=owner, **args)
        assert result["failed"] is True
        assert result["msg"].startswith("owner: %r is not a valid owner" % owner), result["msg"]
    assert api(sim.url, None, "GET", "/_sim/stats")[1]["requests"] == 0


def test_the_owner_cannot_be_declared_in_metadata(run, sim):
    result = run("litellm_keys", keys=[{"key_alias": "a", "metadata": {"llmops_owner": "x"}}])
    assert result["failed"] is True
    assert "keys[0] (a): metadata: key 'llmops_owner' is reserved" in result["msg"]
    assert writes(sim) == 0
