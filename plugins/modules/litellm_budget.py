#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, llmops maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: litellm_budget
short_description: Manage a reusable LiteLLM budget
version_added: 0.1.0
description:
  - Creates, updates or deletes a LiteLLM budget (C(/budget/*)), a reusable set of limits that
    keys (O(llmops.litellm.litellm_key#module:budget_id)), end users and organizations can point at.
  - Identified by O(budget_id). Only the options you set are compared; the reset time LiteLLM
    computes never causes a change.
author:
  - llmops maintainers (@llmops)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.actiongroups
  - llmops.litellm.litellm
  - llmops.litellm.litellm.attributes
options:
  budget_id:
    description: Identity of the budget.
    type: str
    required: true
  state:
    description:
      - V(present) or V(absent). Keys that point at a deleted budget lose the link (LiteLLM sets
        their budget_id to null).
    type: str
    choices: [present, absent]
    default: present
  max_budget:
    description: Hard budget in USD.
    type: float
  soft_budget:
    description: Alerting budget in USD.
    type: float
  max_parallel_requests:
    description: Concurrent requests.
    type: int
  tpm_limit:
    description: Tokens per minute.
    type: int
  rpm_limit:
    description: Requests per minute.
    type: int
  budget_duration:
    description: Reset period, for example V(30d), V(1h), V(30m), V(10s), V(1mo).
    type: str
  clear_fields:
    description: Fields to reset to "not set".
    type: list
    elements: str
    choices: [max_budget, soft_budget, max_parallel_requests, tpm_limit, rpm_limit, budget_duration]
    default: []
seealso:
  - module: llmops.litellm.litellm_budget_info
  - module: llmops.litellm.litellm_key
"""

EXAMPLES = r"""
- name: A monthly 100 USD budget shared by the batch keys
  llmops.litellm.litellm_budget:
    budget_id: batch-monthly
    max_budget: 100
    soft_budget: 80
    budget_duration: 30d
    rpm_limit: 120

- name: Remove it
  llmops.litellm.litellm_budget:
    budget_id: batch-monthly
    state: absent
"""

RETURN = r"""
budget:
  description: The budget after the task (predicted in check mode).
  returned: when O(state=present)
  type: dict
  sample:
    budget_id: batch-monthly
    max_budget: 100.0
    soft_budget: 80.0
    budget_duration: 30d
    budget_reset_at: "2026-12-01T00:00:00+00:00"
    rpm_limit: 120
changes:
  description: Names of the fields that differ (and will be or were changed).
  returned: always
  type: list
  elements: str
  sample: [max_budget]
"""

from ansible.module_utils.basic import AnsibleModule  # noqa: E402
from ansible_collections.llmops.litellm.plugins.module_utils.litellm import (  # noqa: E402
    BUDGET_FIELDS,
    LiteLLMError,
    budget_current_fields,
    budget_desired_fields,
    client_from_module,
    litellm_argument_spec,
    public_budget,
    validate_budget_params,
)
from ansible_collections.llmops.litellm.plugins.module_utils.reconcile import ansible_diff, changed_fields  # noqa: E402


def argument_spec():
    return litellm_argument_spec(
        budget_id={"type": "str", "required": True},
        state={"type": "str", "default": "present", "choices": ["present", "absent"]},
        max_budget={"type": "float"},
        soft_budget={"type": "float"},
        max_parallel_requests={"type": "int"},
        tpm_limit={"type": "int"},
        rpm_limit={"type": "int"},
        budget_duration={"type": "str"},
        clear_fields={"type": "list", "elements": "str", "choices": list(BUDGET_FIELDS), "default": []},
    )


def run(module, client):
    params = module.params
    errors = validate_budget_params(params)
    if errors:
        module.fail_json(msg="; ".join(errors), changes=[])
    budget_id = params["budget_id"]
    record = client.budget_info(budget_id)
    desired = budget_desired_fields(params)
    if params["state"] == "absent":
        result = {"changed": record is not None, "changes": ["state"] if record else []}
        if module._diff:
            result["diff"] = ansible_diff(
                dict(budget_current_fields(record), budget_id=budget_id) if record else {}, {}
            )
        if record is not None and not module.check_mode:
            client.delete_budget(budget_id)
        module.exit_json(**result)
    if record is None:
        result = {"changed": True, "changes": sorted(desired)}
        if module._diff:
            result["diff"] = ansible_diff({}, dict(desired, budget_id=budget_id))
        body = dict(desired, budget_id=budget_id)
        result["budget"] = public_budget(body if module.check_mode else client.new_budget(body))
        module.exit_json(**result)
    changes = changed_fields(desired, budget_current_fields(record))
    result = {"changed": bool(changes), "changes": sorted(changes)}
    if module._diff:
        current = budget_current_fields(record)
        result["diff"] = ansible_diff(
            dict({name: current[name] for name in desired}, budget_id=budget_id), dict(desired, budget_id=budget_id)
        )
    if changes and not module.check_mode:
        body = {name: desired[name] for name in changes}
        body["budget_id"] = budget_id
        updated = client.update_budget(body)
        if updated is None:
            module.fail_json(msg="budget %r disappeared while it was being updated" % budget_id, changes=[])
        result["budget"] = public_budget(updated)
    else:
        predicted = dict(record)
        predicted.update(desired)
        result["budget"] = public_budget(predicted)
    module.exit_json(**result)


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    client = client_from_module(module)
    try:
        run(module, client)
    except LiteLLMError as exc:
        module.fail_json(msg=exc.message, changes=[], **exc.result())


if __name__ == "__main__":
    main()
