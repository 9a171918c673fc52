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
  - Only the options you set are compared; spend, reset times and the limits LiteLLM folds into
    metadata never cause a change.
author:
  - llmops maintainers (@llmops)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.actiongroups
  - llmops.litellm.litellm
  - llmops.litellm.litellm.attributes
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
    description: Budget reset period, for example V(30d), V(1h), V(30m), V(10s), V(1mo).
    type: str
  rpm_limit:
    description: Requests per minute for the whole team.
    type: int
  tpm_limit:
    description: Tokens per minute for the whole team.
    type: int
  blocked:
    description: Block (V(true)) or unblock (V(false)) every request of the team.
    type: bool
  metadata:
    description:
      - Free-form metadata, compared as a whole without the keys LiteLLM writes itself.
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
"""

from ansible.module_utils.basic import AnsibleModule  # noqa: E402
from ansible_collections.llmops.litellm.plugins.module_utils.litellm import (  # noqa: E402
    MANAGED_MARKER_KEY,
    MANAGED_MARKER_VALUE,
    TEAM_CLEARABLE_FIELDS,
    LiteLLMError,
    MemberPlan,
    ModelCatalog,
    client_from_module,
    find_team,
    litellm_argument_spec,
    member_body,
    members_view,
    public_team,
    team_changes,
    team_current_fields,
    team_desired_fields,
    team_metadata_body,
    user_metadata,
    validate_team_params,
)
from ansible_collections.llmops.litellm.plugins.module_utils.reconcile import ansible_diff  # noqa: E402


def argument_spec():
    return litellm_argument_spec(
        team_alias={"type": "str"},
        team_id={"type": "str"},
        state={"type": "str", "default": "present", "choices": ["present", "absent"]},
        force={"type": "bool", "default": False},
        models={"type": "list", "elements": "str"},
        max_budget={"type": "float"},
        soft_budget={"type": "float"},
        budget_duration={"type": "str"},
        rpm_limit={"type": "int"},
        tpm_limit={"type": "int"},
        blocked={"type": "bool"},
        metadata={"type": "dict"},
        members={
            "type": "list",
            "elements": "dict",
            "options": {
                "user_id": {"type": "str"},
                "user_email": {"type": "str"},
                "role": {"type": "str", "default": "user", "choices": ["admin", "user"]},
            },
        },
        purge_members={"type": "bool", "default": True},
        clear_fields={"type": "list", "elements": "str", "choices": list(TEAM_CLEARABLE_FIELDS), "default": []},
        validate_models={"type": "bool", "default": True},
    )


def create_body(params):
    body = {name: value for name, value in team_desired_fields(params).items() if value is not None}
    metadata = dict(body.pop("metadata", None) or {})
    metadata[MANAGED_MARKER_KEY] = MANAGED_MARKER_VALUE
    body["metadata"] = metadata
    if params["team_id"]:
        body["team_id"] = params["team_id"]
    if params["members"]:
        body["members_with_roles"] = [member_body(member) for member in params["members"]]
    return body


def update_body(params, record, changes):
    desired = team_desired_fields(params)
    body = {"team_id": record["team_id"]}
    for field in changes:
        if field == "metadata":
            body["metadata"] = team_metadata_body(desired["metadata"] or {}, record.get("metadata"))
        else:
            body[field] = desired[field]
    return body


def view(fields, members, metadata_declared):
    state = dict(fields)
    if "metadata" in state:
        state["metadata"] = user_metadata(state["metadata"], metadata_declared)
    if members is not None:
        state["members"] = members
    return state


def present(module, client, params, record):
    desired = team_desired_fields(params)
    declared_members = params["members"]
    if record is None:
        changes = sorted(desired) + (["members"] if declared_members else [])
        after = view(desired, members_view(declared_members) if declared_members else None, desired.get("metadata"))
        result = {"changed": True, "changes": changes}
        if module._diff:
            result["diff"] = ansible_diff({}, after)
        if module.check_mode:
            result["team"] = dict(after, team_id=params["team_id"], managed=True)
            return result
        created = client.new_team(create_body(params))
        result["team"] = public_team(client.team_info(created["team_id"]) or created)
        return result
    changes = team_changes(params, record)
    budget_error = effective_budget_error(desired, record)
    if budget_error:
        module.fail_json(msg=budget_error, changes=[])
    members = MemberPlan(declared_members, record.get("members_with_roles") or [], params["purge_members"])
    names = sorted(changes) + (["members"] if members.changed else [])
    result = {"changed": bool(names), "changes": names}
    if module._diff:
        current = team_current_fields(record)
        declared_view = members_view(declared_members) if declared_members is not None else None
        stored_view = members_view(record.get("members_with_roles") or []) if declared_members is not None else None
        before = view({name: current[name] for name in desired}, stored_view, desired.get("metadata"))
        result["diff"] = ansible_diff(before, view(desired, declared_view, desired.get("metadata")))
    if not names or module.check_mode:
        predicted = dict(record)
        predicted.update(desired)
        if "metadata" in desired:
            predicted["metadata"] = team_metadata_body(desired["metadata"] or {}, record.get("metadata"))
        result["team"] = public_team(predicted)
        return result
    if changes:
        client.update_team(update_body(params, record, changes))
    apply_members(client, record["team_id"], members)
    result["team"] = public_team(client.team_info(record["team_id"]))
    return result


def effective_budget_error(desired, record):
    """LiteLLM refuses soft_budget >= max_budget, comparing a new value with the stored other one."""
    soft = desired["soft_budget"] if "soft_budget" in desired else record.get("soft_budget")
    hard = desired["max_budget"] if "max_budget" in desired else record.get("max_budget")
    if soft is not None and hard is not None and soft >= hard and ("soft_budget" in desired or "max_budget" in desired):
        return (
            "soft_budget: must be lower than max_budget (%s >= %s, counting the stored value); LiteLLM refuses it"
            % (
                soft,
                hard,
            )
        )
    return None


def apply_members(client, team_id, members):
    for member in members.remove:
        client.team_member_delete(team_id, member)
    for member in members.update:
        client.team_member_update(team_id, member)
    if members.add:
        client.team_member_add(team_id, members.add)


def absent(module, client, params, record):
    if record is None:
        return {"changed": False, "changes": []}
    result = {"changed": True, "changes": ["state"]}
    if module._diff:
        result["diff"] = ansible_diff({"team_alias": record.get("team_alias"), "team_id": record["team_id"]}, {})
    key_count = client.count_team_keys(record["team_id"])
    if key_count and not params["force"]:
        module.fail_json(
            msg="team %s (%s) still has %s key(s), which LiteLLM would delete with it; delete or move them first, "
            "or set force: true" % (record.get("team_alias"), record["team_id"], key_count),
            changes=[],
        )
    if not module.check_mode:
        client.delete_teams([record["team_id"]])
    return result


def run(module, client):
    params = module.params
    errors = validate_team_params(params)
    if errors:
        module.fail_json(msg="; ".join(errors), changes=[])
    record = find_team(client, params["team_id"], params["team_alias"])
    if params["state"] == "absent":
        module.exit_json(**absent(module, client, params, record))
    if params["validate_models"]:
        error = ModelCatalog(client).error("", params["models"])
        if error:
            module.fail_json(msg=error, changes=[])
    module.exit_json(**present(module, client, params, record))


def main():
    module = AnsibleModule(
        argument_spec=argument_spec(),
        supports_check_mode=True,
        required_one_of=[("team_alias", "team_id")],
    )
    client = client_from_module(module)
    try:
        run(module, client)
    except LiteLLMError as exc:
        module.fail_json(msg=exc.message, changes=[], **exc.result())


if __name__ == "__main__":
    main()
