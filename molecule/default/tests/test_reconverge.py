"""Converging again with one changed variable restarts only what it concerns; bad input changes nothing."""

import json
import os
import subprocess

import pytest
from conftest import prom_query, stack_containers, wait_for


def _playbook(*extra: str) -> subprocess.CompletedProcess:
    inventory = os.path.join(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"], "inventory")
    return subprocess.run(
        ["ansible-playbook", "-i", inventory, "llmops.litellm.site", *extra],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )


def _starts(stack) -> dict[str, tuple[str, str]]:
    return {c["Name"]: (c["Id"], c["State"]["StartedAt"]) for c in stack_containers(stack)}


def test_changing_the_model_list_restarts_only_the_proxy(stack):
    before = _starts(stack)
    models = [
        {
            "model_name": "fake-gpt",
            "litellm_params": {
                "model": "openai/fake-gpt",
                "api_base": f"http://{stack.name}-fake-upstream:8080/v1",
                "api_key": "fake-upstream-key",
                "input_cost_per_token": 0.000001,
                "output_cost_per_token": 0.000002,
            },
        },
        {
            "model_name": "fake-gpt-mini",
            "litellm_params": {
                "model": "openai/fake-gpt-mini",
                "api_base": f"http://{stack.name}-fake-upstream:8080/v1",
                "api_key": "fake-upstream-key",
            },
        },
    ]
    changed = _playbook("-e", json.dumps({"proxy_model_list": models}))
    assert changed.returncode == 0, changed.stdout[-3000:]
    try:
        after = _starts(stack)
        restarted = sorted(name for name in before if after.get(name) != before[name])
        assert restarted == [f"/{stack.name}-proxy-1"]
    finally:
        back = _playbook()
        assert back.returncode == 0, back.stdout[-3000:]


def test_tags_proxy_configure_restarts_the_proxy_it_reconfigures(stack):
    """Only the configure step runs, so nothing (re)creates the container: the handler restarts it."""
    before = _starts(stack)
    router = {"routing_strategy": "simple-shuffle", "num_retries": 1, "timeout": 45}
    router.update({"allowed_fails": 3, "cooldown_time": 30})
    changed = _playbook("--tags", "proxy_configure", "-e", json.dumps({"proxy_router_settings": router}))
    after = _starts(stack)
    name = f"/{stack.name}-proxy-1"
    try:
        assert changed.returncode == 0, changed.stdout[-3000:]
        assert "RUNNING HANDLER [llmops.litellm.proxy : Restart proxies]" in changed.stdout, changed.stdout[-3000:]
        assert after[name][0] == before[name][0], "the container was recreated, not restarted"
        assert after[name][1] != before[name][1], "the proxy was not restarted with its new configuration"
        restarted = sorted(n for n in before if after.get(n) != before[n])
        assert restarted == [name]
    finally:
        back = _playbook("--tags", "proxy_configure")
        assert back.returncode == 0, back.stdout[-3000:]
        assert _starts(stack)[name][1] != after[name][1], "reverting the configuration did not restart the proxy"


@pytest.mark.parametrize(
    ("extra_vars", "named"),
    [
        ({"prometheus_scrape_interval": "1s"}, "prometheus_scrape_interval"),
        ({"proxy_master_key": ""}, "proxy_master_key"),
        ({"proxy_litellm_version": "1.82.7"}, "proxy_litellm_version"),
        ({"proxy_model_list": [{"model_name": "bare", "litellm_params": {"model": "gpt-4o"}}]}, "proxy_model_list[0]"),
    ],
)
def test_bad_input_fails_in_preflight_naming_the_variable(stack, extra_vars, named):
    before = _starts(stack)
    result = _playbook("-e", json.dumps(extra_vars))
    assert result.returncode != 0
    assert named in result.stdout
    assert "PLAY [Check" in result.stdout and "PLAY [Networks]" not in result.stdout
    assert _starts(stack) == before


@pytest.mark.parametrize(
    ("extra_vars", "named"),
    [
        ({"proxy_database_host": "llmops-mol-no-such-db"}, "llmops-mol-no-such-db:5432/litellm"),
        ({"proxy_database_migrations_dir": "/opt/no-such-migrations"}, "/opt/no-such-migrations"),
    ],
    ids=["database-unreachable", "migrations-missing"],
)
def test_schema_failure_stops_the_converge_before_any_proxy_restarts(stack, extra_vars, named):
    before = _starts(stack)
    result = _playbook("-e", json.dumps(extra_vars))
    try:
        assert result.returncode != 0, result.stdout[-3000:]
        assert "so no proxy was touched" in result.stdout, result.stdout[-3000:]
        assert named in result.stdout, result.stdout[-3000:]
        assert "Run the proxy instances" not in result.stdout
        assert _starts(stack) == before
    finally:
        back = _playbook()
        assert back.returncode == 0, back.stdout[-3000:]


def test_scaling_out_runs_and_scrapes_every_instance(stack):
    scaled = _playbook("-e", json.dumps({"proxy_instances": 2}))
    assert scaled.returncode == 0, scaled.stdout[-3000:]
    try:
        containers = {c["Name"].lstrip("/"): c for c in stack_containers(stack)}
        instances = [containers[f"{stack.name}-proxy-{i}"] for i in (1, 2)]
        assert all(c["State"]["Health"]["Status"] == "healthy" for c in instances)
        # Each instance counts in its own tmpfs: two instances never wipe each other's samples.
        for c in instances:
            mounts = {m["Target"]: m["Type"] for m in c["HostConfig"].get("Mounts") or []}
            assert mounts.get("/run/litellm-metrics") == "tmpfs", c["Name"]

        def both_up():
            ups = prom_query(stack, 'up{job="litellm"}')
            return len(ups) == 2 and all(u["value"][1] == "1" for u in ups)

        wait_for(both_up, 90, 3, "both proxy instances up in Prometheus")
    finally:
        back = _playbook()
        assert back.returncode == 0, back.stdout[-3000:]
    names = {c["Name"].lstrip("/") for c in stack_containers(stack)}
    assert f"{stack.name}-proxy-2" not in names
