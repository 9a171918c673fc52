"""Every Prometheus query of the dashboards the collection ships, ready to run against a real Prometheus.

Use from Python (the Molecule verify step)::

    from queries import panel_queries, variable_queries, expected_empty, run_query

    for query in panel_queries() + variable_queries():
        samples = run_query("http://127.0.0.1:9090", query.promql)
        if not samples and query.id not in expected_empty():
            ...  # a panel that should show data shows none

or from a shell::

    python tests/dashboards/queries.py                    # list every query (id, then PromQL)
    python tests/dashboards/queries.py --json             # the same as JSON
    python tests/dashboards/queries.py --prometheus http://127.0.0.1:9090
                                                          # run them; exit 1 on unexpected empty results

Template variables are replaced by ``.*`` (what "All" means in the dashboards), ``$__rate_interval``
and ``$__interval`` by ``1m``, ``$__range`` by ``1h``: so each query asks "is there any data at all".
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
DASHBOARD_DIR = REPO / "roles" / "grafana" / "files" / "dashboards"
EXPECTED_EMPTY_FILE = HERE / "expected_empty.yml"

DEFAULT_BUILTINS = {
    "__rate_interval": "1m",
    "__interval": "1m",
    "__range": "1h",
    "__range_s": "3600",
    "__interval_ms": "60000",
}
VARIABLE = re.compile(r"\$\{([A-Za-z_]\w*)(?::\w+)?\}|\$([A-Za-z_]\w*)")
METRIC_NAME = re.compile(r"\b(litellm_[a-z0-9_]+)\b")
MATCHERS = re.compile(r"\{[^}]*\}")
GROUPING_LABELS = re.compile(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")
LABEL_VALUES = re.compile(r"^\s*label_values\(\s*(?:(?P<selector>.+?)\s*,\s*)?(?P<label>\w+)\s*\)\s*$")


@dataclass(frozen=True)
class Query:
    id: str  # "<dashboard uid>/<panel title>/<refId>": stable, readable, unique
    dashboard_uid: str
    dashboard_file: str
    panel_id: int
    panel_title: str
    panel_type: str
    ref_id: str
    expr: str  # as written in the dashboard
    promql: str  # with template variables substituted
    instant: bool


def dashboard_files(directory: Path | None = None) -> list[Path]:
    return sorted((directory or DASHBOARD_DIR).glob("*.json"))


def load_dashboard(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def iter_panels(panels: list) -> Iterator[dict]:
    """Every panel, including those inside collapsed rows."""
    for panel in panels or []:
        yield panel
        yield from iter_panels(panel.get("panels") or [])


def substitute(expr: str, builtins: dict | None = None, default: str = ".*") -> str:
    """Replace $var / ${var} / ${var:fmt}: Grafana built-ins by a fixed value, dashboard variables by ``default``."""
    values = dict(DEFAULT_BUILTINS, **(builtins or {}))

    def replace(match: re.Match) -> str:
        name = match.group(1) or match.group(2)
        return values.get(name, default if not name.startswith("__") else match.group(0))

    return VARIABLE.sub(replace, expr)


def panel_queries(directory: Path | None = None, builtins: dict | None = None) -> list[Query]:
    queries = []
    for path in dashboard_files(directory):
        dashboard = load_dashboard(path)
        for panel in iter_panels(dashboard.get("panels", [])):
            for target in panel.get("targets") or []:
                expr = target.get("expr")
                if not expr:
                    continue
                ref_id = target.get("refId", "A")
                queries.append(
                    Query(
                        id="%s/%s/%s" % (dashboard["uid"], panel.get("title", ""), ref_id),
                        dashboard_uid=dashboard["uid"],
                        dashboard_file=path.name,
                        panel_id=panel.get("id", 0),
                        panel_title=panel.get("title", ""),
                        panel_type=panel.get("type", ""),
                        ref_id=ref_id,
                        expr=expr,
                        promql=substitute(expr, builtins),
                        instant=bool(target.get("instant")),
                    )
                )
    return queries


def variable_queries(directory: Path | None = None) -> list[Query]:
    """Query variables as PromQL: label_values(selector, label) becomes count by (label) (selector)."""
    queries = []
    for path in dashboard_files(directory):
        dashboard = load_dashboard(path)
        for var in dashboard.get("templating", {}).get("list", []):
            if var.get("type") != "query":
                continue
            definition = var.get("definition") or (var.get("query") or {}).get("query", "")
            match = LABEL_VALUES.match(definition)
            if not match or not match.group("selector"):
                raise ValueError("%s: variable %s: unsupported query %r" % (path.name, var.get("name"), definition))
            promql = "count by (%s) (%s)" % (match.group("label"), substitute(match.group("selector")))
            queries.append(
                Query(
                    id="%s/$%s/variable" % (dashboard["uid"], var["name"]),
                    dashboard_uid=dashboard["uid"],
                    dashboard_file=path.name,
                    panel_id=0,
                    panel_title="variable $%s" % var["name"],
                    panel_type="variable",
                    ref_id="variable",
                    expr=definition,
                    promql=promql,
                    instant=True,
                )
            )
    return queries


def metric_names(promql: str) -> set[str]:
    """LiteLLM sample names a query reads (label matchers and grouping labels left out)."""
    return set(METRIC_NAME.findall(GROUPING_LABELS.sub(" ", MATCHERS.sub(" ", promql))))


def expected_empty(path: Path = EXPECTED_EMPTY_FILE) -> dict[str, str]:
    """Query id -> why it legitimately returns no data on the test stack (a DB-less proxy, no failures)."""
    return yaml.safe_load(path.read_text(encoding="utf-8")) or {}


def run_query(prometheus_url: str, promql: str, timeout: float = 10.0) -> list:
    """Instant query; returns the result list (empty when there is no data). Errors raise."""
    url = "%s/api/v1/query?%s" % (prometheus_url.rstrip("/"), urllib.parse.urlencode({"query": promql}))
    with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - the URL is the caller's Prometheus
        body = json.load(response)
    if body.get("status") != "success":
        raise RuntimeError("query failed: %s: %s" % (promql, body.get("error")))
    result = body["data"]["result"]
    return result if isinstance(result, list) else [result]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--json", action="store_true", help="print the queries as JSON")
    parser.add_argument(
        "--prometheus", help="run every query against this Prometheus (for example http://127.0.0.1:9090)"
    )
    parser.add_argument("--dashboards", type=Path, help="directory of dashboard JSON files (default: the role's)")
    args = parser.parse_args(argv)
    queries = panel_queries(args.dashboards) + variable_queries(args.dashboards)
    if args.json:
        print(json.dumps([asdict(query) for query in queries], indent=2))
        return 0
    if not args.prometheus:
        for query in queries:
            print("%s\n    %s" % (query.id, query.promql))
        return 0
    allowed = expected_empty()
    unexpected = 0
    for query in queries:
        samples = run_query(args.prometheus, query.promql)
        if samples:
            verdict = "data (%d series)" % len(samples)
        elif query.id in allowed:
            verdict = "empty, expected: %s" % allowed[query.id]
        else:
            verdict = "EMPTY"
            unexpected += 1
        print("%-70s %s" % (query.id, verdict))
    print("%d queries, %d unexpectedly empty" % (len(queries), unexpected))
    return 1 if unexpected else 0


if __name__ == "__main__":
    sys.exit(main())
