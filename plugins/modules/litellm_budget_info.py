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
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.actiongroups
  - llmops.litellm.litellm
  - llmops.litellm.litellm.info_attributes
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
"""

from ansible.module_utils.basic import AnsibleModule  # noqa: E402
from ansible_collections.llmops.litellm.plugins.module_utils.litellm import (  # noqa: E402
    LiteLLMError,
    client_from_module,
    litellm_argument_spec,
    public_budget,
)


def run(module, client):
    budget_id = module.params["budget_id"]
    if budget_id:
        record = client.budget_info(budget_id)
        records = [record] if record else []
    else:
        records = client.list_budgets()
    module.exit_json(changed=False, budgets=[public_budget(record) for record in records])


def main():
    module = AnsibleModule(
        argument_spec=litellm_argument_spec(budget_id={"type": "str"}),
        supports_check_mode=True,
    )
    client = client_from_module(module)
    try:
        run(module, client)
    except LiteLLMError as exc:
        module.fail_json(msg=exc.message, budgets=[], **exc.result())


if __name__ == "__main__":
    main()
