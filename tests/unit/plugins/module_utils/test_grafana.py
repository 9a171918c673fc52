"""Grafana JSON normalisation, datasource placeholder resolution and the HTTP client's error messages."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from ansible_collections.llmops.litellm.plugins.module_utils import grafana as g
from grafana_sim import GrafanaSimulator

REPO = Path(__file__).resolve().parents[4]

V2_STYLE = {
    "uid": "abc",
    "title": "LiteLLM",
    "id": 20,
    "version": 17,
    "templating": {
        "list": [
            {"name": "DS_PROMETHEUS", "type": "datasource", "query": "prometheus", "current": {"value": "edx8"}},
            {"name": "model", "type": "query", "datasource": {"type": "prometheus", "uid": "${DS_PROMETHEUS}"}},
        ]
    },
    "panels": [{"id": 1, "datasource": {"type": "prometheus", "uid": "${DS_PROMETHEUS}"}, "targets": []}],
}

INPUTS_STYLE = {
    "__inputs": [
        {"name": "DS_PROM", "type": "datasource", "pluginId": "prometheus"},
        {"name": "VAR_JOB", "type": "constant", "value": "node"},
    ],
    "__requires": [{"type": "grafana", "id": "grafana", "version": "11.6.1"}],
    "__elements": {},
    "uid": "node",
    "title": "Node",
    "panels": [
        {"id": 1, "datasource": "${DS_PROM}", "targets": [{"expr": 'up{job="${VAR_JOB}"}'}]},
        {"id": 2, "datasource": {"type": "prometheus", "uid": "${DS_PROM}"}, "title": "uses ${DS_PROM}"},
    ],
}


def test_normalize_drops_server_managed_and_import_only_keys():
    dashboard = dict(V2_STYLE, iteration=123, __inputs=[], __requires=[], __elements={})
    normalized = g.normalize_dashboard(dashboard)
    assert not {"id", "version", "iteration", "__inputs", "__requires", "__elements"} & set(normalized)
    assert normalized["panels"] == V2_STYLE["panels"]
    assert dashboard["id"] == 20, "the input must not be modified"


def test_canonical_json_ignores_key_order_and_keeps_unicode():
    a = {"b": 1, "a": {"y": [1, 2], "x": "–"}}
    b = {"a": {"x": "–", "y": [1, 2]}, "b": 1}
    assert g.canonical_json(a) == g.canonical_json(b)
    assert "–" in g.canonical_json(a)
    assert g.canonical_json(a).endswith("}\n")


@pytest.mark.parametrize(
    ("uid", "problem"),
    [
        ("ok-uid_1", None),
        ("x" * 40, None),
        ("x" * 41, "41 characters long"),
        ("bad uid", "may contain only"),
        ("", "is missing"),
        (None, "is missing"),
    ],
)
def test_uid_rules_follow_grafana(uid, problem):
    found = g.uid_problem(uid)
    assert (found is None) if problem is None else (problem in found)


def test_parse_error_names_the_source_and_position():
    with pytest.raises(g.GrafanaError, match=r"dash\.json is not valid JSON: .* at line 2 column 10 \(char 18\)"):
        g.parse_dashboard_text('{"a": 1,\n  "b": 2,,\n}', "dash.json")


def test_parse_accepts_the_api_shape_and_refuses_non_objects():
    assert g.parse_dashboard_text('{"dashboard": {"uid": "x"}, "meta": {}}', "f")["uid"] == "x"
    with pytest.raises(g.GrafanaError, match="must hold a JSON object"):
        g.parse_dashboard_text("[1, 2]", "list.json")


def test_datasource_variable_is_pinned_and_references_kept():
    resolved = g.resolve_dashboard_inputs(V2_STYLE, {"DS_PROMETHEUS": "llmops-prometheus"})
    variable = resolved["templating"]["list"][0]
    assert variable["current"]["value"] == "llmops-prometheus"
    # Panels keep pointing at the variable, so users can still switch datasource in the UI.
    assert resolved["panels"][0]["datasource"]["uid"] == "${DS_PROMETHEUS}"
    assert g.unresolved_datasource_references(resolved) == []
    assert V2_STYLE["templating"]["list"][0]["current"]["value"] == "edx8"


def test_inputs_are_replaced_like_grafana_import():
    resolved = g.resolve_dashboard_inputs(INPUTS_STYLE, {"DS_PROM": "prom-uid"})
    assert "__inputs" not in resolved and "__requires" not in resolved and "__elements" not in resolved
    # A legacy string reference becomes an object reference with the input's plugin type.
    assert resolved["panels"][0]["datasource"] == {"type": "prometheus", "uid": "prom-uid"}
    assert resolved["panels"][1]["datasource"] == {"type": "prometheus", "uid": "prom-uid"}
    assert resolved["panels"][1]["title"] == "uses prom-uid"
    # Constants take their declared value unless given.
    assert resolved["panels"][0]["targets"][0]["expr"] == 'up{job="node"}'
    overridden = g.resolve_dashboard_inputs(INPUTS_STYLE, {"DS_PROM": "p", "VAR_JOB": "litellm"})
    assert overridden["panels"][0]["targets"][0]["expr"] == 'up{job="litellm"}'


def test_missing_datasource_input_is_named():
    with pytest.raises(g.GrafanaError, match=r"DS_PROM \(datasource of type prometheus\)"):
        g.resolve_dashboard_inputs(INPUTS_STYLE, {})


def test_unknown_mapping_name_fails():
    with pytest.raises(g.GrafanaError, match="inputs.DS_PROMETHEU matches no"):
        g.resolve_dashboard_inputs(V2_STYLE, {"DS_PROMETHEU": "x"})


def test_plain_placeholder_without_inputs_or_variable_is_replaced():
    dashboard = {"uid": "u", "title": "t", "panels": [{"datasource": {"uid": "${DS_X}"}}]}
    assert g.unresolved_datasource_references(dashboard) == ["$.panels[0].datasource = ${DS_X}"]
    resolved = g.resolve_dashboard_inputs(dashboard, {"DS_X": "real"})
    assert resolved["panels"][0]["datasource"]["uid"] == "real"
    assert g.unresolved_datasource_references(resolved) == []


def test_builtin_and_bare_variable_references():
    dashboard = {
        "templating": {"list": [{"name": "ds", "type": "datasource"}]},
        "panels": [
            {"datasource": {"uid": "$ds"}},
            {"datasource": {"uid": "${__expr__}"}},
            {"datasource": "$missing"},
            {"datasource": {"uid": "-- Grafana --"}},
        ],
    }
    assert g.unresolved_datasource_references(dashboard) == ["$.panels[2].datasource = $missing"]


def test_resolution_of_real_world_exports(tmp_path):
    node = REPO / "tests" / "fixtures" / "real-world" / "node_exporter_full.json"
    assert node.exists(), "real-world fixture %s is missing from the repository" % node
    dashboard = g.parse_dashboard_text(node.read_text(encoding="utf-8"), str(node))
    resolved = g.resolve_dashboard_inputs(dashboard, {"DS_PROMETHEUS": "prom"})
    text = json.dumps(resolved)
    assert "${DS_PROMETHEUS}" not in text
    assert text.count('"uid": "prom"') >= 100
    assert g.unresolved_datasource_references(resolved) == []


def test_dashboard_diff_is_sorted_json():
    diff = g.dashboard_diff({"b": 1, "a": 2}, None, "u")
    assert diff["before"] == '{\n  "a": 2,\n  "b": 1\n}\n'
    assert diff["after"] == ""
    assert "u" in diff["before_header"]


def test_folder_paths():
    assert g.split_folder_path("Team A / LiteLLM") == ["Team A", "LiteLLM"]
    for bad in ("", "a//b", "/a", "a/"):
        with pytest.raises(g.GrafanaError, match="not a valid title path"):
            g.split_folder_path(bad)


def test_datasource_helpers_never_expose_secret_values():
    params = {"name": "P", "type": "prometheus", "url": "http://p", "access": "proxy", "is_default": None}
    assert g.datasource_desired(params) == {"name": "P", "type": "prometheus", "url": "http://p", "access": "proxy"}
    current = {"name": "P", "url": "http://old", "secureJsonFields": {"token": True, "gone": False}}
    assert g.datasource_view(current, ["url"]) == {"url": "http://old", "secureJsonFields": ["token"]}
    secure = {"token": "s3cret", "other": "x"}
    assert g.secrets_to_send(secure, current, "on_create") == {"other": "x"}
    assert g.secrets_to_send(secure, current, "always") == secure
    assert g.secrets_to_send(secure, None, "on_create") == secure
    assert g.secrets_to_send(None, current, "always") == {}


def client_for(url: str, **params) -> g.GrafanaClient:
    args = {"user": "admin", "password": "pw", "timeout": 5}
    args.update(params)
    return g.GrafanaClient(url, **args)


@pytest.fixture(scope="module")
def sim():
    with GrafanaSimulator(users={"admin": "pw"}, tokens=("tok",)) as simulator:
        yield simulator


def test_client_errors_carry_method_url_status_and_message(sim):
    client = client_for(sim.url, password="wrong")
    with pytest.raises(g.GrafanaAPIError) as raised:
        client.get_dashboard("x")
    text = str(raised.value)
    assert text.startswith("GET %s/api/dashboards/uid/x returned HTTP 401: Invalid username or password." % sim.url)
    assert "grafana_user/grafana_password" in text
    assert raised.value.details() == {
        "method": "GET",
        "url": "%s/api/dashboards/uid/x" % sim.url,
        "status": 401,
        "body": raised.value.body,
    }
    assert "Invalid username or password" in raised.value.body and "wrong" not in raised.value.body
    token_client = client_for(sim.url, user=None, password=None, token="nope")
    with pytest.raises(g.GrafanaAPIError, match="HTTP 401: Invalid API key"):
        token_client.get_folder("x")


def test_client_token_wins_over_user(sim):
    client = client_for(sim.url, token="tok", password="wrong")
    assert client.get_dashboard("missing") is None


def test_client_reports_grafana_status_on_412(sim):
    client = client_for(sim.url)
    client.save_dashboard({"uid": "one", "title": "Same"}, "", False, None)
    with pytest.raises(g.GrafanaAPIError) as raised:
        client.save_dashboard({"uid": "two", "title": "Same"}, "", False, None)
    assert raised.value.status == 412
    assert raised.value.grafana_status == "name-exists"
    assert "(status=name-exists)" in str(raised.value)


def test_client_unreachable_names_the_url():
    client = client_for("http://127.0.0.1:9", timeout=3)
    with pytest.raises(g.GrafanaError, match=r"Cannot reach Grafana at http://127.0.0.1:9/api/folders\?limit=1000"):
        client.list_folders()


def test_resolve_folder_path_creates_missing_levels_once(sim):
    client = client_for(sim.url)
    assert g.resolve_folder_path(client, "Unit/Nested/Leaf", create=False) == (None, ["Unit", "Nested", "Leaf"])
    uid, created = g.resolve_folder_path(client, "Unit/Nested/Leaf", create=True)
    assert created == ["Unit", "Nested", "Leaf"]
    assert g.resolve_folder_path(client, "Unit/Nested/Leaf", create=True) == (uid, [])
    assert [p["title"] for p in client.get_folder(uid)["parents"]] == ["Unit", "Nested"]
    # A sibling with a similar title is not mistaken for the wanted one.
    client.create_folder(title="Unit copy")
    assert g.resolve_folder_path(client, "Unit/Nested", create=False)[1] == []


def test_list_folders_reads_every_page(sim):
    client = client_for(sim.url)
    parent = client.create_folder(title="Paged")["uid"]
    for index in range(5):
        client.create_folder(title="child %d" % index, parent_uid=parent)
    before = sim.stats()["requests"]
    titles = [f["title"] for f in client.list_folders(parent, page_size=2)]
    assert titles == ["child %d" % index for index in range(5)]
    assert sim.stats()["requests"] - before == 3


def test_normalized_round_trip_through_the_simulator_is_stable(sim):
    client = client_for(sim.url)
    desired = g.normalize_dashboard(g.resolve_dashboard_inputs(copy.deepcopy(V2_STYLE), {"DS_PROMETHEUS": "p"}))
    client.save_dashboard(dict(desired, id=None), "", False, None)
    stored = client.get_dashboard("abc")
    assert stored["meta"]["version"] == 1
    assert g.normalize_dashboard(stored["dashboard"]) == desired
