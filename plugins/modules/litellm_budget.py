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
  - llmops.litellm.litellm.attributes
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.actiongroups
  - llmops.litellm.litellm
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
error:
  description: The failed request, its C(method) and C(url), HTTP C(status) and a C(body) excerpt without secrets.
  returned: when an API call failed (C(status) and C(body) when the server answered)
  type: dict
  sample: {method: GET, url: "http://127.0.0.1:4000/budget/list", status: 401}
"""

from ansible_collections.llmops.litellm.plugins.module_utils.litellm.budgets import (  # noqa: E402
    BUDGET_FIELDS,
    BudgetPlan,
    public_budget,
    validate_budget_params,
)
from ansible_collections.llmops.litellm.plugins.module_utils.litellm.module import LiteLLMModule  # noqa: E402
from ansible_collections.llmops.litellm.plugins.module_utils.litellm.validation import (  # noqa: E402
    clear_fields_option,
    limit_options,
    state_option,
)

OPTIONS = dict(
    budget_id={"type": "str", "required": True},
    state=state_option("present", "absent"),
    clear_fields=clear_fields_option(BUDGET_FIELDS),
    **limit_options(*BUDGET_FIELDS),
)


def run(module):
    params = module.params
    errors = validate_budget_params(params)
    if errors:
        module.fail("; ".join(errors))
    plan = BudgetPlan(params, module.client.budget_info(params["budget_id"]))
    result, applied = plan.execute(module)
    record = plan.predicted() if applied is None else applied["record"]
    if applied is not None and record is None and plan.action == "update":
        module.fail("budget %r disappeared while it was being updated" % params["budget_id"])
    if plan.state != "absent":
        result["budget"] = public_budget(record)
    return result


def main():
    LiteLLMModule(OPTIONS, result={"changes": []}).execute(run)


if __name__ == "__main__":
    main()
