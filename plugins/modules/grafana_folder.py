#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, llmops maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: grafana_folder
short_description: Keep a Grafana folder (title and place in the folder tree) as declared
version_added: 0.1.0
description:
  - Creates, renames, moves or deletes one Grafana folder, identified by its O(uid).
  - Nested folders (Grafana 11 and later) are supported through O(parent_uid).
  - One read, then a write only for what differs (title, parent); a second run makes no write.
author:
  - llmops maintainers (@llmops)
extends_documentation_fragment:
  - llmops.litellm.grafana.attributes
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.actiongroups
  - llmops.litellm.grafana
options:
  uid:
    description:
      - Unique identifier of the folder (at most 40 letters, digits, C(-) or C(_)).
    type: str
    required: true
  title:
    description:
      - Title of the folder. Required with O(state=present).
    type: str
  parent_uid:
    description:
      - Uid of the parent folder. Omitted or empty, the folder lives at the root.
      - An existing folder whose parent differs is moved.
    type: str
    default: ""
  state:
    description:
      - V(present) creates, renames or moves the folder; V(absent) deletes it.
    type: str
    choices: [present, absent]
    default: present
  force:
    description:
      - With O(state=absent), delete the folder even when it holds dashboards or subfolders;
        Grafana deletes them with it.
      - Without it, deleting a folder that is not empty fails and deletes nothing.
    type: bool
    default: false
seealso:
  - module: llmops.litellm.grafana_dashboard
"""

EXAMPLES = r"""
- name: A folder for the stack's dashboards, with a nested one
  llmops.litellm.grafana_folder:
    grafana_url: http://127.0.0.1:3000
    grafana_token: "{{ vault_grafana_token }}"
    uid: "{{ item.uid }}"
    title: "{{ item.title }}"
    parent_uid: "{{ item.parent | default('') }}"
  loop:
    - {uid: llmops, title: LLMOps}
    - {uid: llmops-litellm, title: LiteLLM, parent: llmops}

- name: Remove a folder only if it is empty
  llmops.litellm.grafana_folder:
    uid: old-folder
    state: absent
"""

RETURN = r"""
folder:
  description: The folder as Grafana returns it after the task.
  returned: when the folder exists after the task, outside check mode
  type: dict
  sample: {"uid": "llmops-litellm", "title": "LiteLLM", "parentUid": "llmops", "version": 2}
uid:
  description: Uid of the folder.
  returned: always
  type: str
  sample: llmops-litellm
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
    uid_problem,
)

OPTIONS = {
    "uid": {"type": "str", "required": True},
    "title": {"type": "str"},
    "parent_uid": {"type": "str", "default": ""},
    "state": {"type": "str", "default": "present", "choices": ["present", "absent"]},
    "force": {"type": "bool", "default": False},
}


def folder_view(folder: dict | None) -> dict:
    if folder is None:
        return {}
    return {"uid": folder["uid"], "title": folder.get("title"), "parentUid": folder.get("parentUid") or ""}


def ensure_present(module, client: GrafanaClient) -> dict:
    params = module.params
    uid, title, parent_uid = params["uid"], params["title"], params["parent_uid"] or ""
    if parent_uid and parent_uid == uid:
        raise GrafanaError("parent_uid %s is the folder itself" % uid)
    if parent_uid and client.get_folder(parent_uid) is None:
        if not module.check_mode:
            raise GrafanaError("parent_uid %s does not exist in Grafana" % parent_uid)
        module.warn("parent_uid %s does not exist yet; an earlier task in check mode may create it" % parent_uid)
    current = client.get_folder(uid)
    desired = {"uid": uid, "title": title, "parentUid": parent_uid}
    before = folder_view(current)
    result = {"uid": uid, "changed": before != desired, "diff": {"before": before, "after": desired}}
    if not result["changed"]:
        result["folder"] = current
        return result
    if module.check_mode:
        return result
    if current is None:
        result["folder"] = client.create_folder(title=title, uid=uid, parent_uid=parent_uid or None)
        return result
    folder = current
    if before["title"] != title:
        folder = client.update_folder(uid, title, current.get("version", 0))
    if before["parentUid"] != parent_uid:
        folder = client.move_folder(uid, parent_uid or None)
    result["folder"] = folder
    return result


def folder_contents(client: GrafanaClient, uid: str) -> list:
    dashboards = client.search(type="dash-db", folderUIDs=uid)
    subfolders = client.list_folders(uid)
    return ["dashboard %s" % hit.get("uid") for hit in dashboards] + [
        "folder %s" % sub.get("uid") for sub in subfolders
    ]


def ensure_absent(module, client: GrafanaClient) -> dict:
    uid = module.params["uid"]
    current = client.get_folder(uid)
    result = {"uid": uid, "changed": current is not None, "diff": {"before": folder_view(current), "after": {}}}
    if current is None:
        return result
    if not module.params["force"]:
        contents = folder_contents(client, uid)
        if contents:
            raise GrafanaError(
                "folder %s is not empty (%s); Grafana would delete all of it: set force=true to do so"
                % (uid, ", ".join(contents[:10]))
            )
    if not module.check_mode:
        client.delete_folder(uid)
    return result


def run(module):
    params = module.params
    module.result["uid"] = params["uid"]
    for field in ("uid", "parent_uid"):
        problem = uid_problem(params[field], field) if params[field] else None
        if problem:
            module.fail(problem)
    if params["state"] == "present":
        if not params["title"].strip():
            module.fail("title must not be empty")
        return ensure_present(module, module.client)
    return ensure_absent(module, module.client)


def main():
    GrafanaModule(OPTIONS, required_if=[("state", "present", ("title",))]).execute(run)


if __name__ == "__main__":
    main()
