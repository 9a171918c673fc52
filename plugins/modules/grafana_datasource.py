#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, llmops maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: grafana_datasource
short_description: Keep a Grafana datasource (Prometheus and others) as declared
version_added: 0.1.0
description:
  - Creates, updates or deletes one Grafana datasource, identified by O(uid) when given, else by O(name).
  - Only the fields given are managed; the others keep what Grafana has. O(json_data), when
    given, is compared as a whole, so keys added in the UI are removed again.
  - Secrets (O(secure_json_data)) are write-only in Grafana and never read back, shown in a diff or
    returned; Grafana only reports which ones are set (C(secureJsonFields)).
author:
  - llmops maintainers (@llmops)
extends_documentation_fragment:
  - llmops.litellm.grafana.attributes
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.actiongroups
  - llmops.litellm.grafana
options:
  name:
    description:
      - Name of the datasource, unique in the organisation.
    type: str
    required: true
  uid:
    description:
      - Unique identifier (at most 40 letters, digits, C(-) or C(_)). Dashboards reference
        datasources by uid, so a fixed uid keeps them working across Grafana installs.
      - When a datasource with this O(name) exists under another uid, the module fails rather
        than change the uid dashboards may rely on.
    type: str
  type:
    description:
      - Plugin id of the datasource, for example C(prometheus), C(loki), C(alertmanager).
    type: str
    default: prometheus
  url:
    description:
      - URL Grafana uses to reach the datasource, for example C(http://llmops-prometheus:9090).
    type: str
  access:
    description:
      - V(proxy) makes Grafana's server query the datasource; V(direct) makes the browser do it.
    type: str
    choices: [proxy, direct]
    default: proxy
  is_default:
    description:
      - Make this the organisation's default datasource (Grafana unsets the previous default).
      - Omitted, whatever Grafana has is kept.
    type: bool
  basic_auth:
    description:
      - Use basic authentication towards the datasource; the password goes in O(secure_json_data)
        as C(basicAuthPassword).
    type: bool
  basic_auth_user:
    description:
      - User for basic authentication towards the datasource.
    type: str
  json_data:
    description:
      - Plugin settings (C(jsonData)), for Prometheus for example C(httpMethod), C(timeInterval),
        C(prometheusType), C(prometheusVersion).
    type: dict
  secure_json_data:
    description:
      - Write-only secrets (C(secureJsonData)), for example C(basicAuthPassword) or C(httpHeaderValue1).
      - Because Grafana never returns them, see O(update_secrets) for when they are sent.
    type: dict
  update_secrets:
    description:
      - V(on_create) sends a secret only when Grafana reports it as not set (new datasource or new key),
        so a second run is a no-op; a changed secret value then needs V(always) once.
      - V(always) sends every secret on every run, which always reports a change.
    type: str
    choices: [on_create, always]
    default: on_create
  state:
    description:
      - V(present) creates or updates the datasource; V(absent) deletes it.
    type: str
    choices: [present, absent]
    default: present
seealso:
  - module: llmops.litellm.grafana_dashboard
"""

EXAMPLES = r"""
- name: The stack's Prometheus, with a fixed uid the shipped dashboards reference
  llmops.litellm.grafana_datasource:
    grafana_url: http://127.0.0.1:3000
    grafana_user: admin
    grafana_password: "{{ grafana_admin_password }}"
    name: Prometheus (LLMOps)
    uid: llmops-prometheus
    type: prometheus
    url: http://llmops-prometheus:9090
    is_default: true
    json_data:
      httpMethod: POST
      timeInterval: 15s

- name: A Prometheus behind basic auth; the password is sent once
  llmops.litellm.grafana_datasource:
    name: Prometheus (remote)
    uid: prom-remote
    url: https://prometheus.example.com
    basic_auth: true
    basic_auth_user: grafana
    secure_json_data:
      basicAuthPassword: "{{ vault_prometheus_password }}"
  no_log: true
"""

RETURN = r"""
datasource:
  description: The datasource as Grafana returns it (secrets are never included, only C(secureJsonFields)).
  returned: when it exists after the task (not for a creation in check mode)
  type: dict
  sample: {"uid": "llmops-prometheus", "name": "Prometheus (LLMOps)", "type": "prometheus", "secureJsonFields": {}}
uid:
  description: Uid of the datasource.
  returned: when known
  type: str
  sample: llmops-prometheus
secrets_sent:
  description: Names (never values) of the secureJsonData keys sent, or that would be sent in check mode.
  returned: always
  type: list
  elements: str
  sample: [basicAuthPassword]
error:
  description: The failed request, its C(method) and C(url), HTTP C(status) and a C(body) excerpt without secrets.
  returned: when an API call failed (C(status) and C(body) when the server answered)
  type: dict
  sample: {method: GET, url: "http://127.0.0.1:3000/api/folders/llmops", status: 401}
"""

from ansible_collections.llmops.litellm.plugins.module_utils.grafana import (  # noqa: E402
    GrafanaClient,
    GrafanaError,
    GrafanaModule,
    datasource_desired,
    datasource_view,
    secrets_to_send,
    uid_problem,
)

# Fields a PUT must carry so that what the user does not manage is kept (PUT replaces the datasource).
KEPT_ON_UPDATE = (
    "name",
    "type",
    "access",
    "url",
    "user",
    "database",
    "basicAuth",
    "basicAuthUser",
    "withCredentials",
    "isDefault",
    "jsonData",
)


OPTIONS = {
    "name": {"type": "str", "required": True},
    "uid": {"type": "str"},
    "type": {"type": "str", "default": "prometheus"},
    "url": {"type": "str"},
    "access": {"type": "str", "default": "proxy", "choices": ["proxy", "direct"]},
    "is_default": {"type": "bool"},
    "basic_auth": {"type": "bool"},
    "basic_auth_user": {"type": "str"},
    "json_data": {"type": "dict"},
    "secure_json_data": {"type": "dict", "no_log": True},
    "update_secrets": {"type": "str", "default": "on_create", "choices": ["on_create", "always"], "no_log": False},
    "state": {"type": "str", "default": "present", "choices": ["present", "absent"]},
}


def find_current(client: GrafanaClient, uid: str | None, name: str) -> dict | None:
    if not uid:
        return client.get_datasource_by_name(name)
    current = client.get_datasource_by_uid(uid)
    if current is None:
        same_name = client.get_datasource_by_name(name)
        if same_name is not None:
            raise GrafanaError(
                "a datasource named %r already exists with uid %s, not %s; dashboards may reference that uid, "
                "so the module does not change it: delete it, rename it, or set uid: %s"
                % (name, same_name.get("uid"), uid, same_name.get("uid"))
            )
    return current


def differing_fields(desired: dict, current: dict) -> list:
    return sorted(key for key, value in desired.items() if current.get(key) != value)


def ensure_present(module, client: GrafanaClient) -> dict:
    params = module.params
    uid, name = params["uid"], params["name"]
    current = find_current(client, uid, name)
    desired = datasource_desired(params)
    if uid:
        desired["uid"] = uid
    secrets = secrets_to_send(params["secure_json_data"], current, params["update_secrets"])
    keys = sorted(desired)
    before = datasource_view(current, keys)
    after = dict(desired)
    stored = set((before or {}).get("secureJsonFields", []))
    after["secureJsonFields"] = sorted(stored | set(secrets))
    changed = current is None or bool(differing_fields(desired, current)) or bool(secrets)
    result = {"changed": changed, "uid": uid or (current or {}).get("uid"), "secrets_sent": sorted(secrets)}
    if not changed:
        result["datasource"] = current
        return result
    result["diff"] = {"before": before or {}, "after": after}
    if module.check_mode:
        return result
    if current is None:
        body = dict(desired, secureJsonData=secrets) if secrets else dict(desired)
        saved = client.create_datasource(body)
    else:
        body = {key: current.get(key) for key in KEPT_ON_UPDATE}
        body.update(desired, uid=current["uid"], version=current.get("version"))
        if secrets:
            body["secureJsonData"] = secrets
        saved = client.update_datasource(current["uid"], body)
    datasource = saved.get("datasource") or {}
    datasource.pop("secureJsonData", None)
    result.update(datasource=datasource, uid=datasource.get("uid", result["uid"]))
    return result


def ensure_absent(module, client: GrafanaClient) -> dict:
    params = module.params
    current = (
        client.get_datasource_by_uid(params["uid"]) if params["uid"] else client.get_datasource_by_name(params["name"])
    )
    result = {"changed": current is not None, "uid": (current or {}).get("uid", params["uid"]), "secrets_sent": []}
    if current is None:
        return result
    result["diff"] = {"before": datasource_view(current, ("uid", "name", "type", "url")), "after": {}}
    if not module.check_mode:
        client.delete_datasource(current["uid"])
    return result


def run(module):
    params = module.params
    if params["uid"]:
        problem = uid_problem(params["uid"])
        if problem:
            module.fail(problem)
    if not params["name"].strip():
        module.fail("name must not be empty")
    ensure = ensure_present if params["state"] == "present" else ensure_absent
    result = ensure(module, module.client)
    if result.get("uid") is None:
        # Not known yet (a creation in check mode, a missing datasource named only by name).
        result.pop("uid", None)
    return result


def main():
    GrafanaModule(OPTIONS, result={"secrets_sent": []}).execute(run)


if __name__ == "__main__":
    main()
