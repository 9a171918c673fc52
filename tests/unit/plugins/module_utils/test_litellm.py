"""The LiteLLM client and state model of plugins/module_utils/litellm/ (client, keys, teams, budgets, ...).

Pure functions are tested directly; the HTTP client is tested against the simulator served
from a thread on 127.0.0.1 (its request validation catches any misspelt field we send).
"""

from __future__ import annotations

import hashlib
import json

import pytest
from ansible_collections.llmops.litellm.plugins.module_utils.http_transport import RetryPolicy
from ansible_collections.llmops.litellm.plugins.module_utils.litellm import (
    keys,
    lookups,
    metadata,
    model_access,
    teams,
    validation,
)
from ansible_collections.llmops.litellm.plugins.module_utils.litellm.client import (
    LiteLLMClient,
    LiteLLMError,
    WriteAnswerLost,
    server_message,
    token_hash,
)
from litellm_sim.testing import api

MASTER_KEY = "sk-unit-master-key-0001"


def stats(sim) -> dict:
    return api(sim.url, None, "GET", "/_sim/stats")[1]


# Validation -----------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["30d", "1h", "30m", "10s", "2w", "1mo", "monthly", "Daily", None])
def test_durations_litellm_accepts(value):
    assert validation.duration_error("budget_duration", value) is None


@pytest.mark.parametrize("value", ["30 days", "1x", "0d", "-1d", "", "1.5h", "d30", "30"])
def test_durations_litellm_refuses_name_the_field_and_value(value):
    error = validation.duration_error("budget_duration", value)
    assert error.startswith("budget_duration: invalid duration")
    assert repr(value) in error


def key_params(**values):
    params = dict.fromkeys(keys.key_option_spec())
    params.update(state="present", rotate_key=False, clear_fields=[])
    params.update(values)
    return params


def test_valid_key_params_have_no_errors():
    params = key_params(
        key_alias="a", max_budget=0, soft_budget=1.5, rpm_limit=0, budget_duration="30d", key="sk-" + "x" * 13
    )
    assert keys.validate_key_params(params) == []


@pytest.mark.parametrize(
    ("values", "fragment"),
    [
        ({"max_budget": -1}, "max_budget: must be a finite number >= 0"),
        ({"max_budget": float("nan")}, "max_budget"),
        ({"soft_budget": float("inf")}, "soft_budget"),
        ({"tpm_limit": -3}, "tpm_limit"),
        ({"duration": "forever"}, "duration: invalid duration"),
        ({"key": "sk-short"}, "key: a custom key must start with 'sk-'"),
        ({"key": "pk-" + "x" * 20}, "key: a custom key"),
        ({"state": "blocked", "blocked": False}, "blocked: false contradicts state: blocked"),
        ({"soft_budget": 1, "budget_id": "shared"}, "soft_budget: cannot be combined with budget_id"),
        ({"max_budget": 1, "clear_fields": ["max_budget"]}, "max_budget: is both set and listed in clear_fields"),
        ({"metadata": {metadata.MANAGED_MARKER_KEY: "x"}}, "reserved"),
        ({"key_alias": ""}, "key_alias: must be a non-empty string"),
    ],
)
def test_key_param_errors_name_the_field(values, fragment):
    params = key_params(key_alias="a")
    params.update(values)
    errors = keys.validate_key_params(params, prefix="keys[3] (a): ")
    assert any(fragment in error for error in errors), errors
    assert all(error.startswith("keys[3] (a): ") for error in errors)


def test_team_param_errors():
    params = {
        "team_alias": "t",
        "team_id": None,
        "max_budget": 10,
        "soft_budget": 10,
        "budget_duration": None,
        "members": [{"user_id": "u"}, {"user_id": "u"}, {"user_email": None, "user_id": None}],
        "clear_fields": [],
        "metadata": None,
    }
    errors = teams.validate_team_params(params)
    assert any("soft_budget: must be lower than max_budget" in error for error in errors)
    assert any("members: listed more than once: user_id:u" in error for error in errors)
    assert any("members[2]: needs user_id or user_email" in error for error in errors)
    assert teams.validate_team_params(dict(params, team_alias=None, soft_budget=None, members=None)) == [
        "team_alias: team_alias or team_id is required"
    ]


# Metadata ---------------------------------------------------------------------------------


def test_user_metadata_hides_litellm_keys_and_the_marker_unless_declared():
    stored = {"owner": "a", "model_rpm_limit": {"m": 1}, "tags": ["x"], metadata.MANAGED_MARKER_KEY: "llmops.litellm"}
    assert metadata.user_metadata(stored) == {"owner": "a"}
    assert metadata.user_metadata(stored, declared={"tags": ["x"]}) == {"owner": "a", "tags": ["x"]}
    assert metadata.user_metadata(None) == {}


def test_metadata_to_send_keeps_what_litellm_would_otherwise_lose():
    stored = {
        "owner": "a",
        "model_rpm_limit": {"m": 1},
        "service_account_id": "svc",
        metadata.MANAGED_MARKER_KEY: "llmops.litellm",
    }
    sent = metadata.metadata_to_send({"owner": "b", "service_account_id": "svc"}, stored)
    assert sent == {
        "owner": "b",
        "model_rpm_limit": {"m": 1},
        "service_account_id": "svc",
        metadata.MANAGED_MARKER_KEY: "llmops.litellm",
        metadata.MANAGED_KEYS_KEY: ["owner"],
    }
    assert metadata.metadata_to_send({"owner": "b"}, {"owner": "a"}) == {
        "owner": "b",
        metadata.MANAGED_KEYS_KEY: ["owner"],
    }


MANAGED = metadata.MANAGED_KEYS_KEY


def test_keys_another_actor_added_are_kept_keys_no_longer_declared_are_removed():
    stored = {
        "owner": "a",
        "tier": "gold",
        "cost_center": "cc-9",  # added by hand in the UI: not declared, not recorded
        "tags": ["prod"],
        metadata.MANAGED_MARKER_KEY: "llmops.litellm",
        MANAGED: ["owner", "tier"],
    }
    sent = metadata.metadata_to_send({"owner": "b"}, stored)
    assert sent == {
        "owner": "b",
        "cost_center": "cc-9",
        "tags": ["prod"],
        metadata.MANAGED_MARKER_KEY: "llmops.litellm",
        MANAGED: ["owner"],
    }
    assert metadata.metadata_equal({"owner": "b"}, sent)
    assert not metadata.metadata_equal({"owner": "a"}, sent)
    # Declaring nothing any more removes what was declared, and the record with it.
    assert metadata.metadata_to_send({}, sent) == {
        "cost_center": "cc-9",
        "tags": ["prod"],
        metadata.MANAGED_MARKER_KEY: "llmops.litellm",
    }


def test_a_foreign_key_alone_is_no_drift_and_no_write():
    stored = {"owner": "b", "reviewer": "zoe", MANAGED: ["owner"], metadata.MANAGED_MARKER_KEY: "llmops.litellm"}
    assert metadata.metadata_equal({"owner": "b"}, stored)
    assert metadata.metadata_equal({}, {"reviewer": "zoe"})
    # The same record in another order is no change either.
    assert metadata.metadata_equal({"a": 1, "b": 2}, {"a": 1, "b": 2, MANAGED: ["b", "a"]})


def test_an_object_without_the_record_keeps_its_keys_and_gets_the_record_once():
    legacy = {"owner": "a", "note": "by hand", metadata.MANAGED_MARKER_KEY: "llmops.litellm"}
    assert not metadata.metadata_equal({"owner": "a"}, legacy)
    sent = metadata.metadata_to_send({"owner": "a"}, legacy)
    assert sent == dict(legacy, **{MANAGED: ["owner"]})
    assert metadata.metadata_equal({"owner": "a"}, sent)


def test_clearing_metadata_removes_every_user_key_but_not_litellms():
    stored = {"owner": "a", "note": "by hand", "tags": ["x"], MANAGED: ["owner"], metadata.MANAGED_MARKER_KEY: "m"}
    assert metadata.metadata_to_send({}, stored, exclusive=True) == {"tags": ["x"], metadata.MANAGED_MARKER_KEY: "m"}
    assert not metadata.metadata_equal({}, stored, exclusive=True)
    assert metadata.metadata_equal({}, {"tags": ["x"]}, exclusive=True)


def test_the_owner_is_kept_on_every_metadata_write_and_never_user_metadata():
    owner = {metadata.OWNER_KEY: "team-a", metadata.MANAGED_MARKER_KEY: "llmops.litellm"}
    stored = {"owner": "a", MANAGED: ["owner"], **owner}
    assert metadata.metadata_to_send({}, stored, exclusive=True) == owner
    assert metadata.metadata_to_send({"owner": "b"}, stored) == {"owner": "b", MANAGED: ["owner"], **owner}
    assert metadata.metadata_equal({"owner": "a"}, stored)
    assert metadata.user_metadata(stored) == {"owner": "a", MANAGED: ["owner"]}
    assert metadata.marked({"owner": "a"}, "team-a") == stored
    assert metadata.OWNER_KEY not in metadata.marked({"owner": "a"})
    assert metadata.owner_of({"metadata": stored}) == "team-a"
    assert metadata.owner_of({"metadata": {metadata.OWNER_KEY: ""}}) is None
    assert metadata.owner_of({"metadata": None}) is None
    assert metadata.OWNER_KEY in metadata.RESERVED_KEYS


def test_litellms_own_keys_are_not_recorded_as_declared():
    assert metadata.declared_user_keys({"tags": ["a"], "owner": "x", "model_rpm_limit": {}}) == ["owner"]
    assert metadata.marked({"tags": ["a"]}) == {"tags": ["a"], metadata.MANAGED_MARKER_KEY: "llmops.litellm"}
    assert metadata.marked({"b": 1, "a": 2})[MANAGED] == ["a", "b"]


def test_the_record_key_is_reserved():
    errors = keys.validate_key_params(key_params(key_alias="a", metadata={MANAGED: ["x"]}))
    assert any("llmops_metadata_keys" in error and "reserved" in error for error in errors)


# Key plans --------------------------------------------------------------------------------


def stored_key(**values):
    record = {
        "token": "a" * 64,
        "key_alias": "k",
        "models": ["m1", "m2"],
        "max_budget": 10.0,
        "budget_duration": "30d",
        "rpm_limit": 5,
        "tpm_limit": None,
        "max_parallel_requests": None,
        "team_id": None,
        "user_id": None,
        "budget_id": "b1",
        "litellm_budget_table": {"budget_id": "b1", "soft_budget": 2.0},
        "metadata": {
            "owner": "a",
            "model_rpm_limit": {"m1": 1},
            metadata.MANAGED_MARKER_KEY: "llmops.litellm",
            metadata.MANAGED_KEYS_KEY: ["owner"],
        },
        "blocked": None,
        "spend": 4.2,
        "budget_reset_at": "2026-12-01T00:00:00+00:00",
    }
    record.update(values)
    return record


def test_plan_for_a_missing_key_is_a_create_with_the_marker():
    plan = keys.KeyPlan(
        key_params(key_alias="k", models=["m1"], max_budget=3, duration="7d", state="blocked"), None, None
    )
    assert plan.action == "create" and plan.changed
    assert plan.create_body() == {
        "key_alias": "k",
        "models": ["m1"],
        "max_budget": 3,
        "metadata": {metadata.MANAGED_MARKER_KEY: metadata.MANAGED_MARKER_VALUE},
        "duration": "7d",
        "blocked": True,
    }


def test_plan_ignores_server_fields_and_litellm_metadata():
    params = key_params(
        key_alias="k", models=["m2", "m1"], max_budget=10, soft_budget=2, budget_duration="30d", metadata={"owner": "a"}
    )
    plan = keys.KeyPlan(params, stored_key(), None)
    assert not plan.changed
    assert plan.summary() == {"action": "none", "fields": []}


def test_plan_update_sends_only_changes_and_keeps_server_metadata():
    plan = keys.KeyPlan(key_params(key_alias="k", max_budget=20, metadata={"owner": "b"}), stored_key(), None)
    assert plan.action == "update"
    assert plan.update_bodies("tok") == [
        {
            "key": "tok",
            "max_budget": 20,
            "metadata": {
                "owner": "b",
                "model_rpm_limit": {"m1": 1},
                metadata.MANAGED_MARKER_KEY: "llmops.litellm",
                metadata.MANAGED_KEYS_KEY: ["owner"],
            },
        }
    ]
    recorded = {metadata.MANAGED_KEYS_KEY: ["owner"]}
    assert plan.before() == {
        "key_alias": "k",
        "state": "present",
        "max_budget": 10.0,
        "metadata": dict(recorded, owner="a"),
    }
    assert plan.after() == {
        "key_alias": "k",
        "state": "present",
        "max_budget": 20,
        "metadata": dict(recorded, owner="b"),
    }


def test_plan_diff_shows_kept_foreign_keys_and_removed_ones():
    stored = stored_key(
        metadata={"owner": "a", "tier": "x", "note": "hand", metadata.MANAGED_KEYS_KEY: ["owner", "tier"]}
    )
    plan = keys.KeyPlan(key_params(key_alias="k", metadata={"owner": "a"}), stored, None)
    assert plan.changes and plan.after()["metadata"] == {
        "owner": "a",
        "note": "hand",
        metadata.MANAGED_KEYS_KEY: ["owner"],
    }
    assert plan.predicted()["metadata"] == {"owner": "a", "note": "hand", metadata.MANAGED_KEYS_KEY: ["owner"]}


def test_plan_moves_teams_last_and_on_their_own():
    plan = keys.KeyPlan(
        key_params(key_alias="k", team="t", rpm_limit=1, clear_fields=["user_id"]), stored_key(user_id="u"), "team-1"
    )
    assert plan.update_bodies("tok") == [
        {"key": "tok", "rpm_limit": 1, "user_id": None},
        {"key": "tok", "team_id": "team-1"},
    ]


def test_team_move_errors_mirror_litellm():
    no_groups = model_access.ProxyModelGroups([])
    plan = keys.KeyPlan(key_params(key_alias="k", team="t"), stored_key(user_id="u", rpm_limit=50), "team-1")
    team = {"team_id": "team-1", "team_alias": "t", "models": ["m1"], "rpm_limit": 10, "members_with_roles": []}
    assert "does not allow model(s) m2 used by the key (team models: m1)" in plan.team_move_error(team, no_groups)
    assert "user_id u is not a member" in plan.team_move_error(dict(team, models=[]))
    members = [{"user_id": "u", "role": "user"}]
    assert (
        plan.team_move_error(dict(team, models=["all-proxy-models"], rpm_limit=None, members_with_roles=members))
        is None
    )


def test_team_move_compares_rpm_limit_only_for_a_key_with_a_tpm_limit():
    """validate_key_team_change checks rpm_limit inside ``if key.tpm_limit is not None``."""
    members = [{"user_id": "u", "role": "user"}]
    team = {"team_id": "team-1", "team_alias": "t", "models": [], "rpm_limit": 10, "members_with_roles": members}
    without_tpm = keys.KeyPlan(key_params(key_alias="k", team="t"), stored_key(user_id="u", rpm_limit=50), "team-1")
    assert without_tpm.team_move_error(team) is None
    with_tpm = keys.KeyPlan(
        key_params(key_alias="k", team="t"), stored_key(user_id="u", rpm_limit=50, tpm_limit=5), "team-1"
    )
    assert "rpm_limit 50 exceeds" in with_tpm.team_move_error(team)
    assert "tpm_limit 5 exceeds team t (team-1)'s 4" in with_tpm.team_move_error(dict(team, tpm_limit=4))


def test_team_move_without_known_access_groups_refuses_no_model():
    """A team model may be an access group when the proxy's model list cannot be read."""
    plan = keys.KeyPlan(key_params(key_alias="k", team="t"), stored_key(), "team-1")
    team = {"team_id": "team-1", "team_alias": "t", "models": ["m1"], "members_with_roles": []}
    assert plan.team_move_error(team, model_access.ProxyModelGroups(None)) is None
    assert plan.team_move_error(team, lambda: model_access.ProxyModelGroups(None)) is None
    assert "m2" in plan.team_move_error(team, lambda: model_access.ProxyModelGroups([{"model_name": "m1"}]))


def test_plan_blocks_and_unblocks():
    assert keys.KeyPlan(key_params(key_alias="k", state="blocked"), stored_key(), None).block == "block"
    assert keys.KeyPlan(key_params(key_alias="k", blocked=True), stored_key(), None).block == "block"
    assert keys.KeyPlan(key_params(key_alias="k"), stored_key(blocked=True), None).block == "unblock"
    assert keys.KeyPlan(key_params(key_alias="k", state="blocked"), stored_key(blocked=True), None).block is None


def test_plan_rotation_only_when_asked_and_the_value_differs():
    value = "sk-" + "v" * 20
    same = stored_key(token=hashlib.sha256(value.encode()).hexdigest())
    assert not keys.KeyPlan(key_params(key_alias="k", key=value, rotate_key=True), same, None).rotate
    assert keys.KeyPlan(key_params(key_alias="k", key=value, rotate_key=True), stored_key(), None).rotate
    unrotated = keys.KeyPlan(key_params(key_alias="k", key=value), stored_key(), None)
    assert not unrotated.changed
    assert "set rotate_key: true" in unrotated.warnings[0]
    assert keys.KeyPlan(key_params(key_alias="k", rotate_key=True), same, None).rotate


def test_plan_clear_fields_means_not_set():
    plan = keys.KeyPlan(
        key_params(key_alias="k", clear_fields=["max_budget", "models", "metadata"]), stored_key(), None
    )
    assert sorted(plan.changes) == ["max_budget", "metadata", "models"]
    body = plan.update_bodies("tok")[0]
    assert body["max_budget"] is None and body["models"] == []
    assert body["metadata"] == {"model_rpm_limit": {"m1": 1}, metadata.MANAGED_MARKER_KEY: "llmops.litellm"}


def test_public_key_has_no_secret_and_reads_soft_budget_from_the_budget_row():
    public = keys.public_key(dict(stored_key(), key="sk-should-not-appear"))
    assert "key" not in public
    assert public["soft_budget"] == 2.0
    assert public["managed"] is True and public["blocked"] is False


# Members ----------------------------------------------------------------------------------


def test_member_plan_adds_removes_promotes_and_spares_the_proxy_admin():
    stored = [
        {"user_id": "alice", "user_email": None, "role": "user"},
        {"user_id": "uuid-bob", "user_email": "bob@example.com", "role": "user"},
        {"user_id": "gone", "user_email": None, "role": "user"},
        {"user_id": teams.PROXY_ADMIN_USER_ID, "user_email": None, "role": "admin"},
    ]
    declared = [
        {"user_id": "alice", "role": "admin"},
        {"user_email": "bob@example.com", "role": "user"},
        {"user_id": "carol"},
    ]
    plan = teams.MemberPlan(declared, stored, purge=True)
    assert plan.add == [{"user_id": "carol", "role": "user"}]
    assert plan.update == [{"user_id": "alice", "role": "admin"}]
    assert plan.remove == [{"user_id": "gone", "role": "user"}]
    assert not teams.MemberPlan(declared[:2], stored, purge=False).remove
    assert not teams.MemberPlan(None, stored, purge=True).changed


# Errors -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            {"error": {"message": "Key not found.", "type": "not_found_error", "param": "key", "code": "404"}},
            "Key not found. (field: key)",
        ),
        ({"error": {"message": "{'error': 'max_budget must be ...'}", "param": None}}, "max_budget must be ..."),
        ({"detail": {"error": "Team not found, passed team_id=x"}}, "Team not found, passed team_id=x"),
        ({"detail": "Assigning team admins is a premium feature."}, "Assigning team admins is a premium feature."),
        (
            {
                "detail": [
                    {"type": "extra_forbidden", "loc": ["body", "max_bugdet"], "msg": "Extra inputs are not permitted"}
                ]
            },
            "max_bugdet: Extra inputs are not permitted",
        ),
    ],
)
def test_server_message_understands_every_litellm_error_shape(body, message):
    assert server_message(json.dumps(body).encode()) == message


def test_server_message_of_a_non_json_body():
    assert server_message(b"<html>Bad Gateway</html>") == "<html>Bad Gateway</html>"
    assert server_message(b"") == "(empty response body)"


# Client against the simulator -------------------------------------------------------------


def test_iter_keys_reads_every_page(client, sim):
    for index in range(205):
        status, _body = api(sim.url, MASTER_KEY, "POST", "/key/generate", {"key_alias": f"k{index:03d}"})
        assert status == 200
    before = stats(sim)["by_route"].get("GET /key/list", 0)
    aliases = [record["key_alias"] for record in client.iter_keys()]
    assert sorted(aliases) == [f"k{index:03d}" for index in range(205)]
    assert stats(sim)["by_route"]["GET /key/list"] - before == 3
    assert [record["key_alias"] for record in client.find_keys_by_alias("k007")] == ["k007"]


def test_requests_are_valid_litellm_bodies(client, sim):
    created = client.generate_key({"key_alias": "x", "models": ["gpt-4o"], "metadata": {"a": 1}})
    client.update_key({"key": created["token"], "max_budget": 3})
    client.block_key(created["token"])
    client.unblock_key(created["token"])
    team = client.new_team({"team_alias": "t", "members_with_roles": [{"user_id": "u", "role": "user"}]})
    client.team_member_add(team["team_id"], [{"user_id": "v", "role": "user"}])
    client.team_member_delete(team["team_id"], {"user_id": "v"})
    client.new_budget({"budget_id": "b", "max_budget": 1})
    client.update_budget({"budget_id": "b", "max_budget": 2})
    assert client.budget_info("b")["max_budget"] == 2
    assert client.delete_budget("b")["budget_id"] == "b"
    client.delete_keys([created["token"]])
    assert client.key_info("0" * 64) is None
    assert client.team_info("missing") is None
    assert client.budget_info("missing") is None
    assert "gpt-4o" in client.model_names()


def test_a_misspelt_field_fails_like_a_validation_error(client):
    with pytest.raises(LiteLLMError) as failure:
        client.generate_key({"key_alias": "x", "max_bugdet": 1})
    assert failure.value.status == 422
    assert "max_bugdet: Extra inputs are not permitted" in failure.value.message
    assert "/key/generate" in failure.value.message


def test_a_wrong_master_key_names_the_url_status_and_option(sim):
    wrong = LiteLLMClient(sim.url, "sk-wrong-master-key-000")
    with pytest.raises(LiteLLMError) as failure:
        wrong.list_budgets()
    message = failure.value.message
    assert failure.value.status == 401
    assert f"GET {sim.url}/budget/list returned HTTP 401" in message
    assert "master_key" in message
    assert hashlib.sha256(b"sk-wrong-master-key-000").hexdigest() not in message


def test_an_unreachable_api_names_the_url_and_is_retried():
    waits = []
    with pytest.raises(LiteLLMError) as failure:
        LiteLLMClient("http://127.0.0.1:9/", MASTER_KEY, timeout=5, sleep=waits.append).list_budgets()
    assert "Cannot reach LiteLLM at http://127.0.0.1:9/budget/list" in failure.value.message
    assert failure.value.message.endswith("Gave up after 4 attempts.")
    assert failure.value.status is None and failure.value.reached is False
    assert waits == [1.0, 2.0, 4.0]


def test_model_catalog_accepts_special_names_groups_and_wildcards(client):
    catalog = lookups.ModelCatalog(client)
    assert catalog.unknown(["gpt-4o", "all-team-models", "cheap-models", "openai/gpt-4.1", "nope"]) == ["nope"]
    assert "models: unknown model(s) nope" in catalog.error("", ["nope"])
    assert catalog.error("", None) is None


def test_team_directory_resolves_ids_aliases_and_refuses_ambiguity(client):
    first = client.new_team({"team_alias": "dup"})
    client.new_team({"team_alias": "dup"})
    single = client.new_team({"team_alias": "single", "team_id": "dup"})
    directory = lookups.TeamDirectory(client)
    assert directory.resolve("single") == (single["team_id"], None)
    assert directory.resolve("dup") == ("dup", None)
    assert directory.resolve(first["team_id"]) == (first["team_id"], None)
    assert "does not exist" in directory.resolve("none")[1]
    client.delete_teams(["dup"])
    assert "ambiguous: 2 teams" in lookups.TeamDirectory(client).resolve("dup")[1]
    with pytest.raises(LiteLLMError, match="matches 2 teams"):
        lookups.find_team(client, None, "dup")


def test_token_hash_is_litellms_key_hash():
    assert token_hash("sk-abc") == hashlib.sha256(b"sk-abc").hexdigest()


# Teams on /v2/team/list -------------------------------------------------------------------


def team_list_requests(sim) -> int:
    return stats(sim)["by_route"].get("GET /v2/team/list", 0)


def test_list_teams_reads_every_page(client, sim):
    for index in range(205):
        client.new_team({"team_alias": f"t{index:03d}"})
    before = team_list_requests(sim)
    teams = client.list_teams()
    assert sorted(team["team_alias"] for team in teams) == [f"t{index:03d}" for index in range(205)]
    assert team_list_requests(sim) - before == 3
    assert "GET /team/list" not in stats(sim)["by_route"]


def test_find_team_by_alias_finds_the_one_on_page_two(client, sim):
    # 150 teams whose alias contains "support": LiteLLM's alias filter is a substring match, so the
    # exact "support" comes only on page 2 (team_id order, and its id sorts last).
    for index in range(150):
        client.new_team({"team_alias": f"support-{index:03d}", "team_id": f"a-{index:03d}"})
    client.new_team({"team_alias": "support", "team_id": "z-support"})
    before = team_list_requests(sim)
    assert lookups.find_team(client, None, "support")["team_id"] == "z-support"
    assert team_list_requests(sim) - before == 2
    assert lookups.find_team(client, None, "SUPPORT") is None
    assert lookups.find_team(client, "a-007", None)["team_alias"] == "support-007"
    assert lookups.find_team(client, "a-0", None) is None


def test_a_team_litellm_cannot_list_stops_the_lookup(client, sim):
    broken = [{"user_id": None, "user_email": None, "role": "user"}]
    api(sim.url, None, "POST", "/_sim/seed", {"teams": [{"team_alias": "ops", "members_with_roles": broken}]})
    # /team/list silently leaves the team out: a lookup there would create a duplicate "ops".
    assert api(sim.url, MASTER_KEY, "GET", "/team/list")[1] == []
    fast = LiteLLMClient(sim.url, MASTER_KEY, retries=0)
    with pytest.raises(LiteLLMError) as failure:
        lookups.find_team(fast, None, "ops")
    assert failure.value.status == 500
    assert "fails its own validation" in failure.value.message
    assert "/v2/team/list" in failure.value.message


class ShortPages(LiteLLMClient):
    """A listing whose pages hold fewer teams than it counts (as /team/list silently does)."""

    def get(self, path, query=None):
        answer = super().get(path, query)
        if path == "/v2/team/list":
            answer = dict(answer, teams=answer["teams"][1:])
        return answer


def test_a_listing_that_holds_fewer_teams_than_it_counts_fails(sim, client):
    client.new_team({"team_alias": "a"})
    client.new_team({"team_alias": "b"})
    with pytest.raises(LiteLLMError, match="counts 2 teams but its pages held 1"):
        ShortPages(sim.url, MASTER_KEY).list_teams()


def test_team_directory_queries_each_reference_once_or_lists_everything(client, sim):
    team = client.new_team({"team_alias": "alpha"})
    client.new_team({"team_alias": "alphabet"})
    before = team_list_requests(sim)
    directory = lookups.TeamDirectory(client)
    assert directory.resolve("alpha") == (team["team_id"], None)
    assert directory.resolve("alpha") == (team["team_id"], None)
    assert directory.by_id(team["team_id"])["team_alias"] == "alpha"
    assert team_list_requests(sim) - before == 1
    many = lookups.TeamDirectory.for_references(client, ["alpha", "b", "c", "d", "e", "f"])
    assert many.resolve("alpha")[0] == team["team_id"] and "does not exist" in many.resolve("b")[1]
    assert team_list_requests(sim) - before == 2


# Retries ------------------------------------------------------------------------------------


@pytest.fixture
def waits():
    return []


@pytest.fixture
def retrying(sim, client, waits):
    """A client against the reset simulator whose backoff is recorded, not slept."""
    return LiteLLMClient(sim.url, MASTER_KEY, sleep=waits.append)


def fault(sim, **values):
    status, body = api(sim.url, None, "POST", "/_sim/faults", values)
    assert status == 200, body


def requests_to(sim, route):
    return stats(sim)["by_route"].get(route, 0)


def test_reads_are_retried_with_a_doubling_backoff(retrying, sim, waits):
    fault(sim, path="/key/list", status=503, count=2)
    assert list(retrying.iter_keys()) == []
    assert waits == [1.0, 2.0]
    assert requests_to(sim, "GET /key/list") == 3


@pytest.mark.parametrize("status", [500, 502, 504])
def test_reads_are_retried_on_5xx_then_give_up(retrying, sim, waits, status):
    fault(sim, path="/budget/list", status=status, count=10)
    with pytest.raises(LiteLLMError) as failure:
        retrying.list_budgets()
    assert failure.value.status == status
    assert "Gave up after 4 attempts" in failure.value.message
    assert waits == [1.0, 2.0, 4.0]


def test_a_read_sent_as_post_is_retried_like_a_get(retrying, sim, waits):
    fault(sim, path="/budget/info", status=503, count=1)
    assert retrying.budget_info("none") is None
    assert waits == [1.0]


def test_the_backoff_never_runs_past_the_cap():
    now = [0.0]
    policy = RetryPolicy(retries=10, delay=1.0, cap=60.0, clock=lambda: now[0])
    delays = []
    for delay in policy.delays():
        delays.append(delay)
        now[0] += delay + 5  # each attempt takes 5 s
    assert delays == [1.0, 2.0, 4.0, 8.0, 16.0]


def test_a_4xx_is_never_retried(retrying, sim, waits):
    with pytest.raises(LiteLLMError):
        retrying.generate_key({"key_alias": "x", "max_budget": -1})
    assert waits == [] and requests_to(sim, "POST /key/generate") == 1


def test_a_create_refused_with_503_is_looked_up_then_sent_again(retrying, sim, waits):
    fault(sim, path="/key/generate", status=503, count=2)
    created = retrying.generate_key({"key_alias": "k"})
    assert created["key"].startswith("sk-")
    assert requests_to(sim, "POST /key/generate") == 3
    assert requests_to(sim, "GET /key/list") == 2  # one look-up before each repeat
    assert [key["key_alias"] for key in retrying.iter_keys()] == ["k"]


def test_a_create_whose_answer_was_lost_is_not_sent_again(retrying, sim):
    value = "sk-unit-declared-000001"
    fault(sim, path="/key/generate", status=504, applied=True)
    created = retrying.generate_key({"key_alias": "k", "key": value})
    assert created["key"] == value and created["token"] == token_hash(value)
    assert requests_to(sim, "POST /key/generate") == 1


def test_a_generated_secret_lost_with_the_answer_is_reported_as_done(retrying, sim):
    fault(sim, path="/key/generate", status=504, applied=True)
    with pytest.raises(WriteAnswerLost) as failure:
        retrying.generate_key({"key_alias": "k"})
    assert failure.value.applied is True and failure.value.record["key_alias"] == "k"
    assert "value it generated is unknown" in failure.value.message and "rotate_key" in failure.value.message
    assert requests_to(sim, "POST /key/generate") == 1


def test_a_write_timeout_is_looked_up_before_anything_is_sent_again(sim, waits):
    fast = LiteLLMClient(sim.url, MASTER_KEY, timeout=0.3, sleep=waits.append)
    fault(sim, path="/team/new", delay=0.6, applied=True)
    team = fast.new_team({"team_alias": "slow", "team_id": "slow-id"})
    assert team["team_id"] == "slow-id"
    assert requests_to(sim, "POST /team/new") == 1
    assert [t["team_id"] for t in fast.list_teams()] == ["slow-id"]


def test_a_500_on_a_write_is_not_repeated(retrying, sim, waits):
    fault(sim, path="/team/new", status=500)
    with pytest.raises(LiteLLMError) as failure:
        retrying.new_team({"team_alias": "t"})
    assert failure.value.status == 500 and waits == []
    assert requests_to(sim, "POST /team/new") == 1


def test_value_setting_writes_are_simply_sent_again(retrying, sim, waits):
    created = retrying.generate_key({"key_alias": "k"})
    fault(sim, path="/key/update", status=502, applied=True)
    fault(sim, path="/key/block", status=503)
    retrying.update_key({"key": created["token"], "max_budget": 5})
    retrying.block_key(created["token"])
    assert requests_to(sim, "POST /key/update") == 2 and requests_to(sim, "POST /key/block") == 2
    assert retrying.key_info(created["token"])["blocked"] is True


def test_deletes_and_member_changes_whose_answer_was_lost_are_done(retrying, sim):
    keys_made = [retrying.generate_key({"key_alias": alias})["token"] for alias in ("a", "b")]
    team = retrying.new_team({"team_alias": "t"})
    for path in ("/key/delete", "/team/member_add", "/team/member_delete", "/budget/new"):
        fault(sim, path=path, status=504, applied=True)
    assert retrying.delete_keys(keys_made) == {"deleted_keys": keys_made}
    retrying.team_member_add(team["team_id"], [{"user_id": "u", "role": "user"}])
    retrying.team_member_delete(team["team_id"], {"user_id": "u"})
    assert retrying.new_budget({"budget_id": "b", "max_budget": 1})["budget_id"] == "b"
    for route in ("POST /key/delete", "POST /team/member_add", "POST /team/member_delete", "POST /budget/new"):
        assert requests_to(sim, route) == 1, route


def test_a_write_that_cannot_be_looked_up_is_not_repeated(retrying, sim, waits):
    fault(sim, path="/key/generate", status=503)
    with pytest.raises(LiteLLMError) as failure:
        retrying.generate_key({"max_budget": 1})
    assert "not repeated" in failure.value.message and waits == []
    assert requests_to(sim, "POST /key/generate") == 1


def test_a_write_refused_at_connect_is_sent_again():
    waits = []
    with pytest.raises(LiteLLMError) as failure:
        LiteLLMClient("http://127.0.0.1:9", MASTER_KEY, sleep=waits.append).new_team({"team_alias": "t"})
    assert failure.value.reached is False
    assert waits == [1.0, 2.0, 4.0] and "Gave up after 4 attempts" in failure.value.message


def test_a_failed_look_up_after_a_failed_write_says_both(retrying, sim):
    fault(sim, path="/key/generate", status=503)
    fault(sim, path="/key/list", status=503, count=10)
    with pytest.raises(LiteLLMError) as failure:
        retrying.generate_key({"key_alias": "k"})
    message = failure.value.message
    assert message.startswith("POST ") and "/key/generate returned HTTP 503" in message
    assert "the look-up that would tell failed: GET " in message and "Gave up after 4 attempts" in message
