"""Requests through the proxy with the official openai client, and exact counts in Prometheus."""

import concurrent.futures
import subprocess

import openai
import pytest
from conftest import prom_query, prom_scalar, wait_for

MODEL = "fake-gpt"
REQUESTS = 20  # stays under the runaway floor (30/min): this is steady traffic, not a loop
SCRAPE_WAIT = 75  # 15 s scrape interval, plus the proxy's own flush, with margin


@pytest.fixture(scope="module")
def client(stack):
    return openai.OpenAI(base_url=f"{stack.proxy_url}/v1", api_key=stack.master_key, max_retries=0, timeout=60)


def _counter(stack, metric: str) -> float:
    return prom_scalar(stack, f'sum({metric}{{job="litellm",requested_model="{MODEL}"}}) or vector(0)') or 0.0


def test_plain_completion_is_answered_by_the_fake_upstream(client):
    reply = client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "one two three"}])
    assert reply.choices[0].message.content
    assert reply.usage.prompt_tokens > 0
    assert reply.usage.completion_tokens > 0


def test_streaming_completion_is_answered_and_carries_usage(client):
    stream = client.chat.completions.create(
        model=MODEL,
        messages=[{"role": "user", "content": "stream this please"}],
        stream=True,
        stream_options={"include_usage": True},
    )
    text, usage = "", None
    for chunk in stream:
        if chunk.choices and chunk.choices[0].delta.content:
            text += chunk.choices[0].delta.content
        if chunk.usage:
            usage = chunk.usage
    assert text
    assert usage is not None and usage.completion_tokens > 0


def _one_request(client, i: int):
    messages = [{"role": "user", "content": " ".join(f"word{j}" for j in range(1 + i % 7))}]
    if i % 5 == 0:
        stream = client.chat.completions.create(
            model=MODEL, messages=messages, stream=True, stream_options={"include_usage": True}
        )
        usage = None
        for chunk in stream:
            usage = chunk.usage or usage
        return usage.prompt_tokens, usage.completion_tokens
    reply = client.chat.completions.create(model=MODEL, messages=messages)
    return reply.usage.prompt_tokens, reply.usage.completion_tokens


def test_prometheus_counts_exactly_the_requests_and_tokens_sent(stack, client):
    # Start from a settled counter: the previous tests' requests must be scraped first.
    wait_for(lambda: prom_scalar(stack, 'up{job="litellm"}') == 1.0, 60, what="the proxy target up")
    before = dict.fromkeys(
        (
            "litellm_requests_metric_total",
            "litellm_input_tokens_metric_total",
            "litellm_output_tokens_metric_total",
            "litellm_spend_metric_total",
        )
    )

    def settled():
        values = {m: _counter(stack, m) for m in before}
        return values if values["litellm_requests_metric_total"] >= 2 else None

    baseline = wait_for(settled, SCRAPE_WAIT, 3, "the first two requests to be scraped")

    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        usages = list(pool.map(lambda i: _one_request(client, i), range(REQUESTS)))
    prompt_sent = sum(u[0] for u in usages)
    completion_sent = sum(u[1] for u in usages)

    def counted():
        requests = _counter(stack, "litellm_requests_metric_total") - baseline["litellm_requests_metric_total"]
        return requests if requests >= REQUESTS else None

    wait_for(counted, SCRAPE_WAIT, 3, f"{REQUESTS} more requests in litellm_requests_metric_total")
    after = {m: _counter(stack, m) for m in before}
    assert after["litellm_requests_metric_total"] - baseline["litellm_requests_metric_total"] == REQUESTS
    assert after["litellm_input_tokens_metric_total"] - baseline["litellm_input_tokens_metric_total"] == prompt_sent
    assert (
        after["litellm_output_tokens_metric_total"] - baseline["litellm_output_tokens_metric_total"] == completion_sent
    )
    assert after["litellm_spend_metric_total"] - baseline["litellm_spend_metric_total"] > 0


def test_requests_were_spread_over_several_workers(stack):
    # Each worker that recorded a sample writes its own counter_<pid>.db in the instance's metrics folder.
    files = subprocess.run(
        ["docker", "exec", f"{stack.name}-proxy-1", "ls", "/run/litellm-metrics"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    pids = {f.split("_")[-1].removesuffix(".db") for f in files if f.startswith("counter_")}
    assert len(pids) >= 2, f"only {len(pids)} worker(s) recorded requests: {files}"


def test_proxy_target_is_up_and_every_instance_scraped(stack):
    results = prom_query(stack, 'up{job="litellm"}')
    assert results
    assert all(r["value"][1] == "1" for r in results)
