#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, llmops maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: litellm_team_info
short_description: Read LiteLLM teams
version_added: 0.1.0
description:
  - Returns one team by id or alias, or every team, from the paginated C(/v2/team/list) (every
    page is read). Unlike C(/team/list), which silently leaves out a team that fails LiteLLM's own
    validation, that listing fails (HTTP 500), and so does the task.
author:
  - llmops maintainers (@llmops)
extends_documentation_fragment:
  - llmops.litellm.litellm.info_attributes
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.actiongroups
  - llmops.litellm.litellm
options:
  team_id:
    description: Return only this team.
    type: str
  team_alias:
    description: Return only the teams with this alias (LiteLLM allows several).
    type: str
seealso:
  - module: llmops.litellm.litellm_team
"""

EXAMPLES = r"""
- name: All teams
  llmops.litellm.litellm_team_info: {}
  register: teams

- name: One team
  llmops.litellm.litellm_team_info:
    team_alias: support
  register: support_team
"""

RETURN = r"""
teams:
  description: Matching teams, sorted by alias.
  returned: always
  type: list
  elements: dict
  sample:
    - team_id: 5d2f0b8e-6a2c-4f7e-9f61-2b8a4d3c1e90
      team_alias: support
      models: [gpt-4o-mini]
      max_budget: 500.0
      spend: 12.5
      blocked: false
      members: [{user_id: alice, role: admin}]
      managed: true
error:
  description: The failed request, its C(method) and C(url), HTTP C(status) and a C(body) excerpt without secrets.
  returned: when an API call failed (C(status) and C(body) when the server answered)
  type: dict
  sample: {method: GET, url: "http://127.0.0.1:4000/v2/team/list?page=1&page_size=100", status: 401}
"""

from ansible_collections.llmops.litellm.plugins.module_utils.litellm.module import LiteLLMModule  # noqa: E402
from ansible_collections.llmops.litellm.plugins.module_utils.litellm.teams import public_team  # noqa: E402


def run(module):
    params = module.params
    if params["team_id"]:
        records = module.client.find_teams(team_id=params["team_id"])
    elif params["team_alias"]:
        records = module.client.find_teams(team_alias=params["team_alias"])
    else:
        records = module.client.list_teams()
    if params["team_alias"]:
        records = [record for record in records if record.get("team_alias") == params["team_alias"]]
    records.sort(key=lambda record: (record.get("team_alias") or "", record.get("team_id") or ""))
    return {"changed": False, "teams": [public_team(record) for record in records]}


def main():
    options = {"team_id": {"type": "str"}, "team_alias": {"type": "str"}}
    LiteLLMModule(options, result={"teams": []}).execute(run)


if __name__ == "__main__":
    main()
