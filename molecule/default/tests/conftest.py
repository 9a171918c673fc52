"""Shared facts about the scenario's stack, read from its inventory and secret files."""

import json
import subprocess
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

SCENARIO = Path(__file__).resolve().parent.parent
ROOT = SCENARIO.parent.parent


@dataclass(frozen=True)
class Stack:
    name: str
    proxy_url: str
    prometheus_url: str
    alertmanager_url: str
    fake_upstream_url: str
    slack_receiver_url: str
    secrets_dir: Path
    workers: int

    def secret(self, name: str) -> str:
        return (self.secrets_dir / name).read_text().strip()

    @property
    def master_key(self) -> str:
        return "sk-" + self.secret("proxy_master_key_body")


@pytest.fixture(scope="session")
def stack() -> Stack:
    hv = yaml.safe_load((SCENARIO / "host_vars" / "localhost.yml").read_text())
    name = hv["llmops_stack_name"]
    return Stack(
        name=name,
        proxy_url=f"http://127.0.0.1:{hv['proxy_port']}",
        prometheus_url=f"http://127.0.0.1:{hv['prometheus_port']}",
        alertmanager_url=f"http://127.0.0.1:{hv['alertmanager_port']}",
        fake_upstream_url=f"http://127.0.0.1:{hv['fake_upstream_port']}",
        slack_receiver_url=f"http://127.0.0.1:{hv['slack_receiver_port']}",
        secrets_dir=Path(f"/etc/llmops/{name}/local-secrets"),
        workers=int(hv["proxy_workers"]),
    )


def http_json(url: str, method: str = "GET", body: dict | None = None, headers: dict | None = None) -> dict:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(
        url, data=data, method=method, headers={"Content-Type": "application/json", **(headers or {})}
    )
    with urllib.request.urlopen(req, timeout=30) as resp:  # noqa: S310 - URLs are the stack's own 127.0.0.1 ports
        raw = resp.read()
    return json.loads(raw) if raw else {}


def prom_query(stack: Stack, query: str) -> list[dict]:
    url = f"{stack.prometheus_url}/api/v1/query?" + urllib.parse.urlencode({"query": query})
    reply = http_json(url)
    assert reply["status"] == "success", reply
    return reply["data"]["result"]


def prom_scalar(stack: Stack, query: str) -> float | None:
    result = prom_query(stack, query)
    if not result:
        return None
    assert len(result) == 1, f"{query} returned {len(result)} series: {result}"
    return float(result[0]["value"][1])


def wait_for(predicate, timeout: float, interval: float = 1.0, what: str = "condition"):
    """Poll until predicate() returns a truthy value; returns it, or fails naming what it waited for."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(interval)
    pytest.fail(f"timed out after {timeout:.0f}s waiting for {what} (last value: {last!r})")


def docker(*args: str) -> str:
    return subprocess.run(["docker", *args], check=True, capture_output=True, text=True).stdout


def stack_containers(stack: Stack) -> list[dict]:
    ids = docker("ps", "-aq", "--filter", f"label=io.llmops.stack={stack.name}").split()
    assert ids, f"no container carries label io.llmops.stack={stack.name}"
    return json.loads(docker("inspect", *ids))


# Steady state first (no traffic yet), then traffic, then the alert path, then re-converges
# (which restart the proxy and so reset its counters).
MODULE_ORDER = [
    "test_containers",
    "test_isolation",
    "test_monitoring",
    "test_traffic",
    "test_virtual_keys",
    "test_budget_alerts",
    "test_secrets",
    "test_alerting",
    "test_dashboards",
    "test_reconverge",
]


def pytest_collection_modifyitems(items):
    def rank(item):
        name = item.module.__name__.rsplit(".", 1)[-1]
        return MODULE_ORDER.index(name) if name in MODULE_ORDER else len(MODULE_ORDER)

    items.sort(key=rank)
