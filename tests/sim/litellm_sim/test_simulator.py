"""The simulator reproduces the LiteLLM behaviours its docstrings claim (one test per claim)."""

from __future__ import annotations

import hashlib

import pytest

from litellm_sim import start
from litellm_sim.testing import api

MASTER_KEY = "sk-sim-test-master-0001"


@pytest.fixture(scope="module")
def server():
    simulator_server, _thread = start(MASTER_KEY)
    yield simulator_server
    simulator_server.shutdown()


@pytest.fixture
def call(server):
    api(server.url, None, "POST", "/_sim/reset", {})

    def request(method: str, path: str, body=None, key: str | None = MASTER_KEY):
        return api(server.url, key, method, path, body)

    return request


def test_unknown_body_fields_are_refused_even_when_nested(call):
    status, body = call(
        "POST", "/team/new", {"team_alias": "t", "members_with_roles": [{"user_id": "u", "role": "user", "rol": 1}]}
    )
    assert status == 422
    assert body["detail"] == [
        {
            "type": "extra_forbidden",
            "loc": ["body", "members_with_roles", 0, "rol"],
            "msg": "Extra inputs are not permitted",
        }
    ]


def test_litellm_type_errors_come_from_its_own_models(call):
    status, body = call("POST", "/key/generate", {"max_budget": "lots"})
    assert status == 422
    assert body["detail"][0]["loc"] == ["body", "max_budget"]
    assert body["detail"][0]["type"] == "float_parsing"


def test_unknown_query_parameters_are_refused(call):
    status, body = call("GET", "/key/list?key_alais=x")
    assert status == 422
    assert body["detail"][0]["loc"] == ["query", "key_alais"]


def test_a_wrong_master_key_gets_litellms_401(call):
    status, body = call("GET", "/key/list", key="sk-not-the-master-key")
    assert status == 401
    assert body["error"]["type"] == "token_not_found_in_db"
    assert body["error"]["code"] == "401"
    status, body = call("GET", "/key/list", key="no-prefix-key")
    assert status == 401 and "expected to start with 'sk-'" in body["error"]["message"]


def test_key_aliases_are_unique(call):
    assert call("POST", "/key/generate", {"key_alias": "a"})[0] == 200
    status, body = call("POST", "/key/generate", {"key_alias": "a"})
    assert status == 400
    assert body["error"]["param"] == "key_alias"


def test_list_pagination_defaults_to_10_and_caps_at_100(call):
    for index in range(12):
        call("POST", "/key/generate", {"key_alias": f"k{index}"})
    status, page = call("GET", "/key/list")
    assert status == 200
    assert (len(page["keys"]), page["total_count"], page["total_pages"]) == (10, 12, 2)
    assert all(len(token) == 64 for token in page["keys"])
    assert call("GET", "/key/list?size=101")[0] == 422
    assert call("GET", "/key/list?page=0")[0] == 422
    status, page = call("GET", "/key/list?page=2&return_full_object=true")
    assert [key["key_alias"] for key in page["keys"]] == ["k1", "k0"]


def test_key_info_by_hash_and_the_deleted_archive(call):
    created = call("POST", "/key/generate", {"key_alias": "i"})[1]
    assert created["token"] == hashlib.sha256(created["key"].encode()).hexdigest()
    status, info = call("GET", f"/key/info?key={created['token']}")
    assert status == 200 and info["info"]["status"] == "active" and "token" not in info["info"]
    assert call("POST", "/key/delete", {"keys": [created["token"]]})[1] == {"deleted_keys": [created["token"]]}
    assert call("GET", f"/key/info?key={created['token']}")[1]["info"]["status"] == "deleted"
    assert call("GET", "/key/info?key=" + "0" * 64)[0] == 404


def test_deleting_a_missing_key_is_404(call):
    status, body = call("POST", "/key/delete", {"keys": ["0" * 64]})
    assert status == 404
    assert body["error"]["message"] == "{'error': 'No keys found'}"


def test_metadata_is_replaced_on_update_but_metadata_backed_fields_merge(call):
    created = call("POST", "/key/generate", {"key_alias": "m", "metadata": {"a": 1}, "model_rpm_limit": {"x": 1}})[1]
    assert created["metadata"] == {"a": 1, "model_rpm_limit": {"x": 1}}
    updated = call("POST", "/key/update", {"key": created["token"], "metadata": {"b": 2}})[1]
    assert updated["metadata"] == {"b": 2}
    updated = call("POST", "/key/update", {"key": created["token"], "tpm_limit_type": "best_effort_throughput"})[1]
    assert updated["metadata"] == {"b": 2, "tpm_limit_type": "best_effort_throughput"}


def test_soft_budget_creates_a_budget_row(call):
    created = call("POST", "/key/generate", {"key_alias": "s", "soft_budget": 3})[1]
    budgets = call("GET", "/budget/list")[1]
    assert [(b["budget_id"], b["soft_budget"]) for b in budgets] == [(created["budget_id"], 3)]
    listed = call("GET", "/key/list?return_full_object=true&key_alias=s")[1]["keys"][0]
    assert listed["litellm_budget_table"]["soft_budget"] == 3


def test_team_deletion_deletes_its_keys_and_needs_every_team(call):
    team = call("POST", "/team/new", {"team_alias": "t"})[1]
    call("POST", "/key/generate", {"key_alias": "tk", "team_id": team["team_id"]})
    status, body = call("POST", "/team/delete", {"team_ids": [team["team_id"], "missing"]})
    assert status == 404 and body == {"detail": {"error": "Team not found, passed team_id=missing"}}
    assert call("POST", "/team/delete", {"team_ids": [team["team_id"]]})[0] == 200
    assert call("GET", "/key/list?key_alias=tk")[1]["total_count"] == 0


def test_master_key_teams_get_the_proxy_admin_and_aliases_may_repeat(call):
    first = call("POST", "/team/new", {"team_alias": "same"})[1]
    assert first["members_with_roles"] == [{"user_id": "default_user_id", "user_email": None, "role": "admin"}]
    assert call("POST", "/team/new", {"team_alias": "same"})[0] == 200


def test_removing_a_member_deletes_their_team_keys(call):
    team = call("POST", "/team/new", {"team_alias": "t", "members_with_roles": [{"user_id": "u", "role": "user"}]})[1]
    call("POST", "/key/generate", {"key_alias": "uk", "team_id": team["team_id"], "user_id": "u"})
    assert call("POST", "/team/member_delete", {"team_id": team["team_id"], "user_id": "u"})[0] == 200
    assert call("GET", "/key/list?key_alias=uk")[1]["total_count"] == 0
    status, body = call("POST", "/team/member_delete", {"team_id": team["team_id"], "user_id": "u"})
    assert status == 400 and body == {"detail": {"error": "User not found in team"}}


def test_admin_members_and_regeneration_need_a_licence(call, server):
    team = call("POST", "/team/new", {"team_alias": "t"})[1]
    status, _body = call(
        "POST", "/team/member_add", {"team_id": team["team_id"], "member": {"user_id": "a", "role": "admin"}}
    )
    assert status == 400
    created = call("POST", "/key/generate", {"key_alias": "r"})[1]
    assert call("POST", "/key/regenerate", {"key": created["token"]})[0] == 500
    api(server.url, None, "POST", "/_sim/config", {"premium_user": True})
    rotated = call("POST", "/key/regenerate", {"key": created["token"], "new_key": "sk-rotated-value-0001"})[1]
    assert rotated["token_id"] == hashlib.sha256(b"sk-rotated-value-0001").hexdigest()


def test_budget_endpoints_quirks(call):
    assert call("POST", "/budget/new", {"budget_id": "b", "max_budget": 1})[0] == 200
    status, body = call("POST", "/budget/new", {"budget_id": "b"})
    assert status == 400 and body == {"detail": {"error": "Budget with id 'b' already exists."}}
    assert call("POST", "/budget/update", {"budget_id": "missing", "max_budget": 1}) == (200, None)
    assert call("POST", "/budget/info", {"budgets": ["missing"]}) == (200, [])
    assert call("POST", "/budget/delete", {"id": "missing"}) == (200, None)


def test_writes_are_counted_whatever_their_outcome(call, server):
    call("POST", "/key/generate", {"key_alias": "w"})
    call("POST", "/key/generate", {"key_alias": "w"})
    call("GET", "/key/list")
    stats = api(server.url, None, "GET", "/_sim/stats")[1]
    assert (stats["writes"], stats["requests"]) == (2, 3)


# Budgets and what uses them ----------------------------------------------------------------


def ok(call, method, path, body=None):
    status, answer = call(method, path, body)
    assert status == 200, answer
    return answer


def test_budget_delete_unlinks_keys_and_memberships_and_leaves_team_metadata_dangling(call):
    """delete_budget is a plain delete: the foreign keys set the keys' and memberships' budget_id
    to null (ON DELETE SET NULL); a team's metadata.team_member_budget_id keeps naming it."""
    ok(call, "POST", "/budget/new", {"budget_id": "b1"})
    ok(call, "POST", "/key/generate", {"key_alias": "k1", "budget_id": "b1"})
    team = ok(call, "POST", "/team/new", {"team_alias": "tm", "team_member_rpm_limit": 7})
    member_budget = team["metadata"]["team_member_budget_id"]
    assert member_budget.startswith("team-tm-budget-")
    assert ok(call, "POST", "/budget/delete", {"id": "b1"})["budget_id"] == "b1"
    assert ok(call, "POST", "/budget/delete", {"id": "b1"}) is None
    keys = ok(call, "GET", "/key/list?return_full_object=true")["keys"]
    assert [key["budget_id"] for key in keys] == [None]
    [listed] = ok(call, "GET", "/team/list")
    assert [m["budget_id"] for m in listed["team_memberships"]] == [member_budget]
    ok(call, "POST", "/budget/delete", {"id": member_budget})
    [listed] = ok(call, "GET", "/team/list")
    assert listed["metadata"]["team_member_budget_id"] == member_budget
    assert [m["budget_id"] for m in listed["team_memberships"]] == [None]
    ok(call, "POST", "/team/member_add", {"team_id": team["team_id"], "member": {"user_id": "late", "role": "user"}})
    info = ok(call, "GET", "/team/info?team_id=" + team["team_id"])
    assert {m["user_id"]: m["budget_id"] for m in info["team_memberships"]}["late"] is None


def test_team_member_budget_links_every_member_and_update_writes_into_it(call):
    team = ok(
        call,
        "POST",
        "/team/new",
        {"team_alias": "tm", "team_member_budget": 3, "members_with_roles": [{"user_id": "u1", "role": "user"}]},
    )
    budget_id = team["metadata"]["team_member_budget_id"]
    info = ok(call, "GET", "/team/info?team_id=" + team["team_id"])
    assert {m["user_id"]: m["budget_id"] for m in info["team_memberships"]} == {
        "u1": budget_id,
        "default_user_id": budget_id,
    }
    assert info["team_memberships"][0]["litellm_budget_table"]["max_budget"] == 3
    ok(call, "POST", "/team/update", {"team_id": team["team_id"], "team_member_budget": 4})
    [budget] = ok(call, "POST", "/budget/info", {"budgets": [budget_id]})
    assert budget["max_budget"] == 4
    ok(call, "POST", "/team/delete", {"team_ids": [team["team_id"]]})
    assert ok(call, "POST", "/budget/info", {"budgets": [budget_id]})[0]["budget_id"] == budget_id


@pytest.mark.parametrize(
    ("path", "body", "fragment"),
    [
        ("/key/generate", {"max_parallel_requests": 2**31}, 'value "2147483648" is out of range for type integer'),
        ("/key/generate", {"rpm_limit": 2**63}, "does not fit into a 64 bit signed integer"),
        ("/team/new", {"tpm_limit": 2**63}, "does not fit into a 64 bit signed integer"),
        ("/team/new", {"team_member_rpm_limit": 2**64}, "does not fit into a 64 bit signed integer"),
    ],
)
def test_integers_beyond_their_column_fail_in_the_database(call, path, body, fragment):
    status, answer = call("POST", path, body)
    assert status == 500
    assert fragment in answer["error"]["message"]
    assert call("POST", path, dict.fromkeys(body, 2**31 - 1))[0] == 200


def test_budget_endpoints_answer_a_bare_500_to_a_database_error(server, call):
    import urllib.error  # noqa: PLC0415
    import urllib.request  # noqa: PLC0415

    request = urllib.request.Request(
        server.url + "/budget/new",
        data=b'{"budget_id": "b", "max_parallel_requests": 2147483648}',
        method="POST",
        headers={"Authorization": f"Bearer {MASTER_KEY}", "Content-Type": "application/json"},
    )
    with pytest.raises(urllib.error.HTTPError) as failure:
        urllib.request.urlopen(request, timeout=10)
    assert failure.value.code == 500
    assert failure.value.headers["Content-Type"].startswith("text/plain")
    assert failure.value.read() == b"Internal Server Error"
    assert call("POST", "/budget/new", {"budget_id": "b", "max_parallel_requests": 2**31 - 1})[0] == 200


def test_key_update_beyond_a_column_is_update_key_fns_400(call):
    ok(call, "POST", "/key/generate", {"key_alias": "k1"})
    status, answer = call("POST", "/key/update", {"key_alias": "k1", "tpm_limit": 2**63})
    assert status == 400
    assert answer["error"]["type"] == "auth_error"
    assert answer["error"]["message"].startswith("Authentication Error, A number used in the query")


def test_a_key_duration_past_the_year_9999_is_generate_key_fns_500(call):
    status, answer = call("POST", "/key/generate", {"duration": "999999999999s"})
    assert status == 500
    assert answer["error"]["type"] == "internal_server_error"


def test_v2_team_list_pages_and_fields_are_litellms(call):
    for index in range(12):
        call("POST", "/team/new", {"team_alias": f"t{index:02d}", "team_id": f"id-{index:02d}"})
    call("POST", "/key/generate", {"key_alias": "k", "team_id": "id-03"})
    status, first = call("GET", "/v2/team/list")
    assert status == 200
    assert {name: first[name] for name in ("total", "page", "page_size", "total_pages")} == {
        "total": 12,
        "page": 1,
        "page_size": 10,
        "total_pages": 2,
    }
    # Default order: newest first (created_at descending).
    assert first["teams"][0]["team_id"] == "id-11"
    status, page = call("GET", "/v2/team/list?page=2&page_size=5&sort_by=team_id&sort_order=asc")
    assert [team["team_id"] for team in page["teams"]] == [f"id-{index:02d}" for index in range(5, 10)]
    third = call("GET", "/v2/team/list?team_id=id-03")[1]["teams"][0]
    assert (third["keys_count"], third["members_count"]) == (1, 1)
    assert set(third) >= {"members_with_roles", "metadata", "access_group_models", "litellm_model_table", "spend"}
    assert "keys" not in third and "team_memberships" not in third


def test_v2_team_list_filters(call):
    call("POST", "/team/new", {"team_alias": "Support", "team_id": "s1"})
    call("POST", "/team/new", {"team_alias": "support-eu", "team_id": "s2"})
    call("POST", "/team/new", {"team_alias": "other", "team_id": "support"})
    aliases = [team["team_alias"] for team in call("GET", "/v2/team/list?team_alias=SUPP&sort_by=team_id")[1]["teams"]]
    assert aliases == ["Support", "support-eu"]
    found = call("GET", "/v2/team/list?search=support&sort_by=team_id")[1]["teams"]
    assert [team["team_id"] for team in found] == ["s1", "s2", "support"]
    assert call("GET", "/v2/team/list?search=s&search_team_id_match=prefix")[1]["total"] == 3
    assert call("GET", "/v2/team/list?team_id=s")[1]["total"] == 0


def test_v2_team_list_refusals(call):
    assert call("GET", "/v2/team/list?page_size=101")[0] == 422
    assert call("GET", "/v2/team/list?page=0")[0] == 422
    assert call("GET", "/v2/team/list?search_team_id_match=fuzzy")[0] == 422
    assert call("GET", "/v2/team/list?team_alia=x")[0] == 422
    assert call("GET", "/v2/team/list?status=active") == (
        400,
        {"detail": {"error": "Invalid status value. Currently only 'deleted' is supported."}},
    )
    assert call("GET", "/v2/team/list?user_id=nobody")[0] == 404


def test_v2_team_list_user_filter_and_deleted_teams(call):
    call(
        "POST",
        "/team/new",
        {"team_alias": "a", "team_id": "a", "members_with_roles": [{"user_id": "u", "role": "user"}]},
    )
    call("POST", "/team/new", {"team_alias": "b", "team_id": "b"})
    assert [team["team_id"] for team in call("GET", "/v2/team/list?user_id=u")[1]["teams"]] == ["a"]
    assert call("GET", "/v2/team/list?user_id=u&team_id=b")[0] == 404
    call("POST", "/team/delete", {"team_ids": ["b"]})
    deleted = call("GET", "/v2/team/list?status=deleted")[1]
    assert [team["team_id"] for team in deleted["teams"]] == ["b"] and deleted["teams"][0]["deleted_at"]


def test_a_team_litellm_cannot_validate_vanishes_from_team_list_and_fails_v2(call, server):
    call("POST", "/team/new", {"team_alias": "good"})
    broken = [{"user_id": None, "user_email": None, "role": "user"}]
    api(server.url, None, "POST", "/_sim/seed", {"teams": [{"team_alias": "broken", "members_with_roles": broken}]})
    assert [team["team_alias"] for team in call("GET", "/team/list")[1]] == ["good"]
    assert call("GET", "/v2/team/list") == (
        500,
        {"error": {"message": "Internal server error", "type": "internal_server_error"}},
    )
    assert call("GET", "/v2/team/list?team_alias=good")[1]["total"] == 1


def test_faults_answer_instead_of_the_endpoint_then_stop(call, server):
    api(server.url, None, "POST", "/_sim/faults", {"path": "/key/generate", "status": 503, "count": 2})
    assert call("POST", "/key/generate", {"key_alias": "f"})[1]["error"]["type"] == "no_db_connection"
    assert call("POST", "/key/generate", {"key_alias": "f"})[0] == 503
    assert call("GET", "/key/list?key_alias=f")[1]["total_count"] == 0
    assert call("POST", "/key/generate", {"key_alias": "f"})[0] == 200
    faults = api(server.url, None, "GET", "/_sim/faults")[1]["faults"]
    assert [(fault["served"], fault["count"]) for fault in faults] == [(2, 0)]


def test_an_applied_fault_writes_then_loses_the_answer(call, server):
    fault = {"path": "/key/generate", "status": 504, "applied": True, "match": {"key_alias": "b"}}
    api(server.url, None, "POST", "/_sim/faults", fault)
    assert call("POST", "/key/generate", {"key_alias": "a"})[0] == 200
    status, _body = call("POST", "/key/generate", {"key_alias": "b"})
    assert status == 504
    assert call("GET", "/key/list?key_alias=b")[1]["total_count"] == 1


def test_a_delayed_fault_outlasts_a_client_timeout(server):
    import urllib.request  # noqa: PLC0415

    api(server.url, None, "POST", "/_sim/reset", {})
    api(server.url, None, "POST", "/_sim/faults", {"path": "/key/list", "delay": 0.5, "status": 504})
    request = urllib.request.Request(server.url + "/key/list", headers={"Authorization": f"Bearer {MASTER_KEY}"})
    with pytest.raises(OSError):
        urllib.request.urlopen(request, timeout=0.2)  # noqa: S310 - loopback simulator
    assert api(server.url, None, "POST", "/_sim/faults", {"faults": []})[1] == {"faults": []}
