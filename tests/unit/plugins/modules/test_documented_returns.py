"""Every module's RETURN documentation against the results the modules really return.

Each module runs in-process, against the LiteLLM or Grafana simulator, through scenarios that
between them reach every documented return value (creation, update, no-op, check mode,
deletion, export, a failed API call). Then, for every module:

- each key RETURN documents appears in at least one result, with the documented type (and the
  documented ``elements`` and ``contains`` types);
- each key documented as ``returned: always`` is in every successful result;
- no result carries a top-level key RETURN does not document, besides what Ansible itself
  adds to every result (changed, failed, diff, invocation, msg, warnings, deprecations).
"""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import pytest
import yaml
from ansible.module_utils.testing import patch_module_args
from ansible_collections.llmops.litellm.plugins.modules import (
    grafana_dashboard,
    grafana_datasource,
    grafana_folder,
    litellm_budget,
    litellm_budget_info,
    litellm_key,
    litellm_key_info,
    litellm_keys,
    litellm_team,
    litellm_team_info,
)
from grafana_sim import GrafanaSimulator
from litellm_sim.testing import api

MODULES = {
    module.__name__.rsplit(".", 1)[1]: module
    for module in (
        litellm_key,
        litellm_keys,
        litellm_key_info,
        litellm_team,
        litellm_team_info,
        litellm_budget,
        litellm_budget_info,
        grafana_dashboard,
        grafana_folder,
        grafana_datasource,
    )
}
# Keys AnsibleModule and the executor put in results of any module (Ansible's common return values).
ANSIBLE_KEYS = {"changed", "failed", "diff", "invocation", "msg", "warnings", "deprecations"}
TYPES = {"str": str, "path": str, "int": int, "float": (int, float), "bool": bool, "list": list, "dict": dict}
MASTER_KEY = "sk-unit-returns-master-01"
PANELS = [{"id": 1, "type": "stat", "title": "Requests", "targets": [{"refId": "A", "expr": "up"}]}]


def invoke(module, check_mode=False, **args) -> dict:
    """main() of a module, in-process; its JSON result (failures included)."""
    args["_ansible_check_mode"] = check_mode
    args["_ansible_diff"] = True
    out = io.StringIO()
    with patch_module_args(args), contextlib.redirect_stdout(out), pytest.raises(SystemExit):
        module.main()
    return json.loads(out.getvalue())


def litellm_results() -> dict:
    from litellm_sim import start  # noqa: PLC0415 - importing litellm is slow, only tests that need it pay

    server, _thread = start(MASTER_KEY)
    results: dict = {}

    def run(module_name, /, check_mode=False, **args):
        args.setdefault("api_base", server.url)
        args.setdefault("master_key", MASTER_KEY)
        results.setdefault(module_name, []).append(invoke(MODULES[module_name], check_mode, **args))

    try:
        api(server.url, None, "POST", "/_sim/reset", {})
        team = {"team_alias": "ret-team", "models": ["gpt-4o"], "max_budget": 5, "members": [{"user_id": "u1"}]}
        run("litellm_team", check_mode=True, **team)
        run("litellm_team", **team)
        run("litellm_team", **{**team, "max_budget": 6, "members": [{"user_id": "u1"}, {"user_id": "u2"}]})
        run("litellm_team", **team, check_mode=True)
        run("litellm_team_info")
        run("litellm_team_info", team_alias="ret-team")
        budget = {"budget_id": "ret-budget", "max_budget": 5, "budget_duration": "30d"}
        run("litellm_budget", check_mode=True, **budget)
        run("litellm_budget", **budget)
        run("litellm_budget", **{**budget, "max_budget": 7})
        run("litellm_budget_info")
        run("litellm_budget_info", budget_id="ret-budget")
        key = {"key_alias": "ret-key", "models": ["gpt-4o"], "team": "ret-team", "max_budget": 2, "owner": "ret"}
        run("litellm_key", check_mode=True, **key)
        run("litellm_key", **key)
        run("litellm_key", **{**key, "state": "blocked"})
        run("litellm_key", **key)
        run("litellm_key_info")
        run("litellm_key_info", team="ret-team", managed_only=True)
        bulk = [{"key_alias": "ret-bulk-1"}, {"key_alias": "ret-bulk-2", "state": "blocked"}]
        run("litellm_keys", check_mode=True, keys=bulk, key_defaults={"models": ["gpt-4o"]})
        run("litellm_keys", keys=bulk, key_defaults={"models": ["gpt-4o"]})
        run("litellm_keys", keys=[dict(bulk[0], max_budget=3)], exclusive=True, exclusive_action="delete")
        run("litellm_keys", keys=[{"key_alias": "ret-bulk-1", "state": "absent"}])
        run("litellm_key", key_alias="ret-key", state="absent")
        run("litellm_team", team_alias="ret-team", state="absent", force=True)
        run("litellm_budget", budget_id="ret-budget", state="absent")
        # A failed API call: the credential is refused.
        for name, args in (
            ("litellm_key", {"key_alias": "x"}),
            ("litellm_keys", {"keys": [{"key_alias": "x"}]}),
            ("litellm_key_info", {}),
            ("litellm_team", {"team_alias": "x"}),
            ("litellm_team_info", {}),
            ("litellm_budget", {"budget_id": "x"}),
            ("litellm_budget_info", {}),
        ):
            run(name, master_key="sk-not-the-master-key-01", **args)
    finally:
        server.shutdown()
    return results


def grafana_results(tmp: Path) -> dict:
    results: dict = {}
    with GrafanaSimulator(users={"admin": "pw"}) as sim:

        def run(module_name, /, check_mode=False, **args):
            args.setdefault("grafana_url", sim.url)
            args.setdefault("grafana_user", "admin")
            args.setdefault("grafana_password", "pw")
            results.setdefault(module_name, []).append(invoke(MODULES[module_name], check_mode, **args))

        run("grafana_folder", check_mode=True, uid="ret-folder", title="Returns")
        run("grafana_folder", uid="ret-folder", title="Returns")
        run("grafana_folder", uid="ret-folder", title="Returns renamed")
        dashboard = {"dashboard": {"uid": "ret-dash", "title": "Returns", "panels": PANELS}}
        run("grafana_dashboard", check_mode=True, folder="Team/Returns", **dashboard)
        run("grafana_dashboard", folder="Team/Returns", **dashboard)
        run("grafana_dashboard", folder_uid="ret-folder", **dashboard)
        run("grafana_dashboard", state="export", uid="ret-dash", path=str(tmp / "ret-dash.json"))
        run("grafana_dashboard", state="absent", uid="ret-dash")
        source = {"name": "Prom", "url": "http://prom:9090", "secure_json_data": {"httpHeaderValue1": "s3cret"}}
        run("grafana_datasource", check_mode=True, **source)
        run("grafana_datasource", uid="ret-prom", **source)
        run("grafana_datasource", uid="ret-prom", **{**source, "url": "http://prom:9091"})
        run("grafana_datasource", uid="ret-prom", name="Prom", state="absent")
        run("grafana_folder", uid="ret-folder", state="absent")
        # A failed API call: the password is refused.
        for name, args in (
            ("grafana_folder", {"uid": "x", "title": "X"}),
            ("grafana_dashboard", {"state": "absent", "uid": "x"}),
            ("grafana_datasource", {"name": "X"}),
        ):
            run(name, grafana_password="wrong", **args)
    return results


@pytest.fixture(scope="module")
def results(tmp_path_factory) -> dict:
    collected = litellm_results()
    collected.update(grafana_results(tmp_path_factory.mktemp("returns")))
    return collected


def type_problems(value, doc: dict, where: str) -> list[str]:
    kind = doc.get("type", "str")
    if kind in ("raw", "complex"):
        return []
    expected = TYPES[kind]
    if isinstance(value, bool) and kind in ("int", "float"):
        return [f"{where}: {value!r} is a bool, documented as {kind}"]
    if not isinstance(value, expected):
        return [f"{where}: {value!r} is a {type(value).__name__}, documented as {kind}"]
    if kind == "list" and doc.get("elements"):
        element_doc = {"type": doc["elements"], "contains": doc.get("contains", {})}
        return [p for index, item in enumerate(value) for p in type_problems(item, element_doc, f"{where}[{index}]")]
    if kind == "dict":
        return [
            problem
            for name, sub_doc in (doc.get("contains") or {}).items()
            if value.get(name) is not None
            for problem in type_problems(value[name], sub_doc, f"{where}.{name}")
        ]
    return []


def observed_contained(values: list, doc: dict, where: str) -> list[str]:
    """Documented ``contains`` keys never seen with a value in any observed value."""
    missing = []
    items = [item for value in values for item in (value if isinstance(value, list) else [value])]
    items = [item for item in items if isinstance(item, dict)]
    for name, sub_doc in (doc.get("contains") or {}).items():
        seen = [item[name] for item in items if item.get(name) is not None]
        if not seen:
            missing.append(f"{where}.{name}")
        missing.extend(observed_contained(seen, sub_doc, f"{where}.{name}"))
    return missing


@pytest.mark.parametrize("name", sorted(MODULES))
def test_every_documented_return_value_is_returned_with_its_type(results, name):
    documented = yaml.safe_load(MODULES[name].RETURN)
    returned = results[name]
    assert any(not result.get("failed") for result in returned), f"{name}: no successful result to check"
    assert any(result.get("failed") for result in returned), f"{name}: no failed result to check"
    problems = []
    for key, doc in documented.items():
        values = [result[key] for result in returned if key in result]
        if not values:
            problems.append(f"{key}: documented, never returned")
            continue
        for value in values:
            if value is None:
                problems.append(f"{key}: returned as null, documented as {doc.get('type', 'str')}")
            else:
                problems.extend(type_problems(value, doc, key))
        problems.extend(f"{missing}: documented, never returned" for missing in observed_contained(values, doc, key))
    assert problems == [], "\n".join([name, *problems])


@pytest.mark.parametrize("name", sorted(MODULES))
def test_always_returned_keys_are_in_every_successful_result(results, name):
    documented = yaml.safe_load(MODULES[name].RETURN)
    always = {key for key, doc in documented.items() if doc.get("returned") == "always"}
    for result in results[name]:
        if not result.get("failed"):
            assert always <= set(result), (name, sorted(always - set(result)), result.get("invocation"))


@pytest.mark.parametrize("name", sorted(MODULES))
def test_no_undocumented_key_is_returned(results, name):
    documented = set(yaml.safe_load(MODULES[name].RETURN))
    extra = {key for result in results[name] for key in result} - documented - ANSIBLE_KEYS
    assert extra == set(), f"{name} returns undocumented keys: {sorted(extra)}"


@pytest.mark.parametrize("name", sorted(MODULES))
def test_a_failed_api_call_has_the_one_failure_shape(results, name):
    failures = [result for result in results[name] if result.get("failed") and "error" in result]
    assert failures, f"{name}: no failed API call among its results"
    for result in failures:
        error = result["error"]
        assert set(error) <= {"method", "url", "status", "body"}
        assert error["status"] == 401
        assert error["url"] in result["msg"] and "HTTP 401" in result["msg"]
        assert "sk-not-the-master-key-01" not in json.dumps(result)
