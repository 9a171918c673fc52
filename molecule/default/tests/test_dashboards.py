"""Every panel query of every shipped dashboard returns data from the real Prometheus after real
traffic, or is listed in tests/dashboards/expected_empty.yml with the reason it has none here."""

import sys

import pytest
from conftest import ROOT

sys.path.insert(0, str(ROOT / "tests" / "dashboards"))
from queries import expected_empty, panel_queries, run_query, variable_queries  # noqa: E402

QUERIES = panel_queries() + variable_queries()


@pytest.mark.parametrize("query", QUERIES, ids=[q.id for q in QUERIES])
def test_query_returns_data_or_is_known_empty(stack, query):
    samples = run_query(stack.prometheus_url, query.promql)
    if query.id in expected_empty():
        return
    assert samples, f"{query.id} returned no data:\n{query.promql}"


def test_known_empty_list_names_real_queries():
    ids = {q.id for q in QUERIES}
    assert set(expected_empty()) <= ids, sorted(set(expected_empty()) - ids)
