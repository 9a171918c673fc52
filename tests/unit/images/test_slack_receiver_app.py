"""The Slack incoming-webhook receiver, exercised over HTTP."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from types import ModuleType
from typing import Any

import httpx
import pytest

ALERT = {
    "text": "[FIRING:1] LiteLLMKeyBudgetAlmostSpent",
    "attachments": [{"title": "budget 85% used", "color": "danger"}],
}


@pytest.fixture
def receiver(slack_receiver: ModuleType, serve: Callable[[Any], str]) -> Callable[..., str]:
    def start(limit: int = 1000) -> str:
        return serve(slack_receiver.make_server("127.0.0.1", 0, limit))

    return start


def test_records_a_message_with_time_and_path(receiver: Callable[..., str]) -> None:
    base = receiver()
    before = time.time()

    answer = httpx.post(f"{base}/services/T000/B000/secret", json=ALERT)
    after = time.time()
    listing = httpx.get(f"{base}/messages").json()

    assert (answer.status_code, answer.text) == (200, "ok")
    assert listing["count"] == 1
    message = listing["messages"][0]
    assert message["payload"] == ALERT
    assert message["path"] == "/services/T000/B000/secret"
    assert isinstance(message["received_at"], float)
    assert before <= message["received_at"] <= after


def test_form_encoded_payload_is_accepted_like_slack(receiver: Callable[..., str]) -> None:
    base = receiver()

    answer = httpx.post(f"{base}/services/x", data={"payload": json.dumps({"text": "from a form"})})

    assert answer.text == "ok"
    assert httpx.get(f"{base}/messages").json()["messages"][0]["payload"] == {"text": "from a form"}


@pytest.mark.parametrize(
    ("body", "content_type", "error"),
    [
        (b"plain words", "text/plain", "invalid_payload"),
        (b"[1, 2]", "application/json", "invalid_payload"),
        (b"\xff\xfe", "application/json", "invalid_payload"),
        (b'{"username": "alertmanager"}', "application/json", "no_text"),
        (b"payload=%7Bbroken", "application/x-www-form-urlencoded", "invalid_payload"),
    ],
)
def test_refuses_what_slack_refuses(receiver: Callable[..., str], body: bytes, content_type: str, error: str) -> None:
    base = receiver()

    answer = httpx.post(f"{base}/services/x", content=body, headers={"Content-Type": content_type})

    assert (answer.status_code, answer.text) == (400, error)
    assert httpx.get(f"{base}/messages").json()["count"] == 0


def test_delete_clears_the_messages(receiver: Callable[..., str]) -> None:
    base = receiver()
    for n in range(3):
        httpx.post(f"{base}/services/x", json={"text": f"message {n}"}).raise_for_status()

    deleted = httpx.delete(f"{base}/messages").json()
    listing = httpx.get(f"{base}/messages").json()

    assert deleted == {"deleted": 3}
    assert listing["messages"] == []
    assert listing["received_total"] == 3


def test_keeps_only_the_newest_messages(receiver: Callable[..., str]) -> None:
    base = receiver(limit=3)
    for n in range(5):
        httpx.post(f"{base}/services/x", json={"text": f"message {n}"}).raise_for_status()

    listing = httpx.get(f"{base}/messages").json()

    assert [m["payload"]["text"] for m in listing["messages"]] == ["message 2", "message 3", "message 4"]
    assert [m["seq"] for m in listing["messages"]] == [3, 4, 5]
    assert listing["received_total"] == 5


def test_since_returns_only_later_messages(receiver: Callable[..., str]) -> None:
    base = receiver()
    httpx.post(f"{base}/services/x", json={"text": "early"}).raise_for_status()
    cut = httpx.get(f"{base}/messages").json()["messages"][0]["received_at"]
    httpx.post(f"{base}/services/x", json={"text": "late"}).raise_for_status()

    later = httpx.get(f"{base}/messages", params={"since": cut}).json()
    bad = httpx.get(f"{base}/messages", params={"since": "yesterday"})

    assert [m["payload"]["text"] for m in later["messages"]] == ["late"]
    assert bad.status_code == 400


def test_routes(receiver: Callable[..., str]) -> None:
    base = receiver()

    assert httpx.get(f"{base}/health").json() == {"status": "ok"}
    assert httpx.post(f"{base}/services/", json=ALERT).status_code == 404
    assert httpx.post(f"{base}/elsewhere", json=ALERT).status_code == 404
    wrong_method = httpx.get(f"{base}/services/x")
    assert wrong_method.status_code == 405
    assert wrong_method.headers["allow"] == "POST"


def test_script_serves_and_stops_on_sigterm(slack_receiver: ModuleType) -> None:
    process = subprocess.Popen(
        [sys.executable, str(slack_receiver.__file__)],
        env={
            **os.environ,
            "SLACK_RECEIVER_HOST": "127.0.0.1",
            "SLACK_RECEIVER_PORT": "0",
            "SLACK_RECEIVER_MAX_MESSAGES": "1",
        },
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stderr is not None
        port = int(process.stderr.readline().rsplit(":", 1)[1])
        base = f"http://127.0.0.1:{port}"
        for text in ("first", "second"):
            httpx.post(f"{base}/services/x", json={"text": text}).raise_for_status()
        listing = httpx.get(f"{base}/messages").json()
    finally:
        process.send_signal(signal.SIGTERM)
        returncode = process.wait(timeout=10)

    assert [m["payload"]["text"] for m in listing["messages"]] == ["second"]
    assert returncode == 0
