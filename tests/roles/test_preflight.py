"""playbooks/preflight.yml refuses a bad value of every role's input before any container changes.

A throwaway inventory (every group on localhost, fixed secrets) first passes the preflight as it
is; then playbooks/site.yml, the real entry point, runs once per bad value given as JSON extra vars
and must stop in the preflight: a non-zero exit, the error naming the field, the failing task one
of the expected role's, and no play after the preflight nor any change. Type errors come from the
roles' `preflight` argument specs (and common's `main` one, run by the contract play), value errors
from their tasks/preflight.yml.

As a safety net a run that got past the preflight could not reach Docker: DOCKER_HOST points at a
socket that does not exist, `docker` on PATH is a stub that fails, and every path the roles write
to lies under the test's temporary directory.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "sim"))

from collection_under_test import collections_path  # noqa: E402

ROLES = (
    "access",
    "alertmanager",
    "common",
    "fake_upstream",
    "grafana",
    "images",
    "network",
    "postgres",
    "prometheus",
    "proxy",
    "redis",
    "slack_receiver",
)
CONTRACT_PLAY = "Shared facts of the stack"
PREFLIGHT_PLAY = "Check the stack's inputs"

# Fixed throwaway secrets: neither the valid run nor a refused value may print one.
SECRETS = {
    "postgres_password": "pg-admin-throwaway-7f3a",
    "postgres_db_password": "pg-db-throwaway-91c2",
    "redis_password": "redis-throwaway-5d8e",
    "proxy_master_key": "sk-throwaway-master-key-2b6f",
    "proxy_salt_key": "throwaway-salt-key-c4e1",
    "grafana_admin_password": "grafana-throwaway-0a9d",
}

PLAY_RE = re.compile(r"^PLAY \[(.*)\] \**$", re.MULTILINE)
TASK_RE = re.compile(r"^TASK \[(.*)\] \**$")
RECAP_RE = re.compile(r"^localhost\s*:\s*(.*)$", re.MULTILINE)


@dataclass(frozen=True)
class Case:
    id: str
    role: str  # the role whose check must refuse the value
    extra_vars: dict[str, Any]
    fragments: tuple[str, ...]  # each must appear in the error message
    play: str = PREFLIGHT_PLAY  # the play that must fail
    kind: str = "value"  # "type": argument spec, "value": tasks/preflight.yml


CASES = (
    Case(
        "common-stack-name",
        "common",
        {"llmops_stack_name": "Bad Name"},
        ("llmops_stack_name (Bad Name) must be 1-40 lower-case letters",),
    ),
    Case(
        "common-proxy-workers-type",
        "common",
        {"proxy_workers": "many"},
        ("argument 'proxy_workers' is of type str and we were unable to convert to int",),
        play=CONTRACT_PLAY,
        kind="type",
    ),
    Case(
        "common-port-range",
        "common",
        {"slack_receiver_port": 70000},
        ("ports 1-65535 (wrong: slack_receiver_port=70000)",),
    ),
    Case(
        "common-bind-address",
        "common",
        {"grafana_bind_address": "localhost"},
        ("bind addresses IP addresses (wrong: grafana_bind_address=localhost)",),
    ),
    Case(
        "images-unknown-image",
        "images",
        {"images_build": ["nosuch"]},
        ("images_build names nosuch, which images_catalog does not define",),
    ),
    Case(
        "images-build-timeout-type",
        "images",
        {"images_build_timeout": "soon"},
        ("argument 'images_build_timeout' is of type str and we were unable to convert to int",),
        kind="type",
    ),
    Case(
        "network-equal-names",
        "network",
        {"network_backend_name": "llmops-shared", "network_monitoring_name": "llmops-shared"},
        (
            "network_backend_name and network_monitoring_name must be two different non-empty names",
            "backend=llmops-shared , monitoring=llmops-shared ",
        ),
    ),
    Case(
        "postgres-password-short",
        "postgres",
        {"postgres_password": "short-pw"},
        ("postgres_password and postgres_db_password must be set (12 characters or more",),
    ),
    Case(
        "postgres-max-connections",
        "postgres",
        {"postgres_max_connections": 5},
        ("postgres_max_connections=5 is too small: the proxies need 60 connections",),
    ),
    Case(
        "redis-maxmemory",
        "redis",
        {"redis_maxmemory": "lots"},
        ("redis_maxmemory must look like 256mb",),
    ),
    Case(
        "fake-upstream-error-rate",
        "fake_upstream",
        {"fake_upstream_error_rate": 2},
        ("fake_upstream_error_rate must be 0-1 (got 2)",),
    ),
    Case(
        "slack-receiver-max-messages",
        "slack_receiver",
        {"slack_receiver_max_messages": 0},
        ("slack_receiver_max_messages must be 1-1000000 (got 0)",),
    ),
    Case(
        "proxy-litellm-version",
        "proxy",
        {"proxy_litellm_version": "1.82.7"},
        ("proxy_litellm_version=1.82.7 is refused",),
    ),
    Case(
        "proxy-model-list-type",
        "proxy",
        {"proxy_model_list": ["a string"]},
        ("option 'proxy_model_list' is of type str and we were unable to convert to dict",),
        kind="type",
    ),
    Case(
        "proxy-model-without-provider",
        "proxy",
        {"proxy_model_list": [{"model_name": "bare", "litellm_params": {"model": "gpt-4o"}}]},
        ("proxy_model_list[0] (bare): needs a model_name, and litellm_params.model must name its provider",),
    ),
    Case(
        "proxy-sample-master-key",
        "proxy",
        {"proxy_master_key": "sk-1234"},
        ('proxy_master_key must be set, start with "sk-", be at least 20 characters',),
    ),
    Case(
        "proxy-budget-metrics-refresh",
        "proxy",
        {"proxy_budget_metrics_refresh_minutes": -1},
        ("proxy_budget_metrics_refresh_minutes (-1) must be 0..1440",),
    ),
    Case(
        "alertmanager-webhook-url",
        "alertmanager",
        {"alertmanager_slack_webhook_url": "not a url"},
        ("alertmanager_slack_webhook_url must be set to a Slack incoming-webhook URL",),
    ),
    Case(
        "prometheus-scrape-interval",
        "prometheus",
        {"prometheus_scrape_interval": "1s"},
        ("prometheus_scrape_interval=1s is refused",),
    ),
    Case(
        "prometheus-extra-scrape-configs-type",
        "prometheus",
        {"prometheus_extra_scrape_configs": ["x"]},
        ("option 'prometheus_extra_scrape_configs' is of type str and we were unable to convert to dict",),
        kind="type",
    ),
    Case(
        "grafana-admin-password-short",
        "grafana",
        {"grafana_admin_password": "short-gf"},
        ("grafana_admin_password must be set (Ansible Vault or an AWX credential) and hold at least 12",),
    ),
    Case(
        "grafana-image-latest",
        "grafana",
        {"grafana_image": "docker.io/grafana/grafana:latest"},
        ("grafana: check grafana_image (pinned tag, not latest)",),
    ),
    Case(
        "access-negative-budget",
        "access",
        {"access_litellm_budgets": [{"budget_id": "monthly", "max_budget": -5}]},
        ("access_litellm_budgets[0] (monthly): max_budget=-5",),
    ),
    Case(
        "access-key-limit",
        "access",
        {"access_litellm_keys": [{"key_alias": "agent-1", "key": "sk-agent-1-fixed-value", "rpm_limit": -1}]},
        ("access_litellm_keys[0] (agent-1): rpm_limit=-1",),
    ),
    Case(
        "access-key-limit-beyond-int4",
        "access",
        {
            "access_litellm_keys": [
                {"key_alias": "agent-1", "key": "sk-agent-1-fixed-value", "max_parallel_requests": 3000000000}
            ]
        },
        (
            "access_litellm_keys[0] (agent-1): max_parallel_requests=3000000000 exceeds the largest value LiteLLM "
            "can store (2147483647, PostgreSQL integer)",
        ),
    ),
    Case(
        "access-budget-limit-beyond-int8",
        "access",
        {"access_litellm_budgets": [{"budget_id": "monthly", "rpm_limit": 9223372036854775808}]},
        (
            "access_litellm_budgets[0] (monthly): rpm_limit=9223372036854775808 exceeds the largest value LiteLLM "
            "can store (9223372036854775807, PostgreSQL bigint)",
        ),
    ),
    Case(
        "access-key-defaults-limit-beyond-int4",
        "access",
        {"access_litellm_key_defaults": {"max_parallel_requests": "2147483648"}},
        ("access_litellm_key_defaults: max_parallel_requests=2147483648 exceeds the largest value",),
    ),
    Case(
        "access-keys-owner",
        "access",
        {"access_litellm_keys_owner": "team a!"},
        ("access_litellm_keys_owner must be empty (no owner) or 1 to 64 letters", "(got 'team a!')"),
    ),
    Case(
        "access-keys-type",
        "access",
        {"access_litellm_keys": ["agent-1"]},
        ("option 'access_litellm_keys' is of type str and we were unable to convert to dict",),
        kind="type",
    ),
)


@dataclass
class Run:
    rc: int
    output: str
    log: Path
    plays: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.plays = PLAY_RE.findall(self.output)

    @property
    def recap(self) -> dict[str, int]:
        found = RECAP_RE.findall(self.output)
        assert found, f"no PLAY RECAP for localhost in {self.log}"
        return {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", found[-1])}

    def error(self) -> str:
        """The first [ERROR] message, whitespace collapsed (up to its Origin line)."""
        lines = self.output.splitlines()
        start = next((i for i, line in enumerate(lines) if line.startswith("[ERROR]: ")), None)
        assert start is not None, f"no [ERROR] in the output ({self.log})"
        end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("Origin: ")), len(lines))
        return " ".join(" ".join(lines[start:end]).split())

    def failed_task(self) -> str:
        """The header of the task that printed the first `fatal:` (`failed:` in a loop)."""
        task = ""
        for line in self.output.splitlines():
            match = TASK_RE.match(line)
            if match:
                task = match.group(1)
            elif line.startswith(("fatal: ", "failed: ")):
                return task
        raise AssertionError(f"no fatal: line in the output ({self.log})")

    def tail(self, lines: int = 60) -> str:
        return "\n".join(self.output.splitlines()[-lines:])


@pytest.fixture(scope="session")
def harness(tmp_path_factory) -> dict[str, Any]:
    """ansible-playbook, its environment, and a valid throwaway inventory."""
    paths = collections_path()  # plugins, roles and playbooks checked against this checkout

    venv_bin = REPO / ".venv" / "bin"
    playbook = venv_bin / "ansible-playbook"
    playbook_cmd = str(playbook) if playbook.exists() else shutil.which("ansible-playbook")
    assert playbook_cmd, "ansible-playbook is missing: run scripts/setup-venv.sh"
    python = venv_bin / "python"
    python_cmd = str(python) if python.exists() else sys.executable

    root = tmp_path_factory.mktemp("preflight")
    guard = root / "guard-bin"
    guard.mkdir()
    stub = guard / "docker"
    stub.write_text('#!/bin/sh\necho "docker is not reachable from the preflight tests" >&2\nexit 97\n')
    stub.chmod(0o755)

    inventory = root / "inventory"
    (inventory / "group_vars" / "all").mkdir(parents=True)
    local = {"ansible_connection": "local", "ansible_python_interpreter": python_cmd}
    hosts = {
        "all": {
            "hosts": {"localhost": local},
            "children": {
                g: {"hosts": {"localhost": {}}} for g in ("database", "proxies", "monitoring", "test_services")
            },
        }
    }
    (inventory / "hosts.yml").write_text(yaml.safe_dump(hosts, sort_keys=False))
    group_vars = {
        "llmops_stack_name": "llmops-preflight",
        "llmops_config_root": str(root / "config"),
        "images_build": [],
        "images_build_dir": str(root / "images"),
        **SECRETS,
        "access_litellm_master_key": "{{ proxy_master_key }}",
        "alertmanager_slack_webhook_url": "http://127.0.0.1:9/services/preflight/test",
        "proxy_model_list": [
            {
                "model_name": "fake-gpt",
                "litellm_params": {"model": "openai/fake-gpt", "api_base": "http://127.0.0.1:9/v1", "api_key": "x"},
            }
        ],
    }
    (inventory / "group_vars" / "all" / "main.yml").write_text(yaml.safe_dump(group_vars, sort_keys=False))

    # The caller's Ansible settings and the variables the roles' defaults read stay out.
    dropped = ("ANSIBLE_", "LITELLM_", "DOCKER_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(dropped)}
    for name in ("SLACK_WEBHOOK_URL", "OPENAI_API_KEY", "ANTHROPIC_API_KEY"):
        env.pop(name, None)
    env.update(
        ANSIBLE_CONFIG=str(REPO / "tests" / "ansible.cfg"),
        ANSIBLE_COLLECTIONS_PATH=paths,
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_LOCAL_TEMP=str(root / "ansible-tmp"),
        DOCKER_HOST=f"unix://{root}/no-docker.sock",
        PATH=os.pathsep.join([str(guard), str(venv_bin), env.get("PATH", "")]),
        PYTHONDONTWRITEBYTECODE="1",
    )
    return {"cmd": playbook_cmd, "env": env, "inventory": inventory, "root": root}


def run_playbook(harness: dict[str, Any], name: str, playbook: str, extra_vars: dict[str, Any] | None = None) -> Run:
    cmd = [harness["cmd"], "-i", str(harness["inventory"]), str(REPO / "playbooks" / playbook)]
    if extra_vars is not None:
        cmd += ["-e", json.dumps(extra_vars)]
    proc = subprocess.run(
        cmd,
        cwd=harness["root"],
        env=harness["env"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=300,
        check=False,
    )
    log = harness["root"] / f"{name}.log"
    log.write_text(proc.stdout)
    return Run(proc.returncode, proc.stdout, log)


@pytest.fixture(scope="session")
def runs(request, harness) -> dict[str, Run]:
    """The valid preflight run and site.yml once per selected case, several at a time."""
    selected = {getattr(item, "originalname", "") for item in request.session.items}
    wanted = {
        item.callspec.params["case"].id
        for item in request.session.items
        if getattr(item, "originalname", "") == "test_bad_value_stops_in_preflight" and hasattr(item, "callspec")
    }
    jobs = [(c.id, "site.yml", c.extra_vars) for c in CASES if c.id in wanted]
    if "test_valid_inventory_passes_preflight" in selected:
        jobs.insert(0, ("valid", "preflight.yml", None))
    workers = max(2, min(8, 2 * (os.cpu_count() or 1)))
    with ThreadPoolExecutor(workers) as pool:
        done = pool.map(lambda job: run_playbook(harness, *job), jobs)
        return {job[0]: run for job, run in zip(jobs, done, strict=True)}


def assert_no_secret(run: Run) -> None:
    leaked = sorted(name for name, value in SECRETS.items() if value in run.output)
    assert not leaked, f"secrets printed: {leaked} ({run.log})"


def test_cases_cover_every_role():
    assert sorted({c.role for c in CASES}) == sorted(ROLES)
    assert sorted(p.name for p in (REPO / "roles").iterdir() if (p / "tasks" / "preflight.yml").is_file()) == sorted(
        ROLES
    )
    assert {c.kind for c in CASES} == {"type", "value"}
    assert len({c.id for c in CASES}) == len(CASES)


def test_valid_inventory_passes_preflight(runs: dict[str, Run]):
    run = runs["valid"]
    assert run.rc == 0, f"preflight refused the valid inventory ({run.log}):\n{run.tail()}"
    recap = run.recap
    assert recap["failed"] == 0 and recap["changed"] == 0 and recap["unreachable"] == 0, recap
    assert run.plays == [CONTRACT_PLAY, PREFLIGHT_PLAY]
    for role in ROLES:  # every role's checks ran, so each bad case below fails for its own reason
        header = f"TASK [llmops.litellm.{role} : Validating arguments against arg spec 'preflight'"
        assert header in run.output, f"the {role} preflight did not run ({run.log})"
    assert_no_secret(run)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_value_stops_in_preflight(case: Case, runs: dict[str, Run]):
    run = runs[case.id]
    where = f"({run.log}):\n{run.tail()}"
    assert run.rc != 0, f"site.yml accepted {case.extra_vars} {where}"

    # Stopped in the preflight: no later play started and nothing changed.
    assert run.plays and set(run.plays) <= {CONTRACT_PLAY, PREFLIGHT_PLAY}, f"plays run: {run.plays} {where}"
    assert run.plays[-1] == case.play, f"failed in play {run.plays[-1]!r}, not {case.play!r} {where}"
    assert not re.search(r"^changed: ", run.output, re.MULTILINE), f"a task changed something {where}"
    recap = run.recap
    assert recap["changed"] == 0 and recap["failed"] == 1, recap

    # Refused by the expected role's check, naming the field.
    failed = run.failed_task()
    assert failed.startswith(f"llmops.litellm.{case.role} : "), f"failed in task {failed!r} {where}"
    spec = failed.split(" : ", 1)[1].startswith("Validating arguments against arg spec")
    assert spec == (case.kind == "type"), f"{case.kind} error caught by {failed!r} {where}"
    message = run.error()
    for var in case.extra_vars:
        assert var in message, f"the error does not name {var}: {message}"
    for fragment in case.fragments:
        assert fragment in message, f"{fragment!r} not in the error: {message}"

    # A failed argument spec prints its defaults rendered (argument_spec_data): no spec gives a
    # secret a templated default (scripts/check_argument_specs.py), so type errors print none either.
    assert_no_secret(run)
    for var, value in case.extra_vars.items():
        if var.endswith("password"):
            assert value not in run.output, f"the refused {var} was printed {where}"
