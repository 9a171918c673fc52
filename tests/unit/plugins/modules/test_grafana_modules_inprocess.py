"""grafana_dashboard, grafana_folder and grafana_datasource run in-process against the Grafana simulator.

Faster and finer-grained than the playbook suite: exact write counts, request bodies and messages.
"""

from __future__ import annotations

import json

import pytest
from ansible.module_utils.testing import patch_module_args
from ansible_collections.llmops.litellm.plugins.module_utils import grafana as g
from ansible_collections.llmops.litellm.plugins.modules import (
    grafana_dashboard,
    grafana_datasource,
    grafana_folder,
)
from grafana_sim import GrafanaSimulator

PANELS = [{"id": 1, "type": "stat", "title": "Requests", "targets": [{"refId": "A", "expr": "up"}]}]


@pytest.fixture
def sim():
    with GrafanaSimulator(users={"admin": "pw"}) as simulator:
        yield simulator


def run(module, capsys, sim, check_mode=False, diff=True, **args):
    """Run a module's main() and return its result (failures included, with failed=True)."""
    full = {"grafana_url": sim.url, "grafana_user": "admin", "grafana_password": "pw"}
    full.update(args)
    full["_ansible_check_mode"] = check_mode
    full["_ansible_diff"] = diff
    with patch_module_args(full), pytest.raises(SystemExit):
        module.main()
    return json.loads(capsys.readouterr().out)


def writes(sim) -> int:
    return sim.stats()["writes"]


def dashboard_args(**extra):
    args = {"dashboard": {"uid": "unit-dash", "title": "Unit", "panels": PANELS}}
    args.update(extra)
    return args


def test_dashboard_check_mode_reports_without_writing(sim, capsys):
    result = run(grafana_dashboard, capsys, sim, check_mode=True, folder="Team/LiteLLM", **dashboard_args())
    assert result["changed"] is True
    assert result["folders_created"] == ["Team", "LiteLLM"]
    assert result["diff"]["before"] == ""
    assert json.loads(result["diff"]["after"])["dashboard"]["panels"] == PANELS
    assert writes(sim) == 0


def test_dashboard_create_then_nothing_to_do(sim, capsys):
    first = run(grafana_dashboard, capsys, sim, folder="Team/LiteLLM", **dashboard_args())
    assert first["changed"] is True and first["version"] == 1
    assert writes(sim) == 3  # two folders and the dashboard
    second = run(grafana_dashboard, capsys, sim, folder="Team/LiteLLM", **dashboard_args())
    assert second["changed"] is False and "diff" not in second
    assert second["folder_uid"] == first["folder_uid"]
    assert writes(sim) == 3


def test_dashboard_update_sends_the_version_it_read_without_overwrite(sim, capsys):
    run(grafana_dashboard, capsys, sim, **dashboard_args())
    changed = dashboard_args()
    changed["dashboard"] = dict(changed["dashboard"], title="Unit renamed")
    posted = []
    original = g.GrafanaClient.save_dashboard

    def spy(self, dashboard, folder_uid, overwrite, message):
        posted.append((dashboard.get("version"), overwrite, message))
        return original(self, dashboard, folder_uid, overwrite, message)

    g.GrafanaClient.save_dashboard = spy
    try:
        result = run(grafana_dashboard, capsys, sim, **changed)
    finally:
        g.GrafanaClient.save_dashboard = original
    assert result["changed"] is True and result["version"] == 2
    assert posted == [(1, False, "Saved by llmops.litellm.grafana_dashboard")]


def test_dashboard_concurrent_change_is_refused_not_lost(sim, capsys):
    run(grafana_dashboard, capsys, sim, **dashboard_args())
    original = g.GrafanaClient.save_dashboard

    def someone_saves_first(self, dashboard, folder_uid, overwrite, message):
        current = self.get_dashboard(dashboard["uid"])["dashboard"]
        original(self, dict(current, title="saved in the UI meanwhile"), "", False, None)
        return original(self, dashboard, folder_uid, overwrite, message)

    g.GrafanaClient.save_dashboard = someone_saves_first
    try:
        result = run(grafana_dashboard, capsys, sim, **dashboard_args(dashboard={"uid": "unit-dash", "title": "Mine"}))
    finally:
        g.GrafanaClient.save_dashboard = original
    assert result["failed"] is True
    assert "status=version-mismatch" in result["msg"] and "run the task again" in result["msg"]
    assert sim.state.dashboards["unit-dash"]["data"]["title"] == "saved in the UI meanwhile"


def test_dashboard_same_title_in_folder_is_explained(sim, capsys):
    run(grafana_dashboard, capsys, sim, **dashboard_args())
    result = run(grafana_dashboard, capsys, sim, dashboard={"uid": "other", "title": "Unit", "panels": []})
    assert result["failed"] is True
    assert "HTTP 412" in result["msg"] and "name-exists" in result["msg"]
    assert "'Unit'" in result["msg"]
    assert set(sim.state.dashboards) == {"unit-dash"}


def test_dashboard_uid_option_overrides_the_json(sim, capsys):
    result = run(grafana_dashboard, capsys, sim, uid="from-option", **dashboard_args())
    assert result["uid"] == "from-option"
    assert set(sim.state.dashboards) == {"from-option"}


def test_dashboard_malformed_file_fails_before_any_request(sim, capsys, tmp_path):
    broken = tmp_path / "broken.json"
    broken.write_text('{"uid": "x",\n "title": }')
    result = run(grafana_dashboard, capsys, sim, path=str(broken))
    assert result["failed"] is True
    assert result["msg"].startswith("%s is not valid JSON" % broken)
    assert "line 2 column 11" in result["msg"]
    assert sim.stats()["requests"] == 0


def test_dashboard_needs_a_source_and_a_single_one(sim, capsys):
    assert "needs one of path, dashboard, url, grafana_com_id" in run(grafana_dashboard, capsys, sim)["msg"]
    both = run(grafana_dashboard, capsys, sim, path="/x.json", url="http://127.0.0.1:9/x.json")
    assert "mutually exclusive" in both["msg"]


def test_dashboard_export_is_idempotent_and_check_mode_writes_no_file(sim, capsys, tmp_path):
    run(grafana_dashboard, capsys, sim, **dashboard_args())
    target = tmp_path / "out" / "unit.json"
    checked = run(grafana_dashboard, capsys, sim, check_mode=True, state="export", uid="unit-dash", path=str(target))
    assert checked["changed"] is True and not target.exists()
    exported = run(grafana_dashboard, capsys, sim, state="export", uid="unit-dash", path=str(target))
    assert exported["changed"] is True
    # The dashboard's uid, not the owner of the file written (Ansible adds file details to a result with "path").
    assert (exported["uid"], exported["file"]) == ("unit-dash", str(target))
    assert "owner" not in exported and "path" not in exported
    content = json.loads(target.read_text())
    assert content["uid"] == "unit-dash" and "version" not in content and "id" not in content
    assert run(grafana_dashboard, capsys, sim, state="export", uid="unit-dash", path=str(target))["changed"] is False


def test_dashboard_absent(sim, capsys):
    run(grafana_dashboard, capsys, sim, **dashboard_args())
    assert run(grafana_dashboard, capsys, sim, state="absent", uid="unit-dash")["changed"] is True
    assert sim.state.dashboards == {}
    assert run(grafana_dashboard, capsys, sim, state="absent", uid="unit-dash")["changed"] is False


def test_folder_rename_and_move_are_two_writes(sim, capsys):
    run(grafana_folder, capsys, sim, uid="parent", title="Parent")
    run(grafana_folder, capsys, sim, uid="child", title="Child", parent_uid="parent")
    before = writes(sim)
    result = run(grafana_folder, capsys, sim, uid="child", title="Child renamed")
    assert result["changed"] is True
    assert result["diff"] == {
        "before": {"uid": "child", "title": "Child", "parentUid": "parent"},
        "after": {"uid": "child", "title": "Child renamed", "parentUid": ""},
    }
    assert writes(sim) - before == 2
    assert sim.state.folders["child"]["parentUid"] is None


def test_folder_absent_refuses_a_non_empty_folder(sim, capsys):
    run(grafana_folder, capsys, sim, uid="full", title="Full")
    run(grafana_dashboard, capsys, sim, folder_uid="full", **dashboard_args())
    refused = run(grafana_folder, capsys, sim, uid="full", state="absent")
    assert refused["failed"] is True and "dashboard unit-dash" in refused["msg"]
    assert "full" in sim.state.folders
    assert run(grafana_folder, capsys, sim, uid="full", state="absent", force=True)["changed"] is True
    assert sim.state.dashboards == {}


def test_datasource_keeps_what_it_does_not_manage(sim, capsys):
    run(grafana_datasource, capsys, sim, name="Prom", uid="prom", url="http://a:9090")
    sim.state.datasources["prom"].update(basicAuth=True, basicAuthUser="reader", jsonData={"httpMethod": "GET"})
    result = run(grafana_datasource, capsys, sim, name="Prom", uid="prom", url="http://b:9090")
    assert result["changed"] is True
    stored = sim.state.datasources["prom"]
    assert stored["url"] == "http://b:9090"
    assert (stored["basicAuth"], stored["basicAuthUser"], stored["jsonData"]) == (True, "reader", {"httpMethod": "GET"})


def test_datasource_secrets_are_sent_once_and_never_returned(sim, capsys):
    args = {"name": "Prom", "uid": "prom", "url": "http://a:9090", "secure_json_data": {"httpHeaderValue1": "s3cr3t-v"}}
    created = run(grafana_datasource, capsys, sim, **args)
    assert created["secrets_sent"] == ["httpHeaderValue1"]
    assert sim.state.datasources["prom"]["secureJsonData"] == {"httpHeaderValue1": "s3cr3t-v"}
    again = run(grafana_datasource, capsys, sim, **args)
    assert again["changed"] is False and again["secrets_sent"] == []
    assert "s3cr3t-v" not in json.dumps(created) + json.dumps(again)


def test_datasource_default_flag_moves(sim, capsys):
    run(grafana_datasource, capsys, sim, name="A", uid="a", url="http://a", is_default=True)
    run(grafana_datasource, capsys, sim, name="B", uid="b", url="http://b", is_default=True)
    assert (sim.state.datasources["a"]["isDefault"], sim.state.datasources["b"]["isDefault"]) == (False, True)
    # A now differs from what was declared for it: the next run of its task puts the default back.
    assert run(grafana_datasource, capsys, sim, name="A", uid="a", url="http://a", is_default=True)["changed"]


def test_connection_from_the_environment(sim, capsys, monkeypatch):
    monkeypatch.setenv("GRAFANA_URL", sim.url)
    monkeypatch.setenv("GRAFANA_USER", "admin")
    monkeypatch.setenv("GRAFANA_PASSWORD", "pw")
    args = {"name": "Env", "url": "http://env", "_ansible_check_mode": False, "_ansible_diff": False}
    with patch_module_args(args), pytest.raises(SystemExit):
        grafana_datasource.main()
    assert json.loads(capsys.readouterr().out)["changed"] is True
    assert sim.state.datasource_named("Env") is not None
