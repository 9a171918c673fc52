#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, llmops maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: litellm_team
short_description: Manage a LiteLLM team, its limits and its members
version_added: 0.1.0
description:
  - Creates, updates or deletes a LiteLLM team, with its allowed models, budgets, rate limits, blocked
    flag, metadata and members with their roles.
  - The team is identified by O(team_id) when given, else by O(team_alias). LiteLLM does not
    enforce unique team aliases, so an alias shared by several teams is refused.
  - The team is looked up with one filtered C(/v2/team/list) query. When LiteLLM cannot list a
    stored team (it answers HTTP 500 for a team that fails its own validation, where C(/team/list)
    silently leaves it out) the task fails and writes nothing, rather than create a duplicate.
  - Only the options you set are compared; spend, reset times and the limits LiteLLM folds into
    metadata never cause a change.
author:
  - llmops maintainers (@llmops)
extends_documentation_fragment:
  - llmops.litellm.litellm.attributes
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.actiongroups
  - llmops.litellm.litellm
options:
  team_alias:
    description:
      - Human name of the team. The identity when O(team_id) is not given; with O(team_id), the
        alias is managed like any other field.
    type: str
  team_id:
    description:
      - Team id. Used as the identity when given, and as the id of a new team.
    type: str
  state:
    description:
      - V(present) or V(absent).
      - Deleting a team deletes all of its keys in LiteLLM; the module refuses to delete a team
        that still has keys unless O(force=true).
    type: str
    choices: [present, absent]
    default: present
  force:
    description:
      - With O(state=absent), delete the team even if it still has keys (LiteLLM deletes them too).
    type: bool
    default: false
  models:
    description:
      - Models the team's keys may call; empty means all models. Compared as a set.
    type: list
    elements: str
  max_budget:
    description: Team budget in USD.
    type: float
  soft_budget:
    description: Alerting budget in USD; LiteLLM requires it to be lower than O(max_budget).
    type: float
  budget_duration:
    description:
      - Budget reset period, for example V(30d), V(1h), V(30m), V(10s), V(1mo).
      - Checked as LiteLLM checks it. A number and a unit (V(s), V(m), V(h), V(d), V(w) or V(mo)), or one of
        V(hourly), V(daily), V(weekly), V(monthly). Refused, as LiteLLM refuses them, are a period of 0, V(Nmo)
        with N other than 1 and a first reset after the year 9999. A value LiteLLM accepts but cannot schedule
        (V(30days), V(1month)) resets every day at midnight, and the module warns.
    type: str
  rpm_limit:
    description:
      - Requests per minute for the whole team.
      - At most 9223372036854775807 (LiteLLM stores it in a PostgreSQL bigint).
    type: int
  tpm_limit:
    description:
      - Tokens per minute for the whole team.
      - At most 9223372036854775807 (LiteLLM stores it in a PostgreSQL bigint).
    type: int
  blocked:
    description: Block (V(true)) or unblock (V(false)) every request of the team.
    type: bool
  metadata:
    description:
      - Free-form metadata. The keys you declare are compared and written; a key you declared
        before and no longer declare is removed; keys another tool or person added, and the keys
        LiteLLM writes itself, are kept and never cause a change.
      - The declared keys are recorded in the metadata key C(llmops_metadata_keys), which (like
        C(llmops_managed_by)) you cannot declare. The first run that declares metadata on a team
        that has no such record writes it once.
      - O(clear_fields=[metadata]) removes every key but LiteLLM's own.
    type: dict
  members:
    description:
      - Team members. With O(purge_members=true) (the default) members not listed are removed,
        except the proxy admin C(default_user_id) that LiteLLM adds to teams created with the
        master key.
      - Removing a member makes LiteLLM delete that member's keys in the team.
      - Adding or promoting an V(admin) after creation needs a LiteLLM Enterprise licence;
        admins listed when the team is created do not.
    type: list
    elements: dict
    suboptions:
      user_id:
        description: LiteLLM user id.
        type: str
      user_email:
        description: Email, for a member identified by email (LiteLLM creates the user).
        type: str
      role:
        description: Role in the team.
        type: str
        choices: [admin, user]
        default: user
  purge_members:
    description:
      - Remove members not listed in O(members). Ignored when O(members) is not set.
    type: bool
    default: true
  clear_fields:
    description:
      - Fields to reset to LiteLLM's "not set" (no limit, all models, empty metadata).
    type: list
    elements: str
    choices: [models, max_budget, soft_budget, budget_duration, rpm_limit, tpm_limit, metadata]
    default: []
  validate_models:
    description:
      - Check O(models) against the proxy's C(/v1/models) before writing anything.
    type: bool
    default: true
seealso:
  - module: llmops.litellm.litellm_team_info
  - module: llmops.litellm.litellm_key
"""

EXAMPLES = r"""
- name: The support team, 500 USD a month, two models, two members
  llmops.litellm.litellm_team:
    team_alias: support
    models: [gpt-4o-mini, claude-3-5-haiku]
    max_budget: 500
    soft_budget: 400
    budget_duration: 30d
    rpm_limit: 600
    members:
      - user_id: alice
        role: admin
      - user_email: bob@example.com
    metadata:
      cost_center: CC-1234

- name: Block a team during an incident
  llmops.litellm.litellm_team:
    team_alias: experiments
    blocked: true

- name: Delete a team and its keys
  llmops.litellm.litellm_team:
    team_alias: hackathon-2025
    state: absent
    force: true
"""

RETURN = r"""
team:
  description: The team after the task (predicted in check mode).
  returned: when O(state=present)
  type: dict
  contains:
    team_id:
      description: Team id.
      type: str
    team_alias:
      description: Team alias.
      type: str
    members:
      description: Members (without LiteLLM's own proxy admin), sorted.
      type: list
      elements: dict
  sample:
    team_id: 5d2f0b8e-6a2c-4f7e-9f61-2b8a4d3c1e90
    team_alias: support
    models: [gpt-4o-mini]
    max_budget: 500.0
    blocked: false
    members: [{user_id: alice, role: admin}]
changes:
  description: Names of the fields that differ (and will be or were changed).
  returned: always
  type: list
  elements: str
  sample: [max_budget, members]
error:
  description: The failed request, its C(method) and C(url), HTTP C(status) and a C(body) excerpt without secrets.
  returned: when an API call failed (C(status) and C(body) when the server answered)
  type: dict
  sample: {method: GET, url: "http://127.0.0.1:4000/v2/team/list?page=1&page_size=100", status: 401}
"""

from ansible_collections.llmops.litellm.plugins.module_utils.litellm.lookups import (  # noqa: E402
    ModelCatalog,
    find_team,
)
from ansible_collections.llmops.litellm.plugins.module_utils.litellm.module import LiteLLMModule  # noqa: E402
from ansible_collections.llmops.litellm.plugins.module_utils.litellm.teams import (  # noqa: E402
    TEAM_CLEARABLE_FIELDS,
    TeamPlan,
    public_team,
    validate_team_params,
)
from ansible_collections.llmops.litellm.plugins.module_utils.litellm.validation import (  # noqa: E402
    clear_fields_option,
    duration_warnings,
    limit_options,
    state_option,
)

OPTIONS = {
    "team_alias": {"type": "str"},
    "team_id": {"type": "str"},
    "state": state_option("present", "absent"),
    "force": {"type": "bool", "default": False},
    "models": {"type": "list", "elements": "str"},
    **limit_options("max_budget", "soft_budget", "budget_duration", "rpm_limit", "tpm_limit"),
    "blocked": {"type": "bool"},
    "metadata": {"type": "dict"},
    "members": {
        "type": "list",
        "elements": "dict",
        "options": {
            "user_id": {"type": "str"},
            "user_email": {"type": "str"},
            "role": {"type": "str", "default": "user", "choices": ["admin", "user"]},
        },
    },
    "purge_members": {"type": "bool", "default": True},
    "clear_fields": clear_fields_option(TEAM_CLEARABLE_FIELDS),
    "validate_models": {"type": "bool", "default": True},
}


def refusal(module, plan):
    """Why the plan must not be applied, found with reads only; None when it may."""
    if plan.action == "delete" and not module.params["force"]:
        # /v2/team/list answers each team's key count; a record from elsewhere needs one more read.
        key_count = plan.record.get("keys_count")
        if key_count is None:
            key_count = module.client.count_team_keys(plan.record["team_id"])
        if key_count:
            return (
                "team %s (%s) still has %s key(s), which LiteLLM would delete with it; delete or move them first, "
                "or set force: true" % (plan.record.get("team_alias"), plan.record["team_id"], key_count)
            )
    if plan.state != "absent" and module.params["validate_models"]:
        error = ModelCatalog(module.client).error("", module.params["models"])
        if error:
            return error
    return plan.budget_error()


def run(module):
    params = module.params
    errors = validate_team_params(params)
    if errors:
        module.fail("; ".join(errors))
    for warning in duration_warnings("", params):
        module.warn(warning)
    plan = TeamPlan(params, find_team(module.client, params["team_id"], params["team_alias"]))
    problem = refusal(module, plan)
    if problem:
        module.fail(problem)
    result, applied = plan.execute(module)
    record = plan.predicted()
    if applied is not None and applied["record"] is not None:
        record = module.client.team_info(applied["record"]["team_id"]) or applied["record"]
    if plan.state != "absent":
        result["team"] = public_team(record)
    return result


def main():
    LiteLLMModule(OPTIONS, result={"changes": []}, required_one_of=[("team_alias", "team_id")]).execute(run)


if __name__ == "__main__":
    main()
