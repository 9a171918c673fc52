"""Virtual keys live: the proxy runs with its database; keys and teams made by the collection's
modules are accepted, a key over its max_budget is refused, and the spend the database records for
a key equals what Prometheus counted and what the upstream's usage and the model's prices give."""

import hashlib
import json
import os
import secrets
import shutil
import subprocess
import sys
import time
from pathlib import Path

import openai
import pytest
import yaml
from conftest import http_json, prom_query, wait_for

MODEL = "fake-gpt"
# The prices the inventory gives fake-gpt (inventories/local: input/output_cost_per_token).
INPUT_COST, OUTPUT_COST = 0.000001, 0.000002
SCRAPE_WAIT = 75


def key_hash(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


@pytest.fixture(scope="module")
def demo_keys(stack) -> dict[str, str]:
    path = stack.secrets_dir / "demo-keys.yml"
    assert path.exists(), f"{path} is missing: the access role wrote no demo keys"
    assert oct(path.stat().st_mode & 0o777) == "0o600", f"{path} must be 0600"
    return yaml.safe_load(path.read_text())


def ansible_module(stack, module: str, **args) -> dict:
    """Runs one of the collection's modules against the stack's proxy and returns its result."""
    ansible = shutil.which("ansible", path=str(Path(sys.executable).parent)) or "ansible"
    env = dict(
        os.environ,
        LITELLM_API_BASE=stack.proxy_url,
        LITELLM_MASTER_KEY=stack.master_key,
        ANSIBLE_LOAD_CALLBACK_PLUGINS="1",
        ANSIBLE_STDOUT_CALLBACK="ansible.builtin.json",
    )
    run = subprocess.run(
        [ansible, "localhost", "-c", "local", "-m", f"llmops.litellm.{module}", "-a", json.dumps(args)],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    try:
        result = json.loads(run.stdout)["plays"][0]["tasks"][0]["hosts"]["localhost"]
    except (ValueError, KeyError, IndexError):
        pytest.fail(f"no module result from ansible (exit {run.returncode}): {run.stderr[-2000:]}")
    assert not result.get("failed"), result.get("msg")
    return result


@pytest.fixture
def temp_key(stack):
    """A key made with llmops.litellm.litellm_key for one test, removed afterwards."""
    made = []

    def make(**options) -> str:
        alias = f"mol-{secrets.token_hex(3)}"
        result = ansible_module(stack, "litellm_key", key_alias=alias, models=[MODEL], **options)
        assert result["changed"] and result.get("api_key"), "litellm_key returned no generated key value"
        assert result["key"]["key_alias"] == alias and result["key"]["managed"]
        made.append(alias)
        return result["api_key"]

    yield make
    for alias in made:
        ansible_module(stack, "litellm_key", key_alias=alias, state="absent")


def client_for(stack, key: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{stack.proxy_url}/v1", api_key=key, max_retries=0, timeout=60)


def key_info(stack, key: str) -> dict:
    return http_json(f"{stack.proxy_url}/key/info?key={key}", headers={"Authorization": f"Bearer {stack.master_key}"})[
        "info"
    ]


def test_readiness_reports_the_database_connected(stack):
    health = http_json(f"{stack.proxy_url}/health/readiness")
    assert health["db"] == "connected", health


def test_demo_keys_made_by_the_access_role_belong_to_their_teams(stack, demo_keys):
    assert set(demo_keys) == {"demo-crawler", "demo-summarizer", "demo-helpdesk", "demo-runaway"}
    teams = {t["team_alias"]: t["team_id"] for t in http_json(
        f"{stack.proxy_url}/team/list", headers={"Authorization": f"Bearer {stack.master_key}"})}  # fmt: skip
    expected_team = {"demo-crawler": "demo-search", "demo-summarizer": "demo-search",
                     "demo-helpdesk": "demo-support", "demo-runaway": "demo-support"}  # fmt: skip
    for alias, value in demo_keys.items():
        info = key_info(stack, value)
        assert info["key_alias"] == alias
        assert info["team_id"] == teams[expected_team[alias]], f"{alias} is not in {expected_team[alias]}"


def test_every_demo_key_is_accepted_by_the_proxy(stack, demo_keys):
    for alias, value in demo_keys.items():
        reply = client_for(stack, value).chat.completions.create(
            model=MODEL, messages=[{"role": "user", "content": alias}]
        )
        assert reply.choices[0].message.content, alias


def test_a_wrong_key_is_refused(stack):
    with pytest.raises(openai.AuthenticationError):
        client_for(stack, "sk-" + secrets.token_hex(20)).chat.completions.create(
            model=MODEL, messages=[{"role": "user", "content": "x"}]
        )


def test_metrics_carry_the_key_hash_alias_and_budget_gauges(stack, demo_keys):
    value = demo_keys["demo-summarizer"]
    client_for(stack, value).chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "gauges"}])
    selector = f'hashed_api_key="{key_hash(value)}",api_key_alias="demo-summarizer"'

    # The budget gauges exist before any request (the proxy sets them from the database every
    # proxy_budget_metrics_refresh_minutes), so they alone do not say the request was scraped.
    def scraped():
        return (
            prom_query(stack, f"litellm_api_key_max_budget_metric{{{selector}}}")
            and prom_query(stack, f"litellm_remaining_api_key_budget_metric{{{selector}}}")
            and prom_query(stack, f"litellm_proxy_total_requests_metric_total{{{selector}}}")
        )

    wait_for(scraped, SCRAPE_WAIT, 3, "the key's budget gauges and request count in Prometheus")
    assert {float(s["value"][1]) for s in prom_query(stack, f"litellm_api_key_max_budget_metric{{{selector}}}")} == {
        5.0
    }
    remaining = max(
        float(s["value"][1]) for s in prom_query(stack, f"litellm_remaining_api_key_budget_metric{{{selector}}}")
    )
    assert 0 < remaining <= 5.0
    requests = prom_query(stack, f"sum(litellm_proxy_total_requests_metric_total{{{selector}}})")
    assert requests and float(requests[0]["value"][1]) >= 1


def test_spend_in_the_database_equals_prometheus_and_the_price_of_the_usage(stack, temp_key):
    value = temp_key()
    client = client_for(stack, value)
    expected = 0.0
    for i in range(6):
        reply = client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "spend " * (i + 1)}])
        expected += reply.usage.prompt_tokens * INPUT_COST + reply.usage.completion_tokens * OUTPUT_COST
    assert expected > 0

    # The proxy writes spend to the database in batches (every few seconds), not per request.
    db_spend = wait_for(
        lambda: (s := key_info(stack, value)["spend"]) and s >= expected * (1 - 1e-9) and s,
        90, 3, "the key's spend in the database",
    )  # fmt: skip
    assert db_spend == pytest.approx(expected, rel=1e-9, abs=1e-12)

    query = f'sum(litellm_spend_metric_total{{hashed_api_key="{key_hash(value)}"}})'

    def scraped_spend():
        result = prom_query(stack, query)
        spend = float(result[0]["value"][1]) if result else 0.0
        return spend if spend >= expected * (1 - 1e-9) else None

    prom_spend = wait_for(scraped_spend, SCRAPE_WAIT, 3, "the key's spend in Prometheus")
    assert prom_spend == pytest.approx(expected, rel=1e-9, abs=1e-12)
    assert prom_spend == pytest.approx(db_spend, rel=1e-9, abs=1e-12)


def test_a_key_over_its_max_budget_is_refused(stack, temp_key):
    budget = 0.00005
    value = temp_key(max_budget=budget)
    client = client_for(stack, value)
    answered, refusal = 0, None
    deadline = time.monotonic() + 150
    for _attempt in range(60):
        if time.monotonic() > deadline:
            break
        try:
            client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "spend my budget " * 5}])
            answered += 1
        # LiteLLM 1.106.12 answers an exhausted key with 422 "Budget has been exceeded!", type budget_exceeded.
        except openai.APIStatusError as err:
            refusal = err
            break
        time.sleep(2)
    assert answered >= 1, f"the key was refused before spending anything: {refusal}"
    assert refusal is not None, f"{answered} requests were answered and none refused over a {budget} USD budget"
    assert refusal.status_code in (400, 422) and "budget has been exceeded" in str(refusal).lower(), refusal
    # The refusal reads the spend the proxy keeps in memory; the database gets it with the next batch write.
    wait_for(lambda: key_info(stack, value)["spend"] >= budget, 90, 3, f"the database to record spend over {budget}")


def _upstream_usage(stack) -> dict:
    return http_json(f"{stack.fake_upstream_url}/_admin/stats")["usage"]


def send_request(client, words: int, max_tokens: int, stream: bool) -> tuple[int, int]:
    """One request; returns the (prompt, completion) tokens the upstream reported to the client."""
    messages = [{"role": "user", "content": " ".join(["spend"] * words)}]
    if stream:
        usage = None
        for chunk in client.chat.completions.create(
            model=MODEL, messages=messages, max_tokens=max_tokens, stream=True, stream_options={"include_usage": True}
        ):
            usage = chunk.usage or usage
        assert usage is not None, "the stream carried no usage"
    else:
        usage = client.chat.completions.create(model=MODEL, messages=messages, max_tokens=max_tokens).usage
    return usage.prompt_tokens, usage.completion_tokens


METRICS = {
    "requests": "litellm_proxy_total_requests_metric_total",
    "prompt": "litellm_input_tokens_metric_total",
    "completion": "litellm_output_tokens_metric_total",
    "spend": "litellm_spend_metric_total",
}


def _counted(stack, selector: str, want: dict) -> dict | None:
    """Prometheus' requests, tokens and spend for ``selector``, once they reach ``want``."""
    got = {}
    for field, metric in METRICS.items():
        got[field] = sum(float(r["value"][1]) for r in prom_query(stack, f"sum({metric}{{{selector}}})"))
    return got if got["requests"] >= want["requests"] and got["spend"] >= want["spend"] * (1 - 1e-9) else None


def _assert_counted(stack, selector: str, want: dict, what: str) -> dict:
    got = wait_for(lambda: _counted(stack, selector, want), SCRAPE_WAIT, 3, f"{what} in Prometheus")
    assert (got["requests"], got["prompt"], got["completion"]) == (
        want["requests"], want["prompt"], want["completion"],
    ), (what, got, want)  # fmt: skip
    assert got["spend"] == pytest.approx(want["spend"], rel=1e-9), (what, got, want)
    return got


def _stored_spend(read, want: float, what: str) -> float:
    """The spend LiteLLM wrote to its database, once its batch writer caught up with ``want``."""
    spend = wait_for(lambda: (s := read() or 0) >= want * (1 - 1e-9) and s, 90, 3, f"{what}'s spend in the database")
    assert spend == pytest.approx(want, rel=1e-9), what
    return spend


def test_three_keys_in_two_teams_counted_exactly_per_key_and_team(stack):
    """Plain and streaming traffic on three keys of two teams: per key and per team, Prometheus'
    requests, tokens and spend equal what the upstream served, the price the cost map gives, and the
    spend LiteLLM stored for each key and team."""
    tag = secrets.token_hex(3)
    teams = {f"mol-team-a-{tag}": "", f"mol-team-b-{tag}": ""}
    for alias in teams:
        teams[alias] = ansible_module(stack, "litellm_team", team_alias=alias, models=[MODEL])["team"]["team_id"]
    team_a, team_b = teams
    # alias -> (team alias, [(prompt words, max_tokens, stream), ...]): different shapes so a mix-up shows.
    plan = {
        f"mol-k1-{tag}": (team_a, [(3, 4, False), (5, 2, True), (2, 7, False)]),
        f"mol-k2-{tag}": (team_a, [(4, 3, True), (6, 5, False)]),
        f"mol-k3-{tag}": (team_b, [(7, 1, False), (1, 6, True), (2, 2, True), (3, 3, False)]),
    }
    values = {}
    master = {"Authorization": f"Bearer {stack.master_key}"}
    try:
        for alias, (team, _requests) in plan.items():
            made = ansible_module(stack, "litellm_key", key_alias=alias, team=team, models=[MODEL], max_budget=5)
            values[alias] = made["api_key"]
        upstream_before = _upstream_usage(stack)
        sent = {}
        for alias, (_team, requests) in plan.items():
            client = client_for(stack, values[alias])
            tokens = [send_request(client, *shape) for shape in requests]
            prompt, completion = sum(t[0] for t in tokens), sum(t[1] for t in tokens)
            # The upstream's usage contract: prompt = words sent, completion = max_tokens asked.
            assert (prompt, completion) == (sum(s[0] for s in requests), sum(s[1] for s in requests)), alias
            spend = prompt * INPUT_COST + completion * OUTPUT_COST
            sent[alias] = {"requests": len(requests), "prompt": prompt, "completion": completion, "spend": spend}
        upstream_after = _upstream_usage(stack)
        for field, usage in (("prompt", "prompt_tokens"), ("completion", "completion_tokens")):
            served = upstream_after[usage] - upstream_before[usage]
            assert served == sum(s[field] for s in sent.values()), f"the upstream served {served} {usage}"

        for alias, want in sent.items():
            hashed = key_hash(values[alias])
            got = _assert_counted(stack, f'hashed_api_key="{hashed}"', want, alias)
            labels = prom_query(
                stack, f'sum by (api_key_alias, team) ({METRICS["requests"]}{{hashed_api_key="{hashed}"}})'
            )
            assert [(s["metric"]["api_key_alias"], s["metric"]["team"]) for s in labels] == [
                (alias, teams[plan[alias][0]])
            ], labels
            _stored_spend(lambda a=alias: key_info(stack, values[a])["spend"], want["spend"], alias)
            print(
                f"\n{alias} ({plan[alias][0]}): {got['requests']:.0f} requests, {got['prompt']:.0f}+"
                f"{got['completion']:.0f} tokens, {got['spend']:.6f} USD in Prometheus"
                " = upstream usage x prices = database"
            )

        for team_alias, team_id in teams.items():
            keys = [alias for alias, (team, _r) in plan.items() if team == team_alias]
            want = {field: sum(sent[a][field] for a in keys) for field in METRICS}
            got = _assert_counted(stack, f'team="{team_id}"', want, team_alias)
            aliases = {
                s["metric"].get("team_alias") for s in prom_query(stack, f'{METRICS["spend"]}{{team="{team_id}"}}')
            }
            assert aliases == {team_alias}, aliases
            url = f"{stack.proxy_url}/team/info?team_id={team_id}"
            _stored_spend(lambda u=url: http_json(u, headers=master)["team_info"]["spend"], want["spend"], team_alias)
            print(f"{team_alias}: {got['requests']:.0f} requests, {got['spend']:.6f} USD = sum of its keys = database")
    finally:
        for alias in plan:
            ansible_module(stack, "litellm_key", key_alias=alias, state="absent")
        for alias in teams:
            ansible_module(stack, "litellm_team", team_alias=alias, state="absent")
