"""Stack benchmark: converge time, no-op re-converge time and their ratio, then the cost of
scraping the proxy (duration, samples per scrape) after a bounded burst of traffic.

Runs the whole site playbook under its own stack name and ports (never touching a `make up`
stack), prints the figures, and removes that stack at the end. Not a pass/fail test.

    .venv/bin/python tests/bench/bench_stack.py [--requests 200]
"""

import argparse
import json
import os
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
INVENTORY = str(ROOT / "inventories" / "local")
STACK = {
    "llmops_stack_name": "llmops-bench",
    "proxy_port": 24400,
    "prometheus_port": 24490,
    "alertmanager_port": 24493,
    "fake_upstream_port": 24410,
    "slack_receiver_port": 24411,
    "grafana_port": 24430,
}


def playbook(name: str, extra: dict) -> float:
    start = time.monotonic()
    subprocess.run(
        [
            "ansible-playbook",
            "-i",
            INVENTORY,
            f"llmops.litellm.{name}",
            "-e",
            json.dumps(extra),
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return time.monotonic() - start


def query(promql: str) -> float:
    url = f"http://127.0.0.1:{STACK['prometheus_port']}/api/v1/query?" + urllib.parse.urlencode({"query": promql})
    with urllib.request.urlopen(url, timeout=10) as resp:  # noqa: S310 - the bench stack's own 127.0.0.1 port
        result = json.load(resp)["data"]["result"]
    return float(result[0]["value"][1]) if result else float("nan")


def send(n: int) -> float:
    key = (
        "sk-"
        + Path(f"/etc/llmops/{STACK['llmops_stack_name']}/local-secrets/proxy_master_key_body").read_text().strip()
    )
    body = json.dumps({"model": "fake-gpt", "messages": [{"role": "user", "content": "bench"}]}).encode()
    start = time.monotonic()
    for _request in range(n):
        req = urllib.request.Request(  # noqa: S310 - the bench stack's own 127.0.0.1 port
            f"http://127.0.0.1:{STACK['proxy_port']}/v1/chat/completions",
            data=body,
            headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(req, timeout=30) as resp:  # noqa: S310
            resp.read()
    return time.monotonic() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--requests", type=int, default=200, help="requests before the scrape (max 2000)")
    args = parser.parse_args()
    n = max(1, min(args.requests, 2000))
    os.environ.setdefault("ANSIBLE_CONFIG", str(ROOT / "tests" / "ansible.cfg"))
    try:
        first = playbook("site", STACK)
        second = playbook("site", STACK)
        print(f"converge (first run):        {first:7.1f} s")
        print(f"re-converge (no change):     {second:7.1f} s")
        print(f"ratio first / no-op:         {first / second:7.1f} x")
        spent = send(n)
        print(f"{n} sequential requests:     {spent:7.1f} s ({n / spent:.1f} requests/s through the proxy)")
        time.sleep(35)  # two scrapes at 15 s
        job = 'job="litellm"'
        print(f"scrape duration (proxy):     {query(f'max(scrape_duration_seconds{{{job}}})') * 1000:7.1f} ms")
        print(f"samples per scrape (proxy):  {query(f'max(scrape_samples_scraped{{{job}}})'):7.0f}")
        print(f"series in Prometheus:        {query('prometheus_tsdb_head_series'):7.0f}")
    finally:
        subprocess.run(
            [
                "ansible-playbook",
                "-i",
                INVENTORY,
                "llmops.litellm.teardown",
                "-e",
                json.dumps({**STACK, "teardown_volumes": True}),
            ],
            check=False,
            stdout=subprocess.DEVNULL,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
