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
  - LiteLLM deletes a budget whatever still uses it, and the keys and team members that used it are
    then silently left without its limits. So O(state=absent) refuses while keys or teams use the
    budget, naming them, unless O(detach=true) (keys only).
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
      - V(present) or V(absent).
      - V(absent) fails, naming them, while keys use the budget (as their
        O(llmops.litellm.litellm_key#module:budget_id), or as the budget of the end users they bring) or teams
        do (as their members' budget, or the budget of some members). LiteLLM would delete it anyway and leave
        them without its limits. See O(detach).
      - Check mode reports the same refusal or, with O(detach=true), the keys it would unlink.
    type: str
    choices: [present, absent]
    default: present
  detach:
    description:
      - With O(state=absent), first unlink every key that uses the budget, then delete it.
      - The unlinked keys are explicitly left without a budget. Their C(budget_id) is cleared, so only their
        own limits (if any) still apply, and a key that gave the budget to its end users no longer gives them
        one. They are listed in RV(detached_keys), and under C(keys) in the diff's before state.
      - Teams cannot be unlinked (LiteLLM has no request for it), so a budget a team uses is never deleted.
    type: bool
    default: false
  max_budget:
    description: Hard budget in USD.
    type: float
  soft_budget:
    description: Alerting budget in USD.
    type: float
  max_parallel_requests:
    description: Concurrent requests. At most 2147483647 (LiteLLM stores it in a PostgreSQL integer).
    type: int
  tpm_limit:
    description: Tokens per minute. At most 9223372036854775807 (LiteLLM stores it in a PostgreSQL bigint).
    type: int
  rpm_limit:
    description: Requests per minute. At most 9223372036854775807 (LiteLLM stores it in a PostgreSQL bigint).
    type: int
  budget_duration:
    description:
      - Reset period, for example V(30d), V(1h), V(30m), V(10s), V(1mo).
      - Checked as LiteLLM checks it. A number and a unit (V(s), V(m), V(h), V(d), V(w) or V(mo)), or one of
        V(hourly), V(daily), V(weekly), V(monthly). Refused, as LiteLLM refuses them, are a period of 0, V(Nmo)
        with N other than 1 and a first reset after the year 9999. A value LiteLLM accepts but cannot schedule
        (V(30days), V(1month)) resets every day at midnight, and the module warns.
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

- name: Remove it (fails while keys or teams still use it)
  llmops.litellm.litellm_budget:
    budget_id: batch-monthly
    state: absent

- name: Remove it, leaving the keys that used it without a budget
  llmops.litellm.litellm_budget:
    budget_id: batch-monthly
    state: absent
    detach: true
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
detached_keys:
  description:
    - Keys unlinked from the budget before it was deleted (by alias; LiteLLM's abbreviated key when a key has
      none), or to be unlinked in check mode. Empty when nothing used it.
  returned: when O(state=absent)
  type: list
  elements: str
  sample: [batch-worker-1, batch-worker-2]
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
    BudgetLinks,
    BudgetPlan,
    public_budget,
    validate_budget_params,
)
from ansible_collections.llmops.litellm.plugins.module_utils.litellm.module import LiteLLMModule  # noqa: E402
from ansible_collections.llmops.litellm.plugins.module_utils.litellm.validation import (  # noqa: E402
    clear_fields_option,
    duration_warnings,
    limit_options,
    state_option,
)

OPTIONS = dict(
    budget_id={"type": "str", "required": True},
    state=state_option("present", "absent"),
    detach={"type": "bool", "default": False},
    clear_fields=clear_fields_option(BUDGET_FIELDS),
    **limit_options(*BUDGET_FIELDS),
)


def run(module):
    params = module.params
    errors = validate_budget_params(params)
    if errors:
        module.fail("; ".join(errors))
    for warning in duration_warnings("", params):
        module.warn(warning)
    record = module.client.budget_info(params["budget_id"])
    links = None
    if params["state"] == "absent" and record is not None:
        links = BudgetLinks.read(module.client, params["budget_id"])
        problem = links.refusal(params["detach"])
        if problem:
            module.fail(problem)
    plan = BudgetPlan(params, record, links)
    result, applied = plan.execute(module)
    record = plan.predicted() if applied is None else applied["record"]
    if applied is not None and record is None and plan.action == "update":
        module.fail("budget %r disappeared while it was being updated" % params["budget_id"])
    if plan.state != "absent":
        result["budget"] = public_budget(record)
    else:
        result["detached_keys"] = plan.detached_keys()
    return result


def main():
    LiteLLMModule(OPTIONS, result={"changes": []}).execute(run)


if __name__ == "__main__":
    main()
