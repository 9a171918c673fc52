"""The fake OpenAI upstream, exercised over HTTP with the official openai client and raw requests."""

from __future__ import annotations

import base64
import importlib
import json
import os
import signal
import struct
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from types import ModuleType
from typing import Any

import httpx
import openai
import pytest

MESSAGES = [
    {"role": "system", "content": "You are terse."},
    {"role": "user", "content": "count   these\nwords please"},
]


def documented_prompt_tokens(messages: list[dict[str, Any]]) -> int:
    """The contract: whitespace-separated words of every message content (text parts included)."""
    total = 0
    for message in messages:
        content = message["content"]
        if isinstance(content, str):
            total += len(content.split())
        else:
            total += sum(len(part["text"].split()) for part in content if part["type"] == "text")
    return total


def client(base_url: str, api_key: str = "unused") -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{base_url}/v1", api_key=api_key, max_retries=0, timeout=10)


def chat(base_url: str, **extra: Any) -> httpx.Response:
    body = {"model": "fake", "messages": [{"role": "user", "content": "hi"}], **extra.pop("body", {})}
    return httpx.post(f"{base_url}/v1/chat/completions", json=body, timeout=10, **extra)


def test_plain_chat_usage_follows_the_formula(upstream_url: Callable[..., str]) -> None:
    base = upstream_url(completion_tokens=7)

    reply = client(base).chat.completions.create(model="fake", messages=MESSAGES)

    expected_prompt = documented_prompt_tokens(MESSAGES)
    assert reply.usage is not None
    assert (reply.usage.prompt_tokens, reply.usage.completion_tokens) == (expected_prompt, 7)
    assert reply.usage.total_tokens == expected_prompt + 7
    assert len((reply.choices[0].message.content or "").split()) == 7
    assert reply.choices[0].finish_reason == "stop"
    assert reply.model == "fake"


def test_max_tokens_caps_the_reply(upstream_url: Callable[..., str]) -> None:
    base = upstream_url(completion_tokens=20)

    capped = client(base).chat.completions.create(model="fake", messages=MESSAGES, max_tokens=3)
    newer = client(base).chat.completions.create(model="fake", messages=MESSAGES, max_completion_tokens=5)

    assert capped.usage is not None and capped.usage.completion_tokens == 3
    assert capped.choices[0].finish_reason == "length"
    assert newer.usage is not None and newer.usage.completion_tokens == 5


def test_text_parts_count_and_images_do_not(upstream_url: Callable[..., str]) -> None:
    messages = [
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "describe this picture"},
                {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}},
                {"type": "text", "text": "in two words"},
            ],
        }
    ]

    reply = client(upstream_url()).chat.completions.create(model="fake", messages=messages)

    assert reply.usage is not None and reply.usage.prompt_tokens == documented_prompt_tokens(messages) == 6


def test_streaming_sends_chunks_then_usage(upstream_url: Callable[..., str]) -> None:
    base = upstream_url(completion_tokens=6)
    api = client(base)

    chunks = list(
        api.chat.completions.create(
            model="fake", messages=MESSAGES, stream=True, stream_options={"include_usage": True}
        )
    )
    plain = api.chat.completions.create(model="fake", messages=MESSAGES)

    assert chunks[0].choices[0].delta.role == "assistant"
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == plain.choices[0].message.content
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "stop"
    assert all(c.usage is None for c in chunks[:-1])
    usage = chunks[-1].usage
    assert chunks[-1].choices == []
    assert usage is not None
    assert (usage.prompt_tokens, usage.completion_tokens) == (documented_prompt_tokens(MESSAGES), 6)
    assert usage.total_tokens == usage.prompt_tokens + 6


def test_stream_wire_format_is_server_sent_events(upstream_url: Callable[..., str]) -> None:
    base = upstream_url(completion_tokens=2)

    with httpx.stream(
        "POST",
        f"{base}/v1/chat/completions",
        json={"model": "fake", "messages": MESSAGES, "stream": True},
        timeout=10,
    ) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        lines = [line for line in response.iter_lines() if line]

    assert all(line.startswith("data: ") for line in lines)
    assert lines[-1] == "data: [DONE]"
    events = [json.loads(line.removeprefix("data: ")) for line in lines[:-1]]
    # role chunk, two content chunks, finish chunk; no usage chunk when it was not asked for
    assert len(events) == 4
    assert all("usage" not in event for event in events)
    assert {event["object"] for event in events} == {"chat.completion.chunk"}


def test_injected_errors_fall_on_exact_requests(upstream_url: Callable[..., str]) -> None:
    base = upstream_url(error_rate=0.25)
    api = client(base)
    outcomes = []
    for _attempt in range(8):
        try:
            api.chat.completions.create(model="fake", messages=MESSAGES)
            outcomes.append(200)
        except openai.InternalServerError as error:
            assert error.status_code == 500
            outcomes.append(500)

    assert outcomes == [200, 200, 200, 500, 200, 200, 200, 500]
    stats = httpx.get(f"{base}/_admin/stats").json()
    assert stats["by_status"] == {"200": 6, "500": 2}
    assert stats["by_endpoint"]["/chat/completions"] == {"200": 6, "500": 2}


def test_rate_limit_answers_429_shaped_like_openai(upstream_url: Callable[..., str]) -> None:
    base = upstream_url(rate_limit_rate=1.0)

    with pytest.raises(openai.RateLimitError) as caught:
        client(base).chat.completions.create(model="fake", messages=MESSAGES)

    assert caught.value.status_code == 429
    assert caught.value.code == "rate_limit_exceeded"
    assert caught.value.body["type"] == "requests"


def test_both_rates_interleave_with_429_first(upstream_url: Callable[..., str]) -> None:
    base = upstream_url(rate_limit_rate=0.25, error_rate=0.1)

    statuses = [chat(base).status_code for _request in range(20)]

    rate_limited = [n for n, status in enumerate(statuses, 1) if status == 429]
    failed = [n for n, status in enumerate(statuses, 1) if status == 500]
    assert rate_limited == [4, 8, 12, 16, 20]
    # error_rate 0.1 falls on requests 10 and 20; 20 is already rate limited
    assert failed == [10]


def test_header_overrides_status_without_moving_the_counter(upstream_url: Callable[..., str]) -> None:
    base = upstream_url(error_rate=0.5)

    forced = chat(base, headers={"x-fake-status": "503"})
    statuses = [chat(base).status_code for _request in range(2)]
    forced_ok = chat(base, headers={"x-fake-status": "200"})
    bad = chat(base, headers={"x-fake-status": "teapot"})

    assert forced.status_code == 503
    assert forced.json()["error"]["type"] == "server_error"
    assert statuses == [200, 500]
    assert forced_ok.status_code == 200
    assert bad.status_code == 400
    assert "x-fake-status" in bad.json()["error"]["message"]
    assert httpx.get(f"{base}/_admin/stats").json()["fault_counter"] == 2


def test_latency_from_config_and_header(upstream_url: Callable[..., str]) -> None:
    base = upstream_url()
    httpx.put(f"{base}/_admin/config", json={"latency_ms": 250}).raise_for_status()

    started = time.monotonic()
    chat(base).raise_for_status()
    configured = time.monotonic() - started
    started = time.monotonic()
    chat(base, headers={"x-fake-latency-ms": "0"}).raise_for_status()
    overridden = time.monotonic() - started

    assert configured >= 0.25
    assert overridden < configured


def test_requests_are_served_concurrently(upstream_url: Callable[..., str]) -> None:
    base = upstream_url(latency_ms=400)

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=6) as pool:
        statuses = list(pool.map(lambda _request: chat(base).status_code, range(6)))
    elapsed = time.monotonic() - started

    assert statuses == [200] * 6
    # one after the other would take 2.4 s
    assert elapsed < 1.6


def test_admin_config_round_trip_and_validation(upstream_url: Callable[..., str]) -> None:
    base = upstream_url(api_key="sk-provider")

    before = httpx.get(f"{base}/_admin/config").json()
    updated = httpx.put(f"{base}/_admin/config", json={"completion_tokens": 2, "error_rate": 0.5})
    out_of_range = httpx.put(f"{base}/_admin/config", json={"rate_limit_rate": 1.5})
    unknown = httpx.put(f"{base}/_admin/config", json={"latency": 5})
    not_json = httpx.put(f"{base}/_admin/config", content=b"latency_ms=5")

    assert before["api_key_set"] is True
    assert "api_key" not in before
    assert updated.status_code == 200
    assert updated.json()["completion_tokens"] == 2 and updated.json()["error_rate"] == 0.5
    assert out_of_range.status_code == 400
    assert out_of_range.json()["error"]["param"] == "rate_limit_rate"
    assert unknown.status_code == 400
    assert "latency: unknown field" in unknown.json()["error"]["message"]
    assert not_json.status_code == 400
    assert httpx.get(f"{base}/_admin/config").json()["completion_tokens"] == 2


def test_reset_restores_start_up_state(upstream_url: Callable[..., str]) -> None:
    base = upstream_url(completion_tokens=4)
    httpx.put(f"{base}/_admin/config", json={"completion_tokens": 9, "error_rate": 1.0}).raise_for_status()
    assert chat(base).status_code == 500

    reset = httpx.post(f"{base}/_admin/reset")
    reply = chat(base).json()
    stats = httpx.get(f"{base}/_admin/stats").json()

    assert reset.json()["config"]["completion_tokens"] == 4
    assert reply["usage"]["completion_tokens"] == 4
    assert stats["requests_total"] == 1
    assert stats["by_status"] == {"200": 1}
    assert stats["usage"] == {"prompt_tokens": 1, "completion_tokens": 4, "total_tokens": 5}


def test_stats_sum_the_usage_served(upstream_url: Callable[..., str]) -> None:
    base = upstream_url(completion_tokens=5)
    api = client(base)
    replies = [api.chat.completions.create(model="fake", messages=MESSAGES) for _request in range(3)]
    list(
        api.chat.completions.create(
            model="fake", messages=MESSAGES, stream=True, stream_options={"include_usage": True}
        )
    )

    stats = httpx.get(f"{base}/_admin/stats").json()

    per_request = replies[0].usage
    assert per_request is not None
    assert stats["usage"]["prompt_tokens"] == 4 * per_request.prompt_tokens
    assert stats["usage"]["completion_tokens"] == 4 * per_request.completion_tokens


def test_provider_key_is_checked_when_configured(upstream_url: Callable[..., str]) -> None:
    base = upstream_url(api_key="sk-provider")

    with pytest.raises(openai.AuthenticationError):
        client(base, api_key="sk-wrong").chat.completions.create(model="fake", messages=MESSAGES)
    reply = client(base, api_key="sk-provider").chat.completions.create(model="fake", messages=MESSAGES)
    models = client(base, api_key="sk-provider").models.list()
    refused_listing = httpx.get(f"{base}/v1/models")

    assert reply.choices[0].message.content
    assert [model.id for model in models] == ["fake", "fake-embedding"]
    assert refused_listing.status_code == 401


def test_embeddings_are_deterministic_in_both_encodings(upstream_url: Callable[..., str]) -> None:
    base = upstream_url(embedding_dimensions=5)
    api = client(base)

    first = api.embeddings.create(model="fake-embedding", input=["one two three", "four"])
    again = api.embeddings.create(model="fake-embedding", input=["one two three", "four"])
    raw = httpx.post(
        f"{base}/v1/embeddings",
        json={"model": "fake-embedding", "input": "four", "encoding_format": "base64", "dimensions": 3},
    ).json()

    assert [len(item.embedding) for item in first.data] == [5, 5]
    assert first.data[0].embedding == again.data[0].embedding
    assert first.data[0].embedding != first.data[1].embedding
    assert first.usage.prompt_tokens == first.usage.total_tokens == 4
    decoded = struct.unpack("<3f", base64.b64decode(raw["data"][0]["embedding"]))
    assert all(-1.0 <= value <= 1.0 for value in decoded)


def test_legacy_completions_plain_and_streamed(upstream_url: Callable[..., str]) -> None:
    api = client(upstream_url(completion_tokens=3))

    plain = api.completions.create(model="fake", prompt="say three words")
    streamed = list(api.completions.create(model="fake", prompt="say three words", stream=True))

    assert plain.usage is not None
    assert (plain.usage.prompt_tokens, plain.usage.completion_tokens) == (3, 3)
    assert "".join(chunk.choices[0].text for chunk in streamed) == plain.choices[0].text
    assert streamed[-1].choices[0].finish_reason == "stop"


def test_bad_requests_and_unknown_routes(upstream_url: Callable[..., str]) -> None:
    base = upstream_url()

    with pytest.raises(openai.BadRequestError) as caught:
        client(base).chat.completions.create(model="fake", messages=[])
    unknown = httpx.get(f"{base}/v1/nothing-here")
    wrong_method = httpx.get(f"{base}/v1/chat/completions")
    broken = httpx.post(f"{base}/v1/chat/completions", content=b"{not json")
    negative = chat(base, body={"max_tokens": -1})
    redirect = chat(base, headers={"x-fake-status": "302"})

    assert caught.value.body["param"] == "messages"
    assert unknown.status_code == 404
    assert wrong_method.status_code == 405
    assert wrong_method.headers["allow"] == "POST"
    assert broken.status_code == 400
    assert (negative.status_code, negative.json()["error"]["param"]) == (400, "max_tokens")
    assert redirect.status_code == 400


def test_litellm_reads_usage_from_the_stream(upstream_url: Callable[..., str], monkeypatch: pytest.MonkeyPatch) -> None:
    # LiteLLM reads this at import time; the remote cost map is out of reach in tests.
    monkeypatch.setenv("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    litellm = importlib.import_module("litellm")

    base = upstream_url(completion_tokens=4)
    stream = litellm.completion(
        model="openai/fake",
        api_base=f"{base}/v1",
        api_key="x",
        messages=MESSAGES,
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)

    usage = next(chunk.usage for chunk in reversed(chunks) if getattr(chunk, "usage", None))
    assert (usage.prompt_tokens, usage.completion_tokens) == (documented_prompt_tokens(MESSAGES), 4)


def run_script(module: ModuleType, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(module.__file__)],
        env={**os.environ, "FAKE_UPSTREAM_HOST": "127.0.0.1", "FAKE_UPSTREAM_PORT": "0", **env},
        stderr=subprocess.PIPE,
        text=True,
    )


def test_script_reads_the_environment_and_stops_on_sigterm(fake_upstream: ModuleType) -> None:
    process = run_script(fake_upstream, {"FAKE_UPSTREAM_COMPLETION_TOKENS": "2", "FAKE_UPSTREAM_MODELS": "a, b"})
    try:
        assert process.stderr is not None
        banner = process.stderr.readline()
        port = int(banner.rsplit(":", 1)[1])
        base = f"http://127.0.0.1:{port}"
        reply = chat(base).json()
        config = httpx.get(f"{base}/_admin/config").json()
    finally:
        process.send_signal(signal.SIGTERM)
        returncode = process.wait(timeout=10)

    assert banner.startswith("fake-upstream listening on 127.0.0.1:")
    assert reply["usage"]["completion_tokens"] == 2
    assert config["models"] == ["a", "b"]
    assert returncode == 0


def test_script_refuses_a_bad_setting_by_its_variable_name(fake_upstream: ModuleType) -> None:
    process = run_script(fake_upstream, {"FAKE_UPSTREAM_ERROR_RATE": "often"})
    stderr = process.communicate(timeout=10)[1]

    assert process.returncode == 2
    assert "FAKE_UPSTREAM_ERROR_RATE" in stderr
