"""Prometheus has its rules and its Alertmanager; Alertmanager is ready; only the watchdog fires at rest."""

import urllib.request

from conftest import http_json


def test_alert_rules_are_loaded(stack):
    groups = http_json(f"{stack.prometheus_url}/api/v1/rules")["data"]["groups"]
    alerts = [r["name"] for g in groups for r in g["rules"] if r["type"] == "alerting"]
    assert len(alerts) >= 10, alerts
    assert all(r.get("health") == "ok" for g in groups for r in g["rules"]), "a rule failed to evaluate"


def test_prometheus_sends_to_alertmanager(stack):
    active = http_json(f"{stack.prometheus_url}/api/v1/alertmanagers")["data"]["activeAlertmanagers"]
    assert any(f"{stack.name}-alertmanager:9093" in a["url"] for a in active), active


def test_alertmanager_is_ready(stack):
    with urllib.request.urlopen(f"{stack.alertmanager_url}/-/ready", timeout=10) as resp:  # noqa: S310
        assert resp.status == 200


def test_config_reloads_succeeded(stack):
    reply = http_json(f"{stack.prometheus_url}/api/v1/query?query=prometheus_config_last_reload_successful")
    assert [r["value"][1] for r in reply["data"]["result"]] == ["1"]


def test_only_the_watchdog_fires_at_rest(stack):
    alerts = http_json(f"{stack.prometheus_url}/api/v1/alerts")["data"]["alerts"]
    firing = sorted({a["labels"]["alertname"] for a in alerts if a["state"] in ("firing", "pending")})
    assert firing == ["Watchdog"]
