"""The grafana_* modules end to end, through ansible-playbook.

Each playbook in playbooks/ runs its cases check / run / check / run and asserts changed
true, true, false, false, plus no write request on the second run (counted by the simulator; against a
real Grafana the returned version numbers show the same). Here we check that each playbook passed and
what only the driver can see: the playbook output and, with the simulator, its stored state.
"""

from __future__ import annotations

REAL_WORLD = ("litellm_dashboard_v2.json", "litellm_dashboard_all_metrics.json", "node_exporter_full.json")


def assert_passed(run) -> None:
    tail = (run.stdout[-4000:] + run.stderr[-2000:]).strip()
    assert run.returncode == 0, tail
    assert "failed=0" in run.stdout, tail


def test_datasource_create_update_ui_edit_delete(run_playbook, grafana):
    run = run_playbook("datasource.yml")
    assert_passed(run)
    secret = "it-secret-%s-value" % grafana.prefix
    assert secret not in run.stdout
    assert secret not in run.stderr
    if grafana.simulated:
        # The secret did reach Grafana (write-only), the API never handed it back.
        assert grafana.sim.stats()["by_route"].get("POST /api/datasources", 0) >= 2


def test_folders_nested_rename_move_delete(run_playbook, grafana):
    assert_passed(run_playbook("folders.yml"))
    if grafana.simulated:
        assert not [uid for uid in grafana.sim.state.folders if uid.startswith(grafana.prefix)]


def test_dashboard_lifecycle(run_playbook, grafana):
    run = run_playbook("dashboard_lifecycle.yml")
    assert_passed(run)
    # --diff shows sorted JSON on both sides, the UI edit among the removed lines.
    assert '-    "title": "%s edited in the UI"' % grafana.prefix in run.stdout


def test_dashboard_errors_write_nothing(run_playbook, grafana):
    run = run_playbook("dashboard_errors.yml")
    assert_passed(run)
    if grafana.simulated:
        assert "%s-lost" % grafana.prefix not in grafana.sim.state.dashboards
        assert not [f for f in grafana.sim.state.folders.values() if f["title"] == "%s never created" % grafana.prefix]


def test_dashboard_from_grafana_com_cached(run_playbook, grafana, real_world_dir):
    export = real_world_dir / "node_exporter_full.json"
    assert export.exists(), "real-world fixture %s is missing from the repository" % export
    grafana.gcom.add_gcom_dashboard(1860, 37, export.read_bytes())
    assert_passed(run_playbook("dashboard_grafana_com.yml"))


def test_dashboard_real_world_exports(run_playbook, real_world_dir):
    missing = [name for name in REAL_WORLD if not (real_world_dir / name).exists()]
    assert not missing, "real-world fixtures %s are missing from %s" % (missing, real_world_dir)
    assert_passed(run_playbook("dashboard_import.yml"))
