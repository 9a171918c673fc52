#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, llmops maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: litellm_budget_info
short_description: Read LiteLLM budgets
version_added: 0.1.0
description:
  - Returns one budget by id, or every budget (C(/budget/list)), including the budget rows
    LiteLLM creates by itself for keys with a soft budget.
author:
  - llmops maintainers (@llmops)
extends_documentation_fragment:
  - llmops.litellm.litellm.info_attributes
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.actiongroups
  - llmops.litellm.litellm
options:
  budget_id:
    description: Return only this budget.
    type: str
seealso:
  - module: llmops.litellm.litellm_budget
"""

EXAMPLES = r"""
- name: One budget
  llmops.litellm.litellm_budget_info:
    budget_id: batch-monthly
  register: batch_budget
"""

RETURN = r"""
budgets:
  description: Matching budgets.
  returned: always
  type: list
  elements: dict
  sample:
    - budget_id: batch-monthly
      max_budget: 100.0
      soft_budget: 80.0
      budget_duration: 30d
      budget_reset_at: "2026-12-01T00:00:00+00:00"
error:
  description: The failed request, its C(method) and C(url), HTTP C(status) and a C(body) excerpt without secrets.
  returned: when an API call failed (C(status) and C(body) when the server answered)
  type: dict
  sample: {method: GET, url: "http://127.0.0.1:4000/budget/list", status: 401}
"""

from ansible_collections.llmops.litellm.plugins.module_utils.litellm.budgets import public_budget  # noqa: E402
from ansible_collections.llmops.litellm.plugins.module_utils.litellm.module import LiteLLMModule  # noqa: E402


def run(module):
    budget_id = module.params["budget_id"]
    if budget_id:
        record = module.client.budget_info(budget_id)
        records = [record] if record else []
    else:
        records = module.client.list_budgets()
    return {"changed": False, "budgets": [public_budget(record) for record in records]}


def main():
    LiteLLMModule({"budget_id": {"type": "str"}}, result={"budgets": []}).execute(run)


if __name__ == "__main__":
    main()
