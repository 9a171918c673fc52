#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, llmops maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: grafana_dashboard
short_description: Keep a Grafana dashboard exactly as declared, identified by its uid
version_added: 0.1.0
description:
  - Imports, updates, deletes or exports one Grafana dashboard, identified by its O(uid) only (never
    by title).
  - The declared dashboard comes from a file (O(path)), a dict (O(dashboard)), a URL (O(url)) or
    grafana.com (O(grafana_com_id) and O(revision), downloaded once into O(cache_dir)).
  - Datasource placeholders are resolved on the client side before comparing; C(__inputs) /
    C(${DS_*}) placeholders and datasource template variables are mapped to the datasource uids
    given in O(inputs).
  - The module reads the dashboard once, compares the normalised JSON (without C(id), C(version),
    C(iteration) and the import-only keys C(__inputs), C(__requires), C(__elements); canonical key
    order) and the folder (by uid, separately), and writes only when one of them differs.
  - Updates carry the version that was read, so a change saved by someone else between the read
    and the write is refused by Grafana (HTTP 412 C(version-mismatch)) instead of being lost,
    unless O(overwrite=true).
author:
  - llmops maintainers (@llmops)
extends_documentation_fragment:
  - llmops.litellm.grafana.attributes
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.actiongroups
  - llmops.litellm.grafana
options:
  state:
    description:
      - V(present) creates or updates the dashboard.
      - V(absent) deletes it.
      - V(export) writes the dashboard stored in Grafana to O(path) as sorted JSON (without C(id),
        C(version) and C(iteration)); the file is rewritten only when its content differs.
    type: str
    choices: [present, absent, export]
    default: present
  uid:
    description:
      - Unique identifier of the dashboard (at most 40 letters, digits, C(-) or C(_)).
      - With V(present), defaults to the C(uid) in the declared JSON and replaces it when both are given.
      - Required with V(absent) and V(export).
    type: str
  path:
    description:
      - With V(present), a JSON file holding the dashboard, either bare or in the shape the API
        returns (an object with C(dashboard) and C(meta) keys).
      - With V(export), the file to write.
    type: path
  dashboard:
    description:
      - The dashboard model as a dict.
    type: dict
  url:
    description:
      - HTTP(S) URL of a dashboard JSON file, fetched on every run.
    type: str
  grafana_com_id:
    description:
      - Id of a dashboard published on grafana.com; requires O(revision).
      - The download is cached in O(cache_dir); later runs read the cache and work offline.
    type: int
  revision:
    description:
      - Revision of the grafana.com dashboard. Revisions never change, which is what makes the cache safe.
    type: int
  grafana_com_url:
    description:
      - Base URL of grafana.com (or of a mirror of its C(/api/dashboards) download endpoint).
    type: str
    default: https://grafana.com
  cache_dir:
    description:
      - Directory where grafana.com downloads are kept, one file per id and revision.
      - Written only outside check mode.
    type: path
    default: ~/.cache/llmops.litellm/grafana.com
  folder:
    description:
      - Title path of the folder to keep the dashboard in, for example C(LLMOps/LiteLLM) for a
        nested folder C(LiteLLM) inside C(LLMOps). Missing folders are created.
      - Mutually exclusive with O(folder_uid). Neither puts the dashboard at the root.
    type: str
  folder_uid:
    description:
      - Uid of an existing folder to keep the dashboard in; the module fails when it does not exist.
    type: str
  inputs:
    description:
      - Values for the placeholders of an exported dashboard, by name.
      - For each C(__inputs) entry of type C(datasource), the uid of the datasource to use; every
        C(${NAME}) is replaced, as the Grafana import UI does. C(constant) inputs take the value
        given here or their declared default.
      - For a datasource template variable of that name, its current value is set to the uid.
      - For any other name, its C(${NAME}) placeholders are replaced by the value.
      - A name that matches none of these fails, so a typo cannot go unnoticed.
    type: dict
    default: {}
    aliases: [datasource_inputs]
  overwrite:
    description:
      - Send C(overwrite=true) with updates, so a concurrent change is overwritten instead of failing.
      - Grafana then also takes over another dashboard with the same title in the same folder,
        keeping that dashboard's uid; leave it V(false) unless you know you need it.
    type: bool
    default: false
  commit_message:
    description:
      - Message recorded in the dashboard's version history on each write.
    type: str
    default: Saved by llmops.litellm.grafana_dashboard
notes:
  - Library panels (C(__elements)) are not imported; panels that reference them need the library
    panels to exist in Grafana already.
seealso:
  - module: llmops.litellm.grafana_folder
  - module: llmops.litellm.grafana_datasource
"""

EXAMPLES = r"""
- name: Import a dashboard shipped as a file, datasource placeholders mapped to our Prometheus
  llmops.litellm.grafana_dashboard:
    grafana_url: http://127.0.0.1:3000
    grafana_user: admin
    grafana_password: "{{ grafana_admin_password }}"
    path: files/dashboards/proxy-overview.json
    folder: LLMOps/LiteLLM
    inputs:
      DS_PROMETHEUS: llmops-prometheus

- name: Node Exporter Full from grafana.com, cached for offline runs
  llmops.litellm.grafana_dashboard:
    grafana_com_id: 1860
    revision: 37
    uid: node-exporter-full
    folder_uid: infra
    inputs:
      DS_PROMETHEUS: llmops-prometheus

- name: Export what is in Grafana to git
  llmops.litellm.grafana_dashboard:
    state: export
    uid: llmops-proxy-overview
    path: exported/proxy-overview.json

- name: Remove a dashboard
  llmops.litellm.grafana_dashboard:
    state: absent
    uid: old-dashboard

- name: Every Grafana module of the play with the same connection
  module_defaults:
    group/llmops.litellm.grafana:
      grafana_url: http://127.0.0.1:3000
      grafana_token: "{{ vault_grafana_token }}"
  block:
    - name: Import
      llmops.litellm.grafana_dashboard:
        path: files/dashboards/spend.json
"""

RETURN = r"""
uid:
  description: Uid of the dashboard.
  returned: always
  type: str
  sample: llmops-proxy-overview
version:
  description: Version of the dashboard in Grafana after the task (none in check mode before creation).
  returned: when the dashboard exists after the task
  type: int
  sample: 3
url:
  description: Path of the dashboard in the Grafana UI.
  returned: when the dashboard exists after the task
  type: str
  sample: /d/llmops-proxy-overview/litellm-proxy-overview
folder_uid:
  description: Uid of the folder holding the dashboard; empty at the root.
  returned: when the dashboard exists after the task
  type: str
  sample: f8a1c2d3
folders_created:
  description: Titles of the folders the task created (or would create in check mode).
  returned: with O(folder)
  type: list
  elements: str
  sample: [LLMOps, LiteLLM]
file:
  description:
    - File written by V(export) (the O(path) option).
    - Not named C(path), which would make Ansible add the file's owner, mode and size to the result,
      its C(uid) replacing the dashboard's.
  returned: with O(state=export)
  type: str
dashboard:
  description: The normalised dashboard written by V(export).
  returned: with O(state=export)
  type: dict
error:
  description: The failed request, its C(method) and C(url), HTTP C(status) and a C(body) excerpt without secrets.
  returned: when an API call failed (C(status) and C(body) when the server answered)
  type: dict
  sample: {method: GET, url: "http://127.0.0.1:3000/api/folders/llmops", status: 401}
"""

import os  # noqa: E402
import tempfile  # noqa: E402

from ansible.module_utils.common.text.converters import to_native, to_text  # noqa: E402
from ansible_collections.llmops.litellm.plugins.module_utils.grafana import (  # noqa: E402
    GrafanaAPIError,
    GrafanaClient,
    GrafanaError,
    GrafanaModule,
    canonical_json,
    dashboard_diff,
    download_text,
    normalize_dashboard,
    parse_dashboard_text,
    resolve_dashboard_inputs,
    resolve_folder_path,
    uid_problem,
    unresolved_datasource_references,
    unwrap_dashboard,
)

SOURCES = ("path", "dashboard", "url", "grafana_com_id")


OPTIONS = {
    "state": {"type": "str", "default": "present", "choices": ["present", "absent", "export"]},
    "uid": {"type": "str"},
    "path": {"type": "path"},
    "dashboard": {"type": "dict"},
    "url": {"type": "str"},
    "grafana_com_id": {"type": "int"},
    "revision": {"type": "int"},
    "grafana_com_url": {"type": "str", "default": "https://grafana.com"},
    "cache_dir": {"type": "path", "default": "~/.cache/llmops.litellm/grafana.com"},
    "folder": {"type": "str"},
    "folder_uid": {"type": "str"},
    "inputs": {"type": "dict", "default": {}, "aliases": ["datasource_inputs"]},
    "overwrite": {"type": "bool", "default": False},
    "commit_message": {"type": "str", "default": "Saved by llmops.litellm.grafana_dashboard"},
}


def read_text_file(path: str, what: str) -> str:
    try:
        with open(path, "rb") as handle:
            return to_text(handle.read(), errors="surrogate_or_strict")
    except (IOError, OSError) as exc:
        raise GrafanaError("cannot read %s %s: %s" % (what, path, to_native(exc))) from None


def download(module, url: str) -> str:
    return download_text(url, module.params["timeout"], module.params["validate_certs"])


def grafana_com_dashboard(module) -> dict:
    params = module.params
    gnet_id, revision = params["grafana_com_id"], params["revision"]
    cache_file = os.path.join(params["cache_dir"], str(gnet_id), "%d.json" % revision)
    if os.path.exists(cache_file):
        return parse_dashboard_text(read_text_file(cache_file, "cached grafana.com dashboard"), cache_file)
    url = "%s/api/dashboards/%d/revisions/%d/download" % (params["grafana_com_url"].rstrip("/"), gnet_id, revision)
    text = download(module, url)
    dashboard = parse_dashboard_text(text, url)
    if not module.check_mode:
        write_atomically(module, cache_file, text)
    return dashboard


def write_atomically(module, path: str, text: str) -> None:
    directory = os.path.dirname(path) or "."
    try:
        os.makedirs(directory, exist_ok=True)
        handle, tmp = tempfile.mkstemp(dir=directory, prefix=".grafana_dashboard.")
        with os.fdopen(handle, "wb") as out:
            out.write(text.encode("utf-8"))
    except (IOError, OSError) as exc:
        raise GrafanaError("cannot write %s: %s" % (path, to_native(exc))) from None
    module.ansible_module.atomic_move(tmp, path)


def declared_dashboard(module) -> dict:
    """The dashboard as declared, parsed and checked before any request is sent to Grafana."""
    params = module.params
    if params["path"]:
        dashboard = parse_dashboard_text(read_text_file(params["path"], "dashboard file"), params["path"])
    elif params["dashboard"] is not None:
        dashboard = unwrap_dashboard(params["dashboard"], "dashboard")
    elif params["url"]:
        dashboard = parse_dashboard_text(download(module, params["url"]), params["url"])
    else:
        dashboard = grafana_com_dashboard(module)
    dashboard = resolve_dashboard_inputs(dashboard, params["inputs"])
    if params["uid"]:
        dashboard["uid"] = params["uid"]
    problem = uid_problem(dashboard.get("uid"))
    if problem and not dashboard.get("uid"):
        problem += (
            ": a dashboard is identified by its uid only, never by its title; "
            'set the uid option or a "uid" in the dashboard JSON'
        )
    if problem:
        raise GrafanaError(problem)
    title = dashboard.get("title")
    if not isinstance(title, str) or not title.strip():
        raise GrafanaError("the dashboard %s has no title; Grafana refuses an empty title" % dashboard["uid"])
    unresolved = unresolved_datasource_references(dashboard)
    if unresolved:
        raise GrafanaError(
            "the dashboard %s references datasource variables it does not define: %s; map them with inputs"
            % (dashboard["uid"], ", ".join(unresolved[:5]))
        )
    return normalize_dashboard(dashboard)


def target_folder(module, client: GrafanaClient) -> tuple:
    """(folder uid or None when it is still to be created, titles created)."""
    params = module.params
    if params["folder_uid"]:
        if client.get_folder(params["folder_uid"]) is not None:
            return params["folder_uid"], []
        if not module.check_mode:
            raise GrafanaError(
                "folder_uid %s does not exist in Grafana; create it with llmops.litellm.grafana_folder "
                "or give a title path in folder" % params["folder_uid"]
            )
        module.warn(
            "folder_uid %s does not exist yet; an earlier task in check mode may create it" % params["folder_uid"]
        )
        return None, []
    if params["folder"]:
        return resolve_folder_path(client, params["folder"], create=not module.check_mode)
    return "", []


def ensure_present(module, client: GrafanaClient) -> dict:
    desired = declared_dashboard(module)
    uid = desired["uid"]
    current = client.get_dashboard(uid)
    folder_uid, created = target_folder(module, client)
    result = {"uid": uid, "changed": bool(created)}
    if module.params["folder"]:
        result["folders_created"] = created
    before = None
    current_folder = None
    if current is not None:
        before = normalize_dashboard(current["dashboard"])
        current_folder = current["meta"].get("folderUid") or ""
        result.update(version=current["meta"].get("version"), url=current["meta"].get("url"), folder_uid=current_folder)
    if before == desired and current_folder == folder_uid:
        return result
    result["changed"] = True
    result["diff"] = dashboard_diff(
        None if current is None else {"dashboard": before, "folderUid": current_folder},
        {"dashboard": desired, "folderUid": folder_uid if folder_uid is not None else "(created by this task)"},
        uid,
    )
    if module.check_mode:
        return result
    payload = dict(desired, id=None)
    if current is not None:
        payload["version"] = current["meta"].get("version", current["dashboard"].get("version"))
    saved = save(client, payload, folder_uid, module.params)
    result.update(version=saved.get("version"), url=saved.get("url"), folder_uid=folder_uid)
    return result


def save(client: GrafanaClient, payload: dict, folder_uid: str, params: dict) -> dict:
    try:
        return client.save_dashboard(payload, folder_uid, params["overwrite"], params["commit_message"])
    except GrafanaAPIError as exc:
        if exc.grafana_status == "name-exists":
            raise GrafanaError(
                "%s. Another dashboard titled %r already exists in that folder under a different uid: "
                "rename one of them or delete the other (overwrite=true would make Grafana replace it)"
                % (exc, payload["title"])
            ) from None
        if exc.grafana_status == "version-mismatch":
            raise GrafanaError(
                "%s. It was saved by someone else while this task ran; run the task again" % exc
            ) from None
        raise


def ensure_absent(module, client: GrafanaClient) -> dict:
    uid = module.params["uid"]
    current = client.get_dashboard(uid)
    result = {"uid": uid, "changed": current is not None}
    if current is None:
        return result
    result["diff"] = dashboard_diff({"dashboard": normalize_dashboard(current["dashboard"])}, None, uid)
    if not module.check_mode:
        client.delete_dashboard(uid)
    return result


def export(module, client: GrafanaClient) -> dict:
    uid, path = module.params["uid"], module.params["path"]
    current = client.get_dashboard(uid)
    if current is None:
        raise GrafanaError("cannot export dashboard %s: it does not exist in Grafana at %s" % (uid, client.base_url))
    dashboard = normalize_dashboard(current["dashboard"])
    text = canonical_json(dashboard)
    on_disk = read_text_file(path, "export file") if os.path.exists(path) else None
    result = {
        "uid": uid,
        "file": path,
        "dashboard": dashboard,
        "version": current["meta"].get("version"),
        "url": current["meta"].get("url"),
        "folder_uid": current["meta"].get("folderUid") or "",
        "changed": on_disk != text,
    }
    if result["changed"]:
        result["diff"] = {"before": on_disk or "", "after": text, "before_header": path, "after_header": path}
        if not module.check_mode:
            write_atomically(module, path, text)
    return result


def run(module):
    params = module.params
    if params["state"] == "present" and not any(params[source] is not None for source in SOURCES):
        module.fail("state=present needs one of %s" % ", ".join(SOURCES))
    if params["state"] in ("absent", "export"):
        problem = uid_problem(params["uid"])
        if problem:
            module.fail("state=%s: %s" % (params["state"], problem))
    if params["state"] == "export" and not params["path"]:
        module.fail("state=export needs path, the file to write")
    actions = {"present": ensure_present, "absent": ensure_absent, "export": export}
    return actions[params["state"]](module, module.client)


def main():
    GrafanaModule(
        OPTIONS,
        mutually_exclusive=[SOURCES, ("folder", "folder_uid")],
        required_together=[("grafana_com_id", "revision")],
    ).execute(run)


if __name__ == "__main__":
    main()
