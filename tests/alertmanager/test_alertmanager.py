"""The Alertmanager configuration the alertmanager role ships: rendered, checked, routed, inhibited.

roles/alertmanager/templates/alertmanager.yml.j2 is rendered with the role's defaults (and with
every optional variable set) by plain Jinja2, honouring its ``#jinja2:`` header as
``ansible.builtin.template`` does. Then ``amtool check-config``, ``amtool config routes test`` for
each route, ``amtool template render`` of the Slack title and text with alerts taken from the rule
unit tests, and a real Alertmanager that must inhibit a warning under its critical.

amtool: ``LLMOPS_AMTOOL`` names a local binary, ``LLMOPS_ALERTMANAGER`` a local alertmanager binary;
otherwise both run from the image ``LLMOPS_ALERTMANAGER_IMAGE`` (default
llmops-standin/alertmanager:0.25) with docker. When neither works the tests fail and say so.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from role_templates import render_template, role_defaults  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
ROLE = ROOT / "roles" / "alertmanager"
TEMPLATE = ROLE / "templates" / "alertmanager.yml.j2"
RULE_TESTS = ROOT / "tests" / "rules"
DEFAULT_IMAGE = "llmops-standin/alertmanager:0.25"
CONTAINER_CONFIG = "/etc/alertmanager/alertmanager.yml"
TEAM_RESEARCH = "4f6c2e1a-9b3d-4c7e-8a21-6d5f0b9e3c17"
KEY_A = "8d4d64fda80d897b328bda016b9ba6fd4ee5c4e78c0d4925a8206586691cb8a8"
KEY_B = "37997b84314e719de7bf552116529faaf934d1592a1be6344267c99ede3b9353"

# Every optional variable set: a dead man's switch, a team's own receiver and route.
EXTRAS = {
    "alertmanager_watchdog_url": "https://heartbeat.example.com/ping/0f1e2d3c",
    "alertmanager_extra_receivers": [
        {
            "name": "research-oncall",
            "webhook_configs": [{"url": "https://oncall.example.com/hook", "send_resolved": True}],
        }
    ],
    "alertmanager_extra_routes": [
        {
            "receiver": "research-oncall",
            "matchers": [f'team="{TEAM_RESEARCH}"', 'severity="critical"'],
            "group_wait": "5s",
        }
    ],
    "alertmanager_slack_critical_channel": "#llm-pages",
}


@dataclass(frozen=True)
class Tools:
    """amtool and alertmanager as local binaries or from an Alertmanager image."""

    amtool: str | None
    alertmanager: str | None
    image: str | None

    def describe(self) -> str:
        return self.amtool or f"{self.image} (docker)"

    def run_amtool(self, workdir: Path, *args: str) -> subprocess.CompletedProcess[str]:
        if self.amtool:
            argv = [self.amtool, *args]
        else:
            argv = [
                "docker", "run", "--rm", "--network", "none",
                "--user", f"{os.getuid()}:{os.getgid()}",
                "-v", f"{workdir}:/work:ro", "-w", "/work",
                "--entrypoint", "/bin/amtool", str(self.image), *args,
            ]  # fmt: skip
        return subprocess.run(argv, cwd=workdir, capture_output=True, text=True, timeout=120, check=False)


def docker_image_or_fail(image: str, what: str) -> None:
    if not shutil.which("docker"):
        pytest.fail(f"{what} not available: no docker to run {image}")
    probe = subprocess.run(["docker", "image", "inspect", image], capture_output=True, text=True, check=False)
    if probe.returncode != 0:
        pytest.fail(
            f"{what} not available: docker cannot use image {image} ({probe.stderr.strip()}); build the stand-in "
            "images (make images) or set LLMOPS_ALERTMANAGER_IMAGE, LLMOPS_AMTOOL and LLMOPS_ALERTMANAGER"
        )


@pytest.fixture(scope="module")
def tools() -> Tools:
    amtool, alertmanager = os.environ.get("LLMOPS_AMTOOL"), os.environ.get("LLMOPS_ALERTMANAGER")
    for variable, path in (("LLMOPS_AMTOOL", amtool), ("LLMOPS_ALERTMANAGER", alertmanager)):
        if path and not os.access(path, os.X_OK):
            pytest.fail(f"{variable}={path} is not an executable file")
    image = None
    if not (amtool and alertmanager):
        image = os.environ.get("LLMOPS_ALERTMANAGER_IMAGE", DEFAULT_IMAGE)
        docker_image_or_fail(image, "amtool" if not amtool else "alertmanager")
    return Tools(amtool=amtool, alertmanager=alertmanager, image=image)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """defaults.yml and extras.yml (the configuration with every option set), and an empty template file."""
    out = tmp_path_factory.mktemp("alertmanager")
    out.chmod(0o755)
    defaults = role_defaults(ROLE)
    (out / "defaults.yml").write_text(render_template(TEMPLATE, defaults))
    (out / "extras.yml").write_text(render_template(TEMPLATE, {**defaults, **EXTRAS}))
    (out / "none.tmpl").write_text("")
    return out


def config(workdir: Path, variant: str) -> dict:
    return yaml.safe_load((workdir / f"{variant}.yml").read_text())


@pytest.mark.parametrize("variant", ["defaults", "extras"])
def test_amtool_check_config(tools: Tools, workdir: Path, variant: str) -> None:
    result = tools.run_amtool(workdir, "check-config", f"{variant}.yml")
    output = result.stdout + result.stderr
    assert result.returncode == 0, f"amtool check-config {variant} ({tools.describe()}) failed:\n{output}"
    assert "SUCCESS" in output, output


def test_slack_receivers_read_the_webhook_from_a_file_and_send_resolved(workdir: Path) -> None:
    defaults = role_defaults(ROLE)
    receivers = {r["name"]: r for r in config(workdir, "defaults")["receivers"]}
    for name, channel in (("slack-critical", "#llm-alerts"), ("slack-warning", "#llm-alerts")):
        (slack,) = receivers[name]["slack_configs"]
        assert slack["api_url_file"] == defaults["alertmanager_slack_api_url_file"]
        assert "api_url" not in slack
        assert slack["send_resolved"] is True
        assert slack["channel"] == channel
    assert receivers["watchdog"] == {"name": "watchdog"}, "without a URL the Watchdog goes nowhere"
    extras = {r["name"]: r for r in config(workdir, "extras")["receivers"]}
    heartbeat = {"url": EXTRAS["alertmanager_watchdog_url"], "send_resolved": False}
    assert extras["watchdog"]["webhook_configs"] == [heartbeat]
    assert extras["research-oncall"] == EXTRAS["alertmanager_extra_receivers"][0]
    assert extras["slack-critical"]["slack_configs"][0]["channel"] == "#llm-pages"


def labels_of(**labels: str) -> list[str]:
    return [f"{k}={v}" for k, v in labels.items()]


ROUTE_CASES = [
    ("defaults", "watchdog", labels_of(alertname="Watchdog", severity="none")),
    ("defaults", "slack-critical", labels_of(
        alertname="LiteLLMKeyRunawayRequests", severity="critical", hashed_api_key=KEY_A, api_key_alias="agent-a",
        team=TEAM_RESEARCH, team_alias="research")),
    ("defaults", "slack-critical", labels_of(alertname="LiteLLMProxyTargetDown", severity="critical", job="litellm")),
    ("defaults", "slack-warning", labels_of(
        alertname="LiteLLMKeyBudgetUsed", severity="warning", hashed_api_key=KEY_A, api_key_alias="agent-a")),
    ("defaults", "slack-warning", labels_of(alertname="LiteLLMTeamBudgetUsed", severity="warning", team=TEAM_RESEARCH)),
    ("defaults", "slack-warning", labels_of(alertname="SomeoneElsesAlert", severity="info")),
    ("extras", "watchdog", labels_of(alertname="Watchdog", severity="none")),
    ("extras", "research-oncall", labels_of(
        alertname="LiteLLMKeyRunawaySpend", severity="critical", hashed_api_key=KEY_A, team=TEAM_RESEARCH)),
    ("extras", "slack-critical", labels_of(
        alertname="LiteLLMKeyRunawaySpend", severity="critical", hashed_api_key=KEY_B, team="another-team")),
    ("extras", "slack-warning", labels_of(alertname="LiteLLMKeyBudgetUsed", severity="warning", team=TEAM_RESEARCH)),
]  # fmt: skip


@pytest.mark.parametrize(("variant", "receiver", "labels"), ROUTE_CASES, ids=[f"{c[0]}-{c[1]}" for c in ROUTE_CASES])
def test_amtool_routes(tools: Tools, workdir: Path, variant: str, receiver: str, labels: list[str]) -> None:
    result = tools.run_amtool(
        workdir, "config", "routes", "test", f"--config.file={variant}.yml", f"--verify.receivers={receiver}", *labels
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, f"{labels} did not route to {receiver} ({tools.describe()}):\n{output}"
    assert result.stdout.strip() == receiver, output


def test_every_route_is_tested(workdir: Path) -> None:
    for variant in ("defaults", "extras"):
        receivers = {r["receiver"] for r in config(workdir, variant)["route"]["routes"]}
        receivers.add(config(workdir, variant)["route"]["receiver"])
        tested = {receiver for v, receiver, _labels in ROUTE_CASES if v == variant}
        assert receivers <= tested, f"{variant}: no routing case for {sorted(receivers - tested)}"


def test_routes_page_fast_and_group_warnings(workdir: Path) -> None:
    root = config(workdir, "defaults")["route"]
    routes = {r["receiver"]: r for r in root["routes"]}
    assert root["group_by"] == ["alertname", "hashed_api_key", "api_key_alias", "team"]
    assert routes["slack-critical"]["matchers"] == ['severity="critical"']
    assert routes["slack-critical"]["group_wait"] == "5s"
    assert routes["slack-warning"]["matchers"] == ['severity="warning"']
    assert root["group_wait"] == "1m"
    assert [r["receiver"] for r in root["routes"]][0] == "watchdog"


# --------------------------------------------------------------------------- Slack messages


def expected_alert(test_file: str, alertname: str, severity: str) -> tuple[dict, dict]:
    """Labels and annotations of an alert as a rule unit test expects it to fire."""
    for group in yaml.safe_load((RULE_TESTS / test_file).read_text())["tests"]:
        for case in group.get("alert_rule_test", []):
            for alert in case.get("exp_alerts") or []:
                if case["alertname"] == alertname and alert["exp_labels"]["severity"] == severity:
                    return {"alertname": alertname, **alert["exp_labels"]}, alert["exp_annotations"]
    raise AssertionError(f"{test_file} has no firing {alertname} {severity}")


def notification(status: str, alerts: list[tuple[dict, dict]]) -> dict:
    """Alertmanager's template data (template.Data) for one notification."""
    items = [
        {
            "status": status,
            "labels": labels,
            "annotations": annotations,
            "startsAt": "2025-06-01T10:00:00Z",
            "endsAt": "2025-06-01T10:20:00Z" if status == "resolved" else "0001-01-01T00:00:00Z",
            "generatorURL": "http://llmops-prometheus:9090/graph",
            "fingerprint": f"{i:016x}",
        }
        for i, (labels, annotations) in enumerate(alerts)
    ]
    common = dict(set.intersection(*(set(labels.items()) for labels, _annotations in alerts)))
    return {
        "receiver": "slack-critical",
        "status": status,
        "alerts": items,
        "groupLabels": {"alertname": common["alertname"]},
        "commonLabels": common,
        "commonAnnotations": {},
        "externalURL": "http://llmops-alertmanager:9093",
    }


def render_slack(tools: Tools, workdir: Path, field: str, data: dict) -> str:
    receivers = {r["name"]: r for r in config(workdir, "defaults")["receivers"]}
    (slack,) = receivers["slack-critical"]["slack_configs"]
    data_file = workdir / f"data-{uuid.uuid4().hex}.json"
    data_file.write_text(json.dumps(data))
    try:
        result = tools.run_amtool(
            workdir,
            "template", "render", "--template.glob=none.tmpl",
            f"--template.text={slack[field]}", f"--template.data={data_file.name}",
        )  # fmt: skip
    finally:
        data_file.unlink()
    assert result.returncode == 0, f"amtool template render {field} failed:\n{result.stdout}{result.stderr}"
    return result.stdout.rstrip("\n")


def test_slack_message_of_a_runaway_key(tools: Tools, workdir: Path) -> None:
    labels, annotations = expected_alert("runaway.test.yml", "LiteLLMKeyRunawayRequests", "critical")
    data = notification("firing", [(labels, annotations)])
    title = render_slack(tools, workdir, "title", data)
    text = render_slack(tools, workdir, "text", data)
    assert title == "[FIRING:1] LiteLLMKeyRunawayRequests - key agent-a - team research"
    assert text.splitlines() == [
        f"*CRITICAL* {annotations['summary']}",
        annotations["description"],
        f"*Value:* {annotations['value']}",
        f"*Key:* agent-a ({KEY_A})",
        f"*Team:* research ({TEAM_RESEARCH})",
        f"*What to do:* {annotations['runbook']}",
    ]
    assert render_slack(tools, workdir, "color", data) == "danger"


def test_slack_message_names_the_model_and_fallback(tools: Tools, workdir: Path) -> None:
    labels, annotations = expected_alert("availability.test.yml", "LiteLLMFailedFallbacks", "warning")
    text = render_slack(tools, workdir, "text", notification("firing", [(labels, annotations)]))
    assert "*Model:* gpt-4o (fallback claude-sonnet-4)" in text.splitlines()
    labels, annotations = expected_alert("availability.test.yml", "LiteLLMDeploymentOutage", "critical")
    text = render_slack(tools, workdir, "text", notification("firing", [(labels, annotations)]))
    assert "*Model:* gpt-4o" in text.splitlines()


def test_slack_message_of_a_key_without_alias_or_team(tools: Tools, workdir: Path) -> None:
    labels = {"alertname": "LiteLLMKeyRunawayRequests", "severity": "critical", "hashed_api_key": KEY_B,
              "api_key_alias": "None", "team": "None", "team_alias": "None"}  # fmt: skip
    annotations = {"summary": "s", "description": "d", "value": "v", "runbook": "r"}
    data = notification("firing", [(labels, annotations)])
    assert render_slack(tools, workdir, "title", data) == f"[FIRING:1] LiteLLMKeyRunawayRequests - key {KEY_B}"
    text = render_slack(tools, workdir, "text", data).splitlines()
    assert f"*Key:* ({KEY_B})" in text
    assert not [line for line in text if line.startswith("*Team:*")]


def test_slack_message_when_resolved(tools: Tools, workdir: Path) -> None:
    labels, annotations = expected_alert("budgets.test.yml", "LiteLLMKeyBudgetUsed", "warning")
    data = notification("resolved", [(labels, annotations)])
    assert render_slack(tools, workdir, "title", data).startswith("[RESOLVED] LiteLLMKeyBudgetUsed - key agent-a")
    assert render_slack(tools, workdir, "text", data).startswith(f"*RESOLVED* {annotations['summary']}")
    assert render_slack(tools, workdir, "color", data) == "good"


# --------------------------------------------------------------------------- a real Alertmanager


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def api(port: int, path: str, body: object | None = None) -> object:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}",
        data=None if body is None else json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
        method="GET" if body is None else "POST",
    )
    with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310 (loopback only)
        text = response.read().decode()
    return json.loads(text) if text else None


def wait_ready(port: int, deadline: float, logs: Callable[[], str]) -> None:
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/-/ready", timeout=1).close()  # noqa: S310
            return
        except OSError:
            time.sleep(0.2)
    pytest.fail(f"Alertmanager did not become ready on 127.0.0.1:{port}:\n{logs()}")


def container_logs(name: str) -> str:
    logs = subprocess.run(["docker", "logs", name], capture_output=True, text=True, check=False)
    return logs.stdout + logs.stderr


@pytest.fixture
def running_alertmanager(tools: Tools, workdir: Path, tmp_path: Path) -> Iterator[int]:
    """The defaults configuration in a real Alertmanager on 127.0.0.1; yields its port."""
    secrets = tmp_path / "secrets"
    secrets.mkdir()
    # Loopback of the Alertmanager itself, where nothing listens: no notification leaves.
    (secrets / "slack-webhook-url").write_text("http://127.0.0.1:9/services/none")
    flags = ["--storage.path=/tmp/alertmanager-data", "--cluster.listen-address=", "--log.level=warn"]
    port = free_port()
    deadline = time.monotonic() + 30
    if tools.alertmanager:
        config_file = tmp_path / "alertmanager.yml"
        config_file.write_text(
            (workdir / "defaults.yml").read_text().replace("/etc/alertmanager/secrets", str(secrets))
        )
        flags[0] = f"--storage.path={tmp_path / 'data'}"
        process = subprocess.Popen(
            [tools.alertmanager, f"--config.file={config_file}", f"--web.listen-address=127.0.0.1:{port}", *flags],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
        try:
            wait_ready(port, deadline, lambda: process.stdout.read() if process.poll() is not None else "")
            yield port
        finally:
            process.terminate()
            process.wait(timeout=10)
        return
    name = f"llmops-dev-amtest-{uuid.uuid4().hex[:10]}"
    started = subprocess.run(
        [
            "docker", "run", "-d", "--name", name, "--user", f"{os.getuid()}:{os.getgid()}",
            "-p", f"127.0.0.1:{port}:9093",
            "-v", f"{workdir / 'defaults.yml'}:{CONTAINER_CONFIG}:ro",
            "-v", f"{secrets}:/etc/alertmanager/secrets:ro",
            str(tools.image), f"--config.file={CONTAINER_CONFIG}", "--web.listen-address=:9093", *flags,
        ],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert started.returncode == 0, f"could not start Alertmanager from {tools.image}: {started.stderr}"
    try:
        wait_ready(port, deadline, lambda: container_logs(name))
        yield port
    finally:
        subprocess.run(["docker", "rm", "-f", name], capture_output=True, check=False)


def test_critical_inhibits_the_warning_of_the_same_alert_and_key(running_alertmanager: int) -> None:
    port = running_alertmanager
    key_a = {"hashed_api_key": KEY_A, "api_key_alias": "agent-a"}
    sent = {
        "critical-a": {"alertname": "LiteLLMKeyBudgetUsed", "severity": "critical", **key_a},
        "warning-a": {"alertname": "LiteLLMKeyBudgetUsed", "severity": "warning", **key_a},
        "warning-b": {"alertname": "LiteLLMKeyBudgetUsed", "severity": "warning", "hashed_api_key": KEY_B},
        "other-warning-a": {"alertname": "LiteLLMKeyRateLimitHigh", "severity": "warning", **key_a,
                            "rate_limit_type": "requests"},
        "proxy-1-down": {"alertname": "LiteLLMProxyTargetDown", "severity": "warning", "job": "litellm",
                         "instance": "llmops-proxy-1"},
        "all-proxies-down": {"alertname": "LiteLLMProxyTargetDown", "severity": "critical", "job": "litellm"},
    }  # fmt: skip
    ends = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 600))
    api(port, "/api/v2/alerts", [{"labels": {"test": name, **labels}, "endsAt": ends} for name, labels in sent.items()])
    expected = {
        "critical-a": "active",
        "warning-a": "suppressed",
        "warning-b": "active",
        "other-warning-a": "active",
        "proxy-1-down": "suppressed",
        "all-proxies-down": "active",
    }
    deadline = time.monotonic() + 10
    while True:
        states = {a["labels"]["test"]: a["status"]["state"] for a in api(port, "/api/v2/alerts")}
        if states == expected or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert states == expected


# --------------------------------------------------------------------------- Ansible renders the same


def render_with_ansible(tmp_path: Path, vars_files: list[Path], template: Path, dest: Path) -> None:
    """ansible.builtin.template on localhost, as the role runs it."""
    task = {"ansible.builtin.template": {"src": str(template), "dest": str(dest), "mode": "0644"}}
    play = {"hosts": "localhost", "gather_facts": False, "vars_files": [str(f) for f in vars_files], "tasks": [task]}
    playbook = tmp_path / f"render-{dest.stem}.yml"
    playbook.write_text(yaml.safe_dump([play]))
    argv = [
        str(Path(sys.executable).parent / "ansible-playbook"), "-i", "localhost,", "-c", "local",
        "-e", f"ansible_python_interpreter={sys.executable}", str(playbook),
    ]  # fmt: skip
    env = {**os.environ, "ANSIBLE_CONFIG": str(ROOT / "tests" / "ansible.cfg"), "ANSIBLE_NOCOLOR": "1"}
    result = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=300, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_ansible_template_renders_like_plain_jinja(workdir: Path, tmp_path: Path) -> None:
    """ansible.builtin.template, which the role uses, produces the same configuration as the plain render."""
    defaults = sorted((ROLE / "defaults" / "main").glob("*.yml"))
    # Play vars_files outrank play vars: the options go in a vars file after the defaults.
    options = tmp_path / "options.yml"
    options.write_text(yaml.safe_dump(EXTRAS))
    for variant, vars_files in (("defaults", defaults), ("extras", [*defaults, options])):
        dest = tmp_path / f"{variant}.yml"
        render_with_ansible(tmp_path, vars_files, TEMPLATE, dest)
        assert yaml.safe_load(dest.read_text()) == config(workdir, variant), variant
