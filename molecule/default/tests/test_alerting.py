"""A runaway loop through the real proxy reaches the Slack receiver, naming the key; then resolves."""

import json
import os
import subprocess
import time
import urllib.parse

from conftest import http_json, prom_query, wait_for

ALERT = "LiteLLMKeyRunawayRequests"
MASTER_KEY_HASH = "litellm_proxy_master_key"  # how LiteLLM labels requests made with the master key


def test_runaway_loop_reaches_slack_and_resolves(stack, tmp_path):
    # The rule only judges keys with a baseline: wait until the earlier traffic gave the key one,
    # and until that traffic no longer counts as a burst.
    wait_for(
        lambda: prom_query(
            stack, f'api_key:litellm_requests_per_minute:baseline{{hashed_api_key="{MASTER_KEY_HASH}"}}'
        ),
        180,
        5,
        "a request baseline for the master key",
    )
    wait_for(lambda: not prom_query(stack, f'ALERTS{{alertname="{ALERT}"}}'), 180, 5, f"no {ALERT} before the loop")

    report = tmp_path / "report.json"
    inventory = os.path.join(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"], "inventory")
    run = subprocess.run(
        [
            "ansible-playbook",
            "-i",
            inventory,
            "llmops.litellm.validate_alerts",
            "-e",
            json.dumps(
                {"validate_alerts_report_file": str(report), "validate_alerts_rate": 4, "validate_alerts_timeout": 150}
            ),
        ],
        capture_output=True,
        text=True,
        timeout=400,
        check=False,
    )
    assert run.returncode == 0, run.stdout[-4000:]
    figures = json.loads(report.read_text())
    loop_stopped = time.time()
    print(
        f"\nrunaway loop start -> Slack message: {figures['seconds_to_slack']} s "
        f"({figures['loop']['sent']} requests sent, statuses {figures['loop']['statuses']})"
    )
    assert figures["arrived"] is True
    assert figures["seconds_to_slack"] < 90

    since = figures["loop"]["started"]
    messages = http_json(f"{stack.slack_receiver_url}/messages?" + urllib.parse.urlencode({"since": since}))["messages"]
    firing = [m for m in messages if ALERT in json.dumps(m["payload"])]
    assert firing, "the Slack receiver holds no message for the alert"
    assert any(MASTER_KEY_HASH in json.dumps(m["payload"]) for m in firing), "the message does not name the key"

    def resolved():
        msgs = http_json(f"{stack.slack_receiver_url}/messages?" + urllib.parse.urlencode({"since": loop_stopped}))[
            "messages"
        ]
        return [m for m in msgs if ALERT in json.dumps(m["payload"]) and "RESOLVED" in json.dumps(m["payload"]).upper()]

    hits = wait_for(resolved, 300, 5, f"a resolved message for {ALERT}")
    print(f"resolved message {hits[0]['received_at'] - loop_stopped:.0f} s after the loop stopped")
