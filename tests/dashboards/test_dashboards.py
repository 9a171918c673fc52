"""Static checks of the dashboards the collection ships (roles/grafana/files/dashboards).

- every file is valid JSON with a fixed, valid uid and panels that read from the ${datasource} variable;
- every query parses as PromQL (promtool, when it can be found) and names only metrics and labels that
  LiteLLM 1.106.12 exposes (the metric list fixture, tests/fixtures/litellm-1.106.12-metrics.tsv);
- gauges are aggregated across workers and LiteLLM's "no limit" values are filtered out;
- the list of queries allowed to return no data names only queries that exist, each with a reason.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from queries import (
    DASHBOARD_DIR,
    dashboard_files,
    expected_empty,
    iter_panels,
    load_dashboard,
    metric_names,
    panel_queries,
    substitute,
    variable_queries,
)

REPO = Path(__file__).resolve().parents[2]
METRICS_FIXTURE = REPO / "tests" / "fixtures" / "litellm-1.106.12-metrics.tsv"
PROMETHEUS_IMAGE = os.environ.get("LLMOPS_PROMETHEUS_IMAGE", "llmops-standin/prometheus:2.42")
UID = re.compile(r"^llmops-[a-z0-9-]{1,33}$")
# LiteLLM reports +Inf (no budget) or sys.maxsize, about 9.2e18 (no rate limit), for these gauges.
UNLIMITED_GAUGES = {
    "litellm_remaining_api_key_budget_metric",
    "litellm_remaining_team_budget_metric",
    "litellm_remaining_api_key_requests_for_model",
    "litellm_remaining_api_key_tokens_for_model",
    "litellm_remaining_requests_metric",
    "litellm_remaining_tokens_metric",
    "litellm_api_key_rate_limit_allowed_metric",
    "litellm_team_rate_limit_allowed_metric",
}
# Labels Prometheus or the multiprocess collector add to every series.
TARGET_LABELS = {"job", "instance", "pid"}
SELECTOR = re.compile(r"\b(litellm_[a-z0-9_]+)\{([^}]*)\}")
MATCHER = re.compile(r"([a-zA-Z_]\w*)\s*(?:=~|!~|!=|=)")
GROUPING = re.compile(r"\b(?:by|without)\s*\(([^)]*)\)\s*\(")

DASHBOARDS = [(path.name, load_dashboard(path)) for path in dashboard_files()]
NAMES = [name for name, _dashboard in DASHBOARDS]
QUERIES = panel_queries()
ALL_QUERIES = QUERIES + variable_queries()


def litellm_metrics() -> dict[str, dict]:
    """Sample name (as scraped, e.g. ..._total, ..._bucket) -> {'type', 'labels'}."""
    assert METRICS_FIXTURE.exists(), "the LiteLLM metric list %s is missing from the repository" % METRICS_FIXTURE
    samples = {}
    lines = METRICS_FIXTURE.read_text(encoding="utf-8").splitlines()
    for line in lines[1:]:
        kind, _name, labels, sample_names = line.split("\t")
        for sample in sample_names.split():
            samples[sample] = {"type": kind, "labels": set(filter(None, labels.split(",")))}
    return samples


def test_there_are_five_dashboards_with_queries():
    assert sorted(NAMES) == [
        "budgets-limits.json",
        "deployments.json",
        "proxy-overview.json",
        "spend.json",
        "tokens.json",
    ]
    assert len(QUERIES) >= 40


@pytest.mark.parametrize(("name", "dashboard"), DASHBOARDS, ids=NAMES)
def test_dashboard_identity(name, dashboard):
    assert UID.match(dashboard["uid"]), dashboard["uid"]
    assert dashboard["title"].startswith("LiteLLM / ")
    assert "llmops" in dashboard["tags"]
    # Server-managed keys would make every import look like a change.
    assert not {"id", "version", "iteration", "__inputs"} & set(dashboard)
    raw = (DASHBOARD_DIR / name).read_text(encoding="utf-8")
    assert raw.endswith("\n") and json.loads(raw) == dashboard


def test_uids_and_titles_are_unique():
    uids = [dashboard["uid"] for _name, dashboard in DASHBOARDS]
    titles = [dashboard["title"] for _name, dashboard in DASHBOARDS]
    assert len(set(uids)) == len(uids)
    assert len(set(titles)) == len(titles)


@pytest.mark.parametrize(("name", "dashboard"), DASHBOARDS, ids=NAMES)
def test_panels_read_from_the_datasource_variable(name, dashboard):
    panels = list(iter_panels(dashboard["panels"]))
    ids = [panel["id"] for panel in panels]
    assert len(set(ids)) == len(ids), "panel ids must be unique in %s" % name
    titles = [panel["title"] for panel in panels if panel["type"] != "row"]
    assert len(set(titles)) == len(titles), "panel titles must be unique in %s" % name
    for panel in panels:
        if panel["type"] == "row":
            continue
        assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}, panel["title"]
        assert panel["targets"], panel["title"]
        assert panel.get("description"), "%s: %s has no description" % (name, panel["title"])
        for target in panel["targets"]:
            assert target["datasource"] == panel["datasource"]
            assert target["expr"].strip()


@pytest.mark.parametrize(("name", "dashboard"), DASHBOARDS, ids=NAMES)
def test_template_variables(name, dashboard):
    variables = {var["name"]: var for var in dashboard["templating"]["list"]}
    datasource = variables.pop("datasource")
    assert datasource["type"] == "datasource" and datasource["query"] == "prometheus"
    assert datasource["current"]["value"] == "llmops-prometheus"
    assert variables, "%s has no key/team/model variable" % name
    assert set(variables) <= {"key", "team", "model"}
    for var in variables.values():
        # "All" must also match series whose label is empty (the master key has no alias).
        assert var["includeAll"] and var["multi"] and var["allValue"] == ".*"
        used = [q for q in QUERIES if q.dashboard_uid == dashboard["uid"] and "$" + var["name"] in q.expr]
        assert used, "%s: variable %s is used by no query" % (name, var["name"])


def test_substitution_leaves_no_variable():
    for query in ALL_QUERIES:
        assert "$" not in query.promql, query.id
    assert substitute('rate(x{a=~"$key"}[$__rate_interval])') == 'rate(x{a=~".*"}[1m])'
    assert substitute('x{a=~"${team:regex}"}[$__range]') == 'x{a=~".*"}[1h]'


def test_query_ids_are_unique():
    ids = [query.id for query in ALL_QUERIES]
    assert len(set(ids)) == len(ids)


def test_every_metric_exists_in_litellm_1_106_12():
    samples = litellm_metrics()
    unknown = {
        (query.id, metric) for query in ALL_QUERIES for metric in metric_names(query.promql) if metric not in samples
    }
    assert not unknown


def test_every_label_exists_on_its_metric():
    samples = litellm_metrics()
    problems = []
    for query in ALL_QUERIES:
        for metric, matchers in SELECTOR.findall(query.promql):
            for label in MATCHER.findall(matchers):
                if label not in samples[metric]["labels"]:
                    problems.append((query.id, metric, label))
        for labels, metrics in grouped_metrics(query.promql):
            known = set().union(*(samples[m]["labels"] for m in metrics)) | TARGET_LABELS
            if any(m.endswith("_bucket") for m in metrics):
                known.add("le")
            problems.extend((query.id, "by/without", label) for label in labels if label not in known)
    assert not problems


def grouped_metrics(promql: str):
    """(labels, metrics inside the aggregated expression) for each `by (...)` / `without (...)`."""
    for match in GROUPING.finditer(promql):
        labels = [label.strip() for label in match.group(1).split(",") if label.strip()]
        depth, end = 1, match.end()
        while depth and end < len(promql):
            depth += {"(": 1, ")": -1}.get(promql[end], 0)
            end += 1
        yield labels, metric_names(promql[match.end() : end])


def test_gauges_are_aggregated_across_workers():
    samples = litellm_metrics()
    for query in QUERIES:
        for metric in metric_names(query.promql):
            if samples[metric]["type"] != "gauge":
                continue
            wrapped = re.search(
                r"\b(min|max|count)\s*(?:(?:by|without)\s*\([^)]*\)\s*)?\(\s*%s\b" % metric, query.promql
            )
            assert wrapped, "%s: gauge %s is not aggregated with min/max/count (pid label)" % (query.id, metric)


def test_no_limit_values_are_hidden():
    for query in QUERIES:
        for metric in UNLIMITED_GAUGES & metric_names(query.promql):
            assert re.search(r"<\s*1e15", query.promql), "%s: %s may be +Inf or 9.2e18" % (query.id, metric)


def test_expected_empty_list_names_existing_queries_with_a_reason():
    allowed = expected_empty()
    ids = {query.id for query in ALL_QUERIES}
    assert set(allowed) <= ids, sorted(set(allowed) - ids)
    assert all(isinstance(reason, str) and len(reason) > 20 for reason in allowed.values())
    # Request, token, latency and spend panels must never be excused.
    assert not [i for i in allowed if i.startswith(("llmops-proxy-overview/Request", "llmops-spend/Spend rate"))]


def promtool_command(rules_dir: Path) -> list[str] | None:
    """promtool from PROMTOOL, the PATH, or the Prometheus stand-in image; None when none is available."""
    explicit = os.environ.get("PROMTOOL") or shutil.which("promtool")
    if explicit:
        return [explicit, "check", "rules", str(rules_dir / "rules.yml")]
    docker = shutil.which("docker")
    if (
        docker
        and subprocess.run([docker, "image", "inspect", PROMETHEUS_IMAGE], capture_output=True, check=False).returncode
        == 0
    ):
        return [
            docker,
            "run",
            "--rm",
            "--network=none",
            "--entrypoint=/bin/promtool",
            "-v",
            "%s:/rules:ro" % rules_dir,
            PROMETHEUS_IMAGE,
            "check",
            "rules",
            "/rules/rules.yml",
        ]
    return None


def test_every_query_parses_with_promtool(tmp_path):
    rules = [
        {"record": "llmops:dashboard_query:%d" % index, "expr": query.promql} for index, query in enumerate(ALL_QUERIES)
    ]
    (tmp_path / "rules.yml").write_text(yaml.safe_dump({"groups": [{"name": "dashboards", "rules": rules}]}))
    command = promtool_command(tmp_path)
    if command is None:
        pytest.fail("promtool not found: set PROMTOOL, put it on PATH or build %s" % PROMETHEUS_IMAGE)
    tmp_path.chmod(0o755)
    (tmp_path / "rules.yml").chmod(0o644)
    result = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS: %d rules found" % len(rules) in result.stdout + result.stderr
