"""Durations and numeric limits exactly as LiteLLM takes them, and what still uses a budget.

The duration checks of validation.py reproduce LiteLLM's own (litellm_core_utils/duration_parser.py
and proxy/common_utils/timezone_utils.py: budget_duration_error): every case here, and a few
thousand generated ones, is also given to the functions of the installed ``litellm`` package and
must get the same answer. The integer limits are checked against the column types of LiteLLM's
Prisma schema, read from the same package. BudgetLinks and the simulator's /budget/delete are
tested against the simulator served from a thread.
"""

from __future__ import annotations

import random
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import litellm_sim  # noqa: F401  # pylint: disable=unused-import  # sets LITELLM_LOCAL_MODEL_COST_MAP before litellm is imported
import pytest
from ansible_collections.llmops.litellm.plugins.module_utils.litellm import budgets, keys, teams, validation
from litellm.litellm_core_utils.duration_parser import duration_in_seconds
from litellm.proxy.common_utils.timezone_utils import budget_duration_error
from litellm_sim.testing import api

MASTER_KEY = "sk-unit-limits-master-key-01"


def litellm_accepts_budget_duration(value: str) -> bool:
    """What the key, team and budget endpoints accept (common_utils.py: validate_budget_duration)."""
    return budget_duration_error(value) is None


def litellm_accepts_key_duration(value: str) -> bool:
    """What /key/generate accepts as ``duration``: parsed, then added to now (generate_key_helper_fn)."""
    try:
        datetime.now(timezone.utc) + timedelta(seconds=duration_in_seconds(value))
    except (ValueError, OverflowError):
        return False
    return True


# (value, budget_duration accepted, key duration accepted), as LiteLLM 1.106.12 answers.
DURATIONS = [
    ("30d", True, True),
    ("30days", True, True),  # the unit is "d"; what follows it is ignored
    ("1mo", True, True),
    ("1month", True, True),
    ("24h", True, True),
    ("1w", True, True),
    ("2w", True, True),
    ("10s", True, True),
    ("30m", True, True),
    ("1min", True, True),
    ("30d ", True, True),
    ("hourly", True, True),
    (" Daily ", True, True),
    ("WEEKLY", True, True),
    ("monthly", True, True),
    ("\u0663h", True, True),  # an Arabic-Indic 3: re's \d and int() take any Unicode digit
    ("2mo", False, True),  # _handle_month_reset: only 1-month budget periods
    ("12mo", False, True),
    ("2mox", True, True),  # reset unit "mox" is unknown: LiteLLM resets it at the next midnight
    ("0d", False, True),  # a period of 0 s: refused as a budget period, an already expired key
    ("0s", False, True),
    ("0mo", False, True),
    ("3000000d", False, False),  # past the year 9999
    ("999999999999w", False, False),
    ("99999999999999999999s", True, False),  # seconds, minutes, hours: the reset is never far
    ("100000mo", False, False),
    ("7 days", False, False),
    ("30 days", False, False),
    ("30", False, False),
    ("30D", False, False),
    ("1H", False, False),
    (" 30d", False, False),
    ("-1", False, False),
    ("-1d", False, False),
    ("", False, False),
    ("1.5h", False, False),
    ("d30", False, False),
    ("1x", False, False),
    ("1y", False, False),
    ("monthly-ish", False, False),
    ("1" + "0" * 4300 + "s", False, False),  # int() refuses more than 4300 digits (Python 3.11)
]


@pytest.mark.parametrize(("value", "budget_ok", "key_ok"), DURATIONS, ids=[repr(d[0])[:24] for d in DURATIONS])
def test_durations_are_read_exactly_as_litellm_reads_them(value, budget_ok, key_ok):
    assert (litellm_accepts_budget_duration(value), litellm_accepts_key_duration(value)) == (budget_ok, key_ok)
    assert (validation.duration_error("budget_duration", value) is None) is budget_ok
    assert (validation.key_duration_error("duration", value) is None) is key_ok


def generated_durations(count: int) -> list[str]:
    rng = random.Random(20261106)
    pieces = ["0", "1", "2", "7", "9", "30", "12", "s", "m", "h", "d", "w", "mo", "x", "o", "M", "D", " ", "-", "."]
    pieces += ["days", "month", "hourly", "daily", "\u0663", "999999", "3000000", "\t"]
    return ["".join(rng.choice(pieces) for _piece in range(rng.randint(0, 4))) for _duration in range(count)]


def test_generated_durations_get_litellms_answer():
    mismatches = [
        (value, litellm_accepts_budget_duration(value), litellm_accepts_key_duration(value))
        for value in generated_durations(4000)
        if (validation.duration_error("budget_duration", value) is None) != litellm_accepts_budget_duration(value)
        or (validation.key_duration_error("duration", value) is None) != litellm_accepts_key_duration(value)
    ]
    assert mismatches == []


@pytest.mark.parametrize("value", ["1d", "7d", "30d", "1mo", "1w", "3h", "45m", "90s", "2w", "31d", "weekly"])
def test_duration_seconds_are_litellms(value):
    assert validation.duration_in_seconds(value) == duration_in_seconds(value)


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("2mo", "only every 1mo"),
        ("0d", "0 seconds"),
        ("3000000d", "after the year 9999"),
        ("7 days", "a number followed by a unit"),
    ],
)
def test_refused_budget_durations_say_why(value, reason):
    error = validation.duration_error("keys[2] (a): budget_duration", value)
    assert error.startswith("keys[2] (a): budget_duration: invalid duration %r; " % value)
    assert reason in error


def test_key_duration_may_be_any_number_of_months():
    params = {"key_alias": "k", "duration": "2mo", "budget_duration": "2mo"}
    errors = keys.validate_key_params(dict(dict.fromkeys(keys.key_option_spec()), **params))
    assert [error.split(":")[0] for error in errors] == ["budget_duration"]


@pytest.mark.parametrize(("value", "unit"), [("30days", "days"), ("1month", "month"), ("1min", "min"), ("2mox", "mox")])
def test_durations_litellm_resets_daily_are_warned_about(value, unit):
    assert litellm_accepts_budget_duration(value)
    [warning] = validation.duration_warnings("keys[0] (a): ", {"budget_duration": value})
    assert warning.startswith("keys[0] (a): budget_duration: LiteLLM accepts %r" % value)
    assert "unit %r" % unit in warning and "every day at midnight" in warning


@pytest.mark.parametrize("value", ["30d", "1mo", "daily", "12h", None])
def test_durations_with_a_known_unit_are_not_warned_about(value):
    assert validation.duration_warnings("", {"budget_duration": value}) == []


# Integer limits ----------------------------------------------------------------------------

SCHEMA = Path(budget_duration_error.__code__.co_filename).resolve().parents[1] / "schema.prisma"


def prisma_column_types(model: str) -> dict[str, str]:
    text = SCHEMA.read_text()
    body = re.search(r"^model %s \{(.*?)^\}" % model, text, re.S | re.M).group(1)
    return dict(re.findall(r"^\s*(\w+)\s+(\w+)\??", body, re.M))


@pytest.mark.parametrize("model", ["LiteLLM_VerificationToken", "LiteLLM_TeamTable", "LiteLLM_BudgetTable"])
def test_limit_columns_are_the_prisma_schemas(model):
    prisma_types = {"Int": validation.INT4, "BigInt": validation.INT8}
    columns = prisma_column_types(model)
    for field, column in validation.LIMIT_COLUMNS.items():
        assert prisma_types[columns[field]] == column, (model, field, columns[field])
    assert columns["max_budget"] == columns.get("soft_budget", "Float") == "Float"


def key_params(**values):
    params = dict.fromkeys(keys.key_option_spec())
    params.update(state="present", rotate_key=False, clear_fields=[], key_alias="a")
    params.update(values)
    return params


def team_params(**values):
    params = {"team_alias": "t", "team_id": None, "members": None, "clear_fields": [], "metadata": None}
    params.update(dict.fromkeys(teams.TEAM_NUMERIC_FIELDS), budget_duration=None)
    params.update(values)
    return params


def budget_params(**values):
    params = dict.fromkeys(budgets.BUDGET_FIELDS)
    params.update(budget_id="b", clear_fields=[])
    params.update(values)
    return params


VALIDATORS = {
    "key": lambda values: keys.validate_key_params(key_params(**values), "keys[3] (a): "),
    "team": lambda values: teams.validate_team_params(team_params(**values), "keys[3] (a): "),
    "budget": lambda values: budgets.validate_budget_params(budget_params(**values), "keys[3] (a): "),
}
INT4_MAX, INT8_MAX = 2**31 - 1, 2**63 - 1


@pytest.mark.parametrize(
    ("kind", "field", "value", "largest", "column"),
    [
        ("key", "max_parallel_requests", 2**31, INT4_MAX, "PostgreSQL integer"),
        ("key", "rpm_limit", 2**63, INT8_MAX, "PostgreSQL bigint"),
        ("key", "tpm_limit", 10**30, INT8_MAX, "PostgreSQL bigint"),
        ("team", "rpm_limit", 2**63, INT8_MAX, "PostgreSQL bigint"),
        ("team", "tpm_limit", 2**64, INT8_MAX, "PostgreSQL bigint"),
        ("budget", "max_parallel_requests", 3000000000, INT4_MAX, "PostgreSQL integer"),
        ("budget", "rpm_limit", 2**63, INT8_MAX, "PostgreSQL bigint"),
        ("budget", "tpm_limit", 2**63, INT8_MAX, "PostgreSQL bigint"),
    ],
)
def test_limits_beyond_their_column_are_refused_naming_the_field(kind, field, value, largest, column):
    validate = VALIDATORS[kind]
    assert validate({field: value}) == [
        "keys[3] (a): %s: %s exceeds the largest value LiteLLM can store (%s, %s)" % (field, value, largest, column)
    ]
    assert validate({field: largest}) == []


def test_rpm_limit_of_three_billion_fits_its_bigint_column():
    assert keys.validate_key_params(key_params(rpm_limit=3000000000)) == []


def test_huge_integers_do_not_break_the_finite_check():
    assert keys.validate_key_params(key_params(rpm_limit=10**400))[0].startswith("rpm_limit: 1000")
    assert keys.validate_key_params(key_params(rpm_limit=-(10**400)))[0].startswith("rpm_limit: must be")


# What uses a budget (simulator) ----------------------------------------------------------


def call(sim, path, body=None, method="POST"):
    status, answer = api(sim.url, MASTER_KEY, method, path, body)
    assert status == 200, answer
    return answer


def test_links_name_keys_end_user_keys_and_teams(sim, client):
    call(sim, "/budget/new", {"budget_id": "shared", "max_budget": 5})
    call(sim, "/key/generate", {"key_alias": "k1", "budget_id": "shared"})
    call(sim, "/key/generate", {"key_alias": "k2", "budget_id": "other"})
    call(sim, "/key/generate", {"key_alias": "k3", "end_user_budget_id": "shared"})
    links = budgets.BudgetLinks.read(client, "shared")
    assert [r["key_alias"] for r in links.keys] == ["k1"]
    assert [r["key_alias"] for r in links.end_user_keys] == ["k3"]
    assert links.teams == []
    assert links.key_names() == ["k1", "k3"]
    refusal = links.refusal(detach=False)
    assert "budget 'shared' is still used by 1 key(s) (k1) and 1 key(s) as the budget of their end users (k3)" in (
        refusal
    )
    assert "detach: true" in refusal
    assert links.refusal(detach=True) is None


def test_a_teams_members_budget_blocks_the_delete_even_with_detach(sim, client):
    team = call(
        sim,
        "/team/new",
        {"team_alias": "tm", "team_member_budget": 3, "members_with_roles": [{"user_id": "u1", "role": "user"}]},
    )
    budget_id = team["metadata"]["team_member_budget_id"]
    assert budget_id.startswith("team-tm-budget-")
    [listed] = client.list_teams()
    assert {m["user_id"]: m["budget_id"] for m in client.team_memberships(listed["team_id"])} == {
        "u1": budget_id,
        "default_user_id": budget_id,
    }
    links = budgets.BudgetLinks.read(client, budget_id)
    for detach in (False, True):
        refusal = links.refusal(detach=detach)
        assert "1 team(s) (tm: its members' budget and the budget of 2 member(s))" in refusal
        assert "detach cannot" in refusal


def test_detach_unlinks_every_key_before_the_delete(sim, client):
    call(sim, "/budget/new", {"budget_id": "shared", "rpm_limit": 5})
    call(sim, "/key/generate", {"key_alias": "k1", "budget_id": "shared", "max_budget": 2})
    call(sim, "/key/generate", {"key_alias": "k3", "end_user_budget_id": "shared"})
    before = call(sim, "/_sim/stats", method="GET")
    links = budgets.BudgetLinks.read(client, "shared")
    budgets.BudgetPlan({"budget_id": "shared", "state": "absent"}, client.budget_info("shared"), links).apply(client)
    stats = api(sim.url, None, "GET", "/_sim/stats")[1]
    assert stats["by_route"].get("POST /key/update", 0) - before["by_route"].get("POST /key/update", 0) == 2
    by_alias = {record["key_alias"]: record for record in client.iter_keys()}
    assert by_alias["k1"]["budget_id"] is None and by_alias["k1"]["max_budget"] == 2
    assert by_alias["k3"]["metadata"].get("end_user_budget_id") in ("", None)
    assert client.budget_info("shared") is None
