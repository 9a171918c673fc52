#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, llmops maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: litellm_key_info
short_description: Read LiteLLM virtual keys
version_added: 0.1.0
description:
  - Returns one key by alias, or every key matching the filters, read with the paginated
    C(/key/list) endpoint. Secret key values are never part of a LiteLLM record, so none is
    returned; keys are identified by their token hash.
author:
  - llmops maintainers (@llmops)
extends_documentation_fragment:
  - llmops.litellm.litellm.info_attributes
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.actiongroups
  - llmops.litellm.litellm
options:
  key_alias:
    description: Return only the key with this alias.
    type: str
  team:
    description: Return only the keys of this team (C(team_id) or C(team_alias)).
    type: str
  user_id:
    description: Return only the keys of this user.
    type: str
  managed_only:
    description: Return only the keys created by this collection.
    type: bool
    default: false
seealso:
  - module: llmops.litellm.litellm_key
  - module: llmops.litellm.litellm_keys
"""

EXAMPLES = r"""
- name: Every key of the support team
  llmops.litellm.litellm_key_info:
    team: support
  register: support_keys

- name: Keys that were not created from git
  llmops.litellm.litellm_key_info: {}
  register: all_keys

- name: Show them
  ansible.builtin.debug:
    msg: "{{ all_keys.keys | rejectattr('managed') | map(attribute='key_alias') | list }}"
"""

RETURN = r"""
keys:
  description: Matching keys, newest first.
  returned: always
  type: list
  elements: dict
  sample:
    - token: 0c4c8c7b3f0b8f2b6f0c5e6d4b0b4c3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b7c
      key_alias: support-bot
      key_name: sk-...Xq3w
      team_id: 5d2f0b8e-6a2c-4f7e-9f61-2b8a4d3c1e90
      models: [gpt-4o-mini]
      max_budget: 50.0
      spend: 3.2
      blocked: false
      managed: true
      owner: support-platform
error:
  description: The failed request, its C(method) and C(url), HTTP C(status) and a C(body) excerpt without secrets.
  returned: when an API call failed (C(status) and C(body) when the server answered)
  type: dict
  sample: {method: GET, url: "http://127.0.0.1:4000/key/list", status: 401}
"""

from ansible_collections.llmops.litellm.plugins.module_utils.litellm.keys import public_key  # noqa: E402
from ansible_collections.llmops.litellm.plugins.module_utils.litellm.lookups import TeamDirectory  # noqa: E402
from ansible_collections.llmops.litellm.plugins.module_utils.litellm.module import LiteLLMModule  # noqa: E402

OPTIONS = {
    "key_alias": {"type": "str", "no_log": False},
    "team": {"type": "str"},
    "user_id": {"type": "str"},
    "managed_only": {"type": "bool", "default": False},
}


def run(module):
    params = module.params
    filters = {"key_alias": params["key_alias"], "user_id": params["user_id"]}
    if params["team"]:
        team_id, error = TeamDirectory(module.client).resolve(params["team"])
        if error:
            module.fail("team: " + error)
        filters["team_id"] = team_id
    keys = [public_key(record) for record in module.client.iter_keys(**filters)]
    if params["managed_only"]:
        keys = [key for key in keys if key["managed"]]
    return {"changed": False, "keys": keys}


def main():
    LiteLLMModule(OPTIONS, result={"keys": []}).execute(run)


if __name__ == "__main__":
    main()
