"""Budget and rate-limit alerts, live: a key driven past 80 % of its budget pages the Slack receiver
with a warning naming the key alias and its team; past 100 % the proxy refuses the key and the
critical alert arrives. A key driven past 80 % of its rpm limit pages a warning too. Every latency
from the crossing to the message is printed.

The fake upstream reports prompt tokens = words sent and completion tokens = max_tokens, and the
inventory prices fake-gpt at 1e-6 / 2e-6 USD per token, so every request below costs exactly
5 * 1e-6 + 5 * 2e-6 = 1.5e-5 USD and the crossings fall on known requests."""

import json
import math
import secrets
import threading
import time
import urllib.parse

import openai
import pytest
from conftest import http_json, wait_for
from test_virtual_keys import INPUT_COST, MODEL, OUTPUT_COST, ansible_module, client_for, send_request

WORDS = TOKENS = 5
COST = WORDS * INPUT_COST + TOKENS * OUTPUT_COST
# 9 requests spend 87 % (warning at 80 %), 10 spend 97 % (critical at 95 %), 11 spend 106 %: the 12th is refused.
MAX_BUDGET = 1.55e-4
RPM_LIMIT = 10
RPM_BURST = 9  # 90 % of the limit in one window, never over it
RPM_CROSSING = math.ceil(0.8 * RPM_LIMIT)  # the request of a burst that reaches 80 % (the rule fires at >=)
# The slowest path: LiteLLM's budget-gauge refresh from the database 1m (proxy_budget_metrics_refresh_minutes;
# a worker's own value, set from its cached spend, can lag a burst) + scrape 15 s + evaluation 15 s + for 1m +
# the warning route's group_wait 1m.
MESSAGE_WAIT = 420


def _request(client: openai.OpenAI, stream: bool = False) -> None:
    tokens = send_request(client, WORDS, TOKENS, stream)
    assert tokens == (WORDS, TOKENS), f"the upstream reported {tokens} tokens, not {(WORDS, TOKENS)}"


def _slack_messages(stack, since: float, *needles: str) -> list[dict]:
    """Slack messages received since ``since`` whose payload holds every needle."""
    query = urllib.parse.urlencode({"since": since})
    messages = http_json(f"{stack.slack_receiver_url}/messages?{query}")["messages"]
    return [m for m in messages if all(n in json.dumps(m["payload"]) for n in needles)]


@pytest.fixture(scope="module")
def team(stack):
    alias = f"mol-budget-team-{secrets.token_hex(3)}"
    team_id = ansible_module(stack, "litellm_team", team_alias=alias, models=[MODEL])["team"]["team_id"]
    yield alias, team_id
    ansible_module(stack, "litellm_team", team_alias=alias, state="absent")


class RpmDriver(threading.Thread):
    """Sends bursts of RPM_BURST requests on a key with rpm_limit RPM_LIMIT, one burst per rate-limit
    window (LiteLLM's limiter counts in fixed 60 s windows), until told to stop; at most 6 bursts."""

    def __init__(self, stack, value: str) -> None:
        super().__init__(daemon=True)
        self.client = client_for(stack, value)
        self.stop = threading.Event()
        self.crossings: list[float] = []  # when each burst went past 80 % of the limit
        self.statuses: list[int] = []
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            for _burst in range(6):
                started = time.monotonic()
                for i in range(RPM_BURST):
                    try:
                        _request(self.client, stream=i % 2 == 1)
                        self.statuses.append(200)
                    except openai.APIStatusError as err:
                        self.statuses.append(err.status_code)
                    if i + 1 == RPM_CROSSING:
                        self.crossings.append(time.time())
                if self.stop.wait(max(0.0, 62 - (time.monotonic() - started))):
                    return
        except BaseException as err:  # noqa: BLE001 - reported by the test that owns the driver
            self.error = err


@pytest.fixture(scope="module")
def rpm_key(stack, team):
    alias = f"mol-rpm-{secrets.token_hex(3)}"
    made = ansible_module(stack, "litellm_key", key_alias=alias, team=team[0], models=[MODEL], rpm_limit=RPM_LIMIT)
    driver = RpmDriver(stack, made["api_key"])
    driver.start()
    yield alias, driver
    driver.stop.set()
    driver.join(timeout=120)
    ansible_module(stack, "litellm_key", key_alias=alias, state="absent")


def test_budget_warning_then_refusal_and_critical_reach_slack(stack, team, rpm_key):
    """The rpm key's bursts run in the background meanwhile (rpm_key starts them)."""
    team_alias, _team_id = team
    alias = f"mol-budget-{secrets.token_hex(3)}"
    made = ansible_module(stack, "litellm_key", key_alias=alias, team=team_alias, models=[MODEL], max_budget=MAX_BUDGET)
    client = client_for(stack, made["api_key"])
    try:
        since = time.time()
        for i in range(9):
            _request(client, stream=i % 3 == 2)
        crossed_80 = time.time()  # 9 x 1.5e-5 = 87 % of the budget
        warning = wait_for(
            lambda: _slack_messages(stack, since, "LiteLLMKeyBudgetUsed", alias, "*WARNING*"),
            MESSAGE_WAIT, 5, f"the budget warning for {alias} on the Slack receiver",
        )[0]  # fmt: skip
        text = json.dumps(warning["payload"])
        assert f"team {team_alias} (" in text, f"the warning does not name team {team_alias}: {text}"
        assert not _slack_messages(stack, since, "LiteLLMKeyBudgetUsed", alias, "*CRITICAL*"), "critical before 95 %"

        answered, refusal, crossed_95 = 9, None, None
        for _attempt in range(12):
            try:
                _request(client)
                answered += 1
                if crossed_95 is None and answered * COST >= 0.95 * MAX_BUDGET:
                    crossed_95 = time.time()
            # LiteLLM 1.106.12 refuses an exhausted key with 400/422 "Budget has been exceeded!".
            except openai.APIStatusError as err:
                refusal = err
                break
            time.sleep(1)
        assert refusal is not None, f"{answered} requests answered, none refused, over a {MAX_BUDGET} USD budget"
        assert refusal.status_code in (400, 422) and "budget has been exceeded" in str(refusal).lower(), refusal
        assert answered * COST >= MAX_BUDGET, f"refused after {answered} requests, before the budget was spent"
        critical = wait_for(
            lambda: _slack_messages(stack, since, "LiteLLMKeyBudgetUsed", alias, "*CRITICAL*"),
            MESSAGE_WAIT, 5, f"the critical budget alert for {alias} on the Slack receiver",
        )[0]  # fmt: skip
        assert f"team {team_alias} (" in json.dumps(critical["payload"])
        print(
            f"\nbudget {MAX_BUDGET} USD, {COST:.1e} USD per request: 80 % crossed -> Slack warning "
            f"{warning['received_at'] - crossed_80:.0f} s; 95 % crossed -> Slack critical "
            f"{critical['received_at'] - crossed_95:.0f} s; refused after {answered} answered requests "
            f"({answered * COST / MAX_BUDGET:.0%} of the budget)"
        )
    finally:
        ansible_module(stack, "litellm_key", key_alias=alias, state="absent")


def test_rate_limit_warning_reaches_slack(stack, rpm_key):
    alias, driver = rpm_key
    since = time.time() - 900

    def arrived():
        assert driver.error is None, f"the rpm driver failed: {driver.error!r}"
        return _slack_messages(stack, since, "LiteLLMKeyRateLimitHigh", alias, "*WARNING*")

    what = f"the rate-limit warning for {alias} on the Slack receiver"
    message = wait_for(arrived, 6 * 62 + MESSAGE_WAIT, 5, what)[0]
    driver.stop.set()
    driver.join(timeout=120)
    assert driver.statuses and set(driver.statuses) == {200}, f"{RPM_BURST} per window must all pass: {driver.statuses}"
    assert "rpm" in json.dumps(message["payload"])
    first = driver.crossings[0]
    # The rule also wants the key active within its window (increase() over the request counter), which a
    # brand-new key's first burst cannot show: the second burst is the first crossing the rule can judge.
    judged = driver.crossings[1] if len(driver.crossings) > 1 else first
    print(
        f"\nrpm_limit {RPM_LIMIT}, bursts of {RPM_BURST}/min: first crossing of 80 % -> Slack warning "
        f"{message['received_at'] - first:.0f} s; first judgeable crossing -> {message['received_at'] - judged:.0f} s "
        f"({len(driver.crossings)} bursts, {len(driver.statuses)} requests, all answered)"
    )
