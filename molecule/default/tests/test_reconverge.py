"""Converging again with one changed variable restarts only what it concerns; bad input changes nothing;
scaled out to two instances, every instance is scraped and refuses a blocked key."""

import json
import os
import re
import subprocess
import threading
import time
import urllib.error
import urllib.request

import pytest
import yaml
from conftest import http_json, prom_query, stack_containers, wait_for


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


@pytest.fixture(scope="module")
def two_instances(stack):
    """The stack scaled out to two proxy instances for the tests that need them, scaled back afterwards."""
    scaled = _playbook("-e", json.dumps({"proxy_instances": 2}))
    assert scaled.returncode == 0, scaled.stdout[-3000:]
    yield [f"{stack.name}-proxy-{i}" for i in (1, 2)]
    back = _playbook()
    assert back.returncode == 0, back.stdout[-3000:]
    names = {c["Name"].lstrip("/") for c in stack_containers(stack)}
    assert f"{stack.name}-proxy-2" not in names


def test_scaling_out_runs_and_scrapes_every_instance(stack, two_instances):
    containers = {c["Name"].lstrip("/"): c for c in stack_containers(stack)}
    instances = [containers[name] for name in two_instances]
    assert all(c["State"]["Health"]["Status"] == "healthy" for c in instances)
    # Each instance counts in its own tmpfs: two instances never wipe each other's samples.
    for c in instances:
        mounts = {m["Target"]: m["Type"] for m in c["HostConfig"].get("Mounts") or []}
        assert mounts.get("/run/litellm-metrics") == "tmpfs", c["Name"]

    def both_up():
        ups = prom_query(stack, 'up{job="litellm"}')
        return len(ups) == 2 and all(u["value"][1] == "1" for u in ups)

    wait_for(both_up, 90, 3, "both proxy instances up in Prometheus")


def _chat(url: str, key: str) -> int:
    body = json.dumps({"model": "fake-gpt", "messages": [{"role": "user", "content": "still there?"}]}).encode()
    request = urllib.request.Request(
        f"{url}/v1/chat/completions",
        data=body,
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as reply:  # noqa: S310 - the stack's own 127.0.0.1 ports
            return reply.status
    except urllib.error.HTTPError as err:
        return err.code


def test_an_undeclared_key_in_use_is_refused_by_every_instance(stack, two_instances):
    """A key made by hand and in use on both instances is blocked by the access run; every instance
    refuses it within a minute, and a declared key keeps working."""
    master = {"Authorization": f"Bearer {stack.master_key}"}
    base, port = stack.proxy_url.rsplit(":", 1)
    urls = [stack.proxy_url, f"{base}:{int(port) + 1}"]  # instance N publishes proxy_port + N - 1
    made = http_json(
        f"{stack.proxy_url}/key/generate", "POST", {"key_alias": "made-by-hand", "models": ["fake-gpt"]}, master
    )
    hand_made = made["key"]
    declared = yaml.safe_load((stack.secrets_dir / "demo-keys.yml").read_text())["demo-crawler"]
    assert all(_chat(url, hand_made) == 200 for url in urls), "the hand-made key does not work before the block"

    answers: list[tuple[float, int, int]] = []  # (time, instance, status)
    blocked_at: list[float] = []
    stop = threading.Event()

    def use(index: int) -> None:
        for _attempt in range(600):  # bounded: at most 600 requests and the test's own minutes
            if stop.is_set():
                return
            answers.append((time.time(), index, _chat(urls[index], hand_made)))
            time.sleep(0.2)

    def watch_block() -> None:
        for _poll in range(1200):
            if stop.is_set():
                return
            if http_json(f"{stack.proxy_url}/key/info?key={hand_made}", headers=master)["info"].get("blocked"):
                blocked_at.append(time.time())
                return
            time.sleep(0.1)

    threads = [threading.Thread(target=use, args=(i,)) for i in (0, 1)] + [threading.Thread(target=watch_block)]
    for thread in threads:
        thread.start()
    try:
        inventory = os.path.join(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"], "inventory")
        extra = {
            "proxy_instances": 2,
            "access_litellm_keys_exclusive": True,
            "access_litellm_keys_exclusive_scope": "all",
        }
        run = subprocess.run(
            ["ansible-playbook", "-i", inventory, "llmops.litellm.access", "-e", json.dumps(extra)],
            capture_output=True, text=True, timeout=600, check=False,
        )  # fmt: skip
        assert run.returncode == 0, run.stdout[-4000:]
        time.sleep(5)  # five more seconds of traffic after the run
    finally:
        stop.set()
        for thread in threads:
            thread.join(60)
    try:
        assert blocked_at, "the access run did not block the hand-made key"
        refused_after = []
        for index, url in enumerate(urls):
            mine = [(t, status) for t, i, status in answers if i == index]
            assert any(status == 200 for t, status in mine if t < blocked_at[0]), f"{url} served no request before"
            last_served = max((t for t, status in mine if status == 200), default=0.0)
            refusals = [(t, status) for t, status in mine if t > last_served]
            assert refusals, f"{url} still served the blocked key at the end"
            assert {status for _when, status in refusals} <= {401, 403}, refusals
            refused_after.append(refusals[0][0] - blocked_at[0])
        probe = re.search(r"refused\s+the\s+probe\s+key\s+([0-9.]+)\s+s\s+after", run.stdout)
        assert probe, "the access run reported no shut-off probe: " + run.stdout[-3000:]
        print(
            f"\nundeclared key in use: refused by every instance {max(refused_after):.1f} s after the block "
            f"(per instance: {', '.join(f'{x:.1f} s' for x in refused_after)}); the role's probe: {probe.group(1)} s"
        )
        assert max(refused_after) < 60
        assert all(_chat(url, declared) == 200 for url in urls), "a declared key stopped working"
    finally:
        http_json(f"{stack.proxy_url}/key/delete", "POST", {"keys": [hand_made]}, master)
