"""The alert rules the prometheus role ships: rendered, checked and unit tested with promtool.

The rule templates (roles/prometheus/templates/rules/*.yml.j2) are rendered with the role's defaults
by plain Jinja2, honouring their ``#jinja2:`` header the way ``ansible.builtin.template`` does; one
test renders them with Ansible itself and compares. Then ``promtool check rules`` and ``promtool test
rules`` run on every tests/rules/*.test.yml.

promtool: ``LLMOPS_PROMTOOL`` names a local binary; otherwise it runs from the image
``LLMOPS_PROMETHEUS_IMAGE`` (default llmops-standin/prometheus:2.42) with docker. When neither works
the tests fail and say so. The LiteLLM metric list is kept in the repository
(tests/fixtures/litellm-1.106.12-metrics.tsv); a missing list fails the tests that compare against it.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from role_templates import render_template, role_defaults  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
ROLE = ROOT / "roles" / "prometheus"
TEMPLATES = ROLE / "templates" / "rules"
HERE = Path(__file__).resolve().parent
TEST_FILES = sorted(HERE.glob("*.test.yml"))
DEFAULT_IMAGE = "llmops-standin/prometheus:2.42"
METRICS_FIXTURE = ROOT / "tests" / "fixtures" / "litellm-1.106.12-metrics.tsv"
SEVERITIES = {"critical", "warning", "none"}
ANNOTATIONS = {"summary", "description", "value", "runbook"}
# Always firing by design: it has no quiet case.
ALWAYS_FIRING = {"Watchdog"}


@dataclass(frozen=True)
class Promtool:
    """promtool as a local binary or as the entrypoint of a Prometheus image."""

    binary: str | None
    image: str | None

    def describe(self) -> str:
        return self.binary or f"{self.image} (docker)"

    def run(self, workdir: Path, *args: str) -> subprocess.CompletedProcess[str]:
        if self.binary:
            argv = [self.binary, *args]
        else:
            argv = [
                "docker", "run", "--rm", "--network", "none",
                "--user", f"{os.getuid()}:{os.getgid()}",
                "-v", f"{workdir}:/work:ro", "-w", "/work",
                "--entrypoint", "/bin/promtool", str(self.image), *args,
            ]  # fmt: skip
        return subprocess.run(argv, cwd=workdir, capture_output=True, text=True, timeout=600, check=False)


def find_promtool() -> Promtool:
    binary = os.environ.get("LLMOPS_PROMTOOL")
    if binary:
        if not os.access(binary, os.X_OK):
            pytest.fail(f"LLMOPS_PROMTOOL={binary} is not an executable file")
        return Promtool(binary=binary, image=None)
    image = os.environ.get("LLMOPS_PROMETHEUS_IMAGE", DEFAULT_IMAGE)
    if not shutil.which("docker"):
        pytest.fail(f"promtool not available: no docker to run {image}; set LLMOPS_PROMTOOL to a promtool binary")
    probe = subprocess.run(["docker", "image", "inspect", image], capture_output=True, text=True, check=False)
    if probe.returncode != 0:
        pytest.fail(
            f"promtool not available: docker cannot use image {image} ({probe.stderr.strip()}); "
            "build the stand-in images (make images), set LLMOPS_PROMETHEUS_IMAGE, or set LLMOPS_PROMTOOL"
        )
    return Promtool(binary=None, image=image)


def rule_templates() -> list[Path]:
    return sorted(TEMPLATES.glob("*.yml.j2"))


@pytest.fixture(scope="module")
def promtool() -> Promtool:
    return find_promtool()


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Rendered rule files next to copies of the promtool test files (rule_files are relative)."""
    out = tmp_path_factory.mktemp("rules")
    out.chmod(0o755)
    variables = role_defaults(ROLE)
    for template in rule_templates():
        (out / template.name.removesuffix(".j2")).write_text(render_template(template, variables))
    for test_file in TEST_FILES:
        shutil.copy(test_file, out / test_file.name)
    return out


@pytest.fixture(scope="module")
def rules(workdir: Path) -> list[dict]:
    """Every rule of every rendered file, with its group and file."""
    out = []
    for f in sorted(workdir.glob("*.rules.yml")):
        for group in yaml.safe_load(f.read_text())["groups"]:
            out.extend({**rule, "_group": group["name"], "_file": f.name} for rule in group["rules"])
    return out


def alerting(rules: list[dict]) -> list[dict]:
    return [r for r in rules if "alert" in r]


def test_templates_render_with_the_defaults(workdir: Path) -> None:
    rendered = sorted(workdir.glob("*.rules.yml"))
    assert [p.name for p in rendered] == [t.name.removesuffix(".j2") for t in rule_templates()]
    for path in rendered:
        text = path.read_text()
        assert "<<" not in text and ">>" not in text, f"{path.name}: Jinja left a delimiter"
        assert yaml.safe_load(text)["groups"], f"{path.name}: no rule groups"


def test_promtool_check_rules(promtool: Promtool, workdir: Path) -> None:
    files = sorted(p.name for p in workdir.glob("*.rules.yml"))
    result = promtool.run(workdir, "check", "rules", *files)
    output = result.stdout + result.stderr
    assert result.returncode == 0, f"promtool check rules ({promtool.describe()}) failed:\n{output}"
    assert output.count("SUCCESS") == len(files), output


@pytest.mark.parametrize("test_file", [p.name for p in TEST_FILES])
def test_promtool_unit_tests(promtool: Promtool, workdir: Path, test_file: str) -> None:
    result = promtool.run(workdir, "test", "rules", test_file)
    output = result.stdout + result.stderr
    assert result.returncode == 0, f"promtool test rules {test_file} ({promtool.describe()}) failed:\n{output}"
    assert "SUCCESS" in output, output


def test_every_alert_has_severity_and_annotations(rules: list[dict]) -> None:
    problems = []
    for rule in alerting(rules):
        name = f"{rule['alert']} ({rule['_file']})"
        severity = rule.get("labels", {}).get("severity")
        if severity not in SEVERITIES:
            problems.append(f"{name}: severity {severity!r}")
        missing = ANNOTATIONS - {k for k, v in rule.get("annotations", {}).items() if v and v.strip()}
        if missing:
            problems.append(f"{name}: no {', '.join(sorted(missing))}")
    assert not problems, "\n".join(problems)


def unit_cases() -> list[tuple[str, dict]]:
    """(test group name, alert_rule_test case) for every case of every test file."""
    out = []
    for path in TEST_FILES:
        for group in yaml.safe_load(path.read_text())["tests"]:
            out.extend((group["name"], case) for case in group.get("alert_rule_test", []))
    return out


def test_every_alert_fires_in_one_case_and_stays_quiet_in_a_close_one(rules: list[dict]) -> None:
    """Each alert and severity fires in a `fires:` test group and is asserted absent in a `quiet:` one."""
    fired, quiet = set(), set()
    for group_name, case in unit_cases():
        severities = {a["exp_labels"].get("severity") for a in case.get("exp_alerts") or []}
        for severity in severities:
            if group_name.startswith("fires:"):
                fired.add((case["alertname"], severity))
        if group_name.startswith("quiet:"):
            quiet.update((case["alertname"], s) for s in SEVERITIES - severities)
    expected = {(r["alert"], r["labels"]["severity"]) for r in alerting(rules)}
    missing_fire = sorted(expected - fired)
    missing_quiet = sorted(a for a in expected - quiet if a[0] not in ALWAYS_FIRING)
    assert not missing_fire, f"no firing case for: {missing_fire}"
    assert not missing_quiet, f"no quiet case for: {missing_quiet}"


def test_each_test_file_loads_its_rule_file() -> None:
    for path in TEST_FILES:
        for rule_file in yaml.safe_load(path.read_text())["rule_files"]:
            assert (TEMPLATES / f"{rule_file}.j2").is_file(), f"{path.name}: no template for {rule_file}"


# --------------------------------------------------------------------------- LiteLLM's metric list


@dataclass(frozen=True)
class Metric:
    kind: str
    labels: frozenset[str]
    samples: frozenset[str]


@pytest.fixture(scope="module")
def litellm_metrics() -> dict[str, Metric]:
    """Sample name -> metric, from the LiteLLM 1.106.12 metric list (tab separated)."""
    path = METRICS_FIXTURE
    assert path.is_file(), f"the LiteLLM metric list {path} is missing from the repository"
    by_sample = {}
    for line in path.read_text().splitlines()[1:]:
        kind, _name, labels, samples = line.split("\t")
        metric = Metric(kind, frozenset(filter(None, labels.split(","))), frozenset(samples.split()))
        by_sample.update(dict.fromkeys(metric.samples, metric))
    return by_sample


SELECTOR = re.compile(r"^\s*(?P<name>[a-zA-Z_:][a-zA-Z0-9_:]*)\s*(?:\{(?P<labels>.*)\})?\s*$", re.S)
LABEL = re.compile(r'\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"\s*,?')
# Labels Prometheus adds (job, instance) or the prometheus_client multiprocess collector (pid).
SCRAPE_LABELS = {"job", "instance"}


def parse_selector(selector: str) -> tuple[str, dict[str, str]]:
    match = SELECTOR.match(selector)
    assert match, f"not a series selector: {selector}"
    body = match.group("labels") or ""
    labels = dict(LABEL.findall(body))
    assert LABEL.sub("", body).strip() == "", f"unparsed labels in {selector}"
    return match.group("name"), labels


GROUPING = re.compile(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")
MATCHERS = re.compile(r"\{[^}]*\}")
METRIC = re.compile(r"(?<![\w:.])litellm_[a-z0-9_]+(?![\w:])")


def metric_names(promql: str) -> set[str]:
    """LiteLLM metric names a PromQL expression selects (not label names, not recorded series)."""
    return set(METRIC.findall(MATCHERS.sub("", GROUPING.sub("", promql))))


def test_rules_use_only_metrics_litellm_exposes(rules: list[dict], litellm_metrics: dict[str, Metric]) -> None:
    used = {name for rule in rules for name in metric_names(rule["expr"])}
    # PromQL in the annotations' query calls sits between backquotes.
    used |= {
        name
        for rule in alerting(rules)
        for text in rule["annotations"].values()
        for query in re.findall(r"`([^`]*)`", text)
        for name in metric_names(query)
    }
    assert used, "no LiteLLM metric found in the rules"
    unknown = sorted(used - set(litellm_metrics))
    assert not unknown, f"not exposed by LiteLLM 1.106.12: {unknown}"


def test_input_series_are_shaped_like_litellm(litellm_metrics: dict[str, Metric]) -> None:
    """Every LiteLLM input series has exactly the metric's labels; gauges add pid, histograms' buckets le."""
    problems = []
    for path in TEST_FILES:
        for group in yaml.safe_load(path.read_text())["tests"]:
            for item in group.get("input_series", []):
                name, labels = parse_selector(item["series"])
                if not name.startswith("litellm_"):
                    continue
                metric = litellm_metrics.get(name)
                if metric is None:
                    problems.append(f"{path.name}: {name} is not a LiteLLM 1.106.12 sample")
                    continue
                expected = set(metric.labels) | SCRAPE_LABELS
                expected |= {"pid"} if metric.kind == "gauge" else set()
                expected |= {"le"} if name.endswith("_bucket") else set()
                got = set(labels)
                # LiteLLM writes "" for a key without alias on budget gauges; Prometheus drops empty labels.
                optional = {"api_key_alias"} if metric.kind == "gauge" else set()
                if not (expected - optional <= got <= expected):
                    problems.append(
                        f"{path.name}: {name} labels differ: missing {sorted(expected - optional - got)}, "
                        f"extra {sorted(got - expected)}"
                    )
    assert not problems, "\n".join(problems)


# --------------------------------------------------------------------------- Ansible renders the same


def render_with_ansible(tmp_path: Path, vars_files: list[Path], pairs: list[tuple[Path, Path]]) -> None:
    """ansible.builtin.template on localhost for each (template, destination), as the role runs it."""
    task = {
        "ansible.builtin.template": {"src": "{{ item.src }}", "dest": "{{ item.dest }}", "mode": "0644"},
        "loop": [{"src": str(src), "dest": str(dest)} for src, dest in pairs],
    }
    play = {"hosts": "localhost", "gather_facts": False, "vars_files": [str(f) for f in vars_files], "tasks": [task]}
    playbook = tmp_path / "render.yml"
    playbook.write_text(yaml.safe_dump([play]))
    argv = [
        str(Path(sys.executable).parent / "ansible-playbook"), "-i", "localhost,", "-c", "local",
        "-e", f"ansible_python_interpreter={sys.executable}", str(playbook),
    ]  # fmt: skip
    env = {**os.environ, "ANSIBLE_CONFIG": str(ROOT / "tests" / "ansible.cfg"), "ANSIBLE_NOCOLOR": "1"}
    result = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=300, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_ansible_template_renders_like_plain_jinja(workdir: Path, tmp_path: Path) -> None:
    """ansible.builtin.template, which the role uses, produces the same rules as the plain render."""
    pairs = [(t, tmp_path / t.name.removesuffix(".j2")) for t in rule_templates()]
    render_with_ansible(tmp_path, sorted((ROLE / "defaults" / "main").glob("*.yml")), pairs)
    for _template, by_ansible in pairs:
        plain = workdir / by_ansible.name
        assert yaml.safe_load(by_ansible.read_text()) == yaml.safe_load(plain.read_text()), plain.name


def test_the_role_writes_every_group_once_in_one_file(workdir: Path, tmp_path: Path, promtool: Promtool) -> None:
    """The role writes llmops.rules.yml (one write, one promtool check): the groups of every rule file, in order."""
    names = tmp_path / "names.yml"
    names.write_text(yaml.safe_dump({"_prometheus_rule_templates": [t.name for t in rule_templates()]}))
    combined = tmp_path / "llmops.rules.yml"
    vars_files = [*sorted((ROLE / "defaults" / "main").glob("*.yml")), names]
    render_with_ansible(tmp_path, vars_files, [(TEMPLATES / "llmops.rules.j2", combined)])
    singles = [
        g
        for t in rule_templates()
        for g in yaml.safe_load((workdir / t.name.removesuffix(".j2")).read_text())["groups"]
    ]
    assert yaml.safe_load(combined.read_text())["groups"] == singles
    shutil.copy(combined, workdir / "combined.rules.check")
    result = promtool.run(workdir, "check", "rules", "combined.rules.check")
    assert result.returncode == 0, result.stdout + result.stderr


def seconds(duration: str) -> float:
    match = re.fullmatch(r"(\d+(?:\.\d+)?)(ms|s|m|h|d)", str(duration))
    assert match, f"not a simple Prometheus duration: {duration}"
    return float(match.group(1)) * {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}[match.group(2)]


LATENCY_LINE = re.compile(
    r"worst case for a (?P<rps>\d+) req/s loop: (?P<parts>[\d. +]+) = (?P<total>[\d.]+) s; "
    r"any loop above (?P<slow_rps>\d+) req/s < (?P<slow_total>\d+) s"
)


def test_documented_runaway_latency_matches_the_defaults() -> None:
    """The runaway rules' header adds up scrape, floor ramp, evaluation, for and group_wait at the defaults."""
    prometheus, alertmanager = role_defaults(ROLE), role_defaults(ROOT / "roles" / "alertmanager")
    header = render_template(TEMPLATES / "litellm_runaway.rules.yml.j2", prometheus).split("\ngroups:")[0]
    match = LATENCY_LINE.search(header)
    assert match, f"no latency budget line in the header:\n{header}"
    window = seconds(prometheus["prometheus_alert_runaway_short_window"])
    floor = prometheus["prometheus_alert_runaway_requests_per_minute_floor"]

    def budget(loop_rps: float) -> list[float]:
        # The short rate reads about loop_rps * loop_seconds * 60 / window requests per minute.
        ramp = floor * window / 60 / loop_rps
        return [
            seconds(prometheus["prometheus_scrape_interval"]),
            ramp,
            seconds(prometheus["prometheus_alert_runaway_eval_interval"]),
            seconds(prometheus["prometheus_alert_runaway_for"]),
            seconds(alertmanager["alertmanager_critical_group_wait"]),
        ]

    documented = [float(x) for x in match["parts"].split("+")]
    assert documented == budget(float(match["rps"]))
    assert float(match["total"]) == sum(documented) < 60
    assert sum(budget(float(match["slow_rps"]))) == float(match["slow_total"]) <= 60
