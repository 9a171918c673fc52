#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, llmops maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: litellm_key
short_description: Manage one LiteLLM virtual key, identified by its alias
version_added: 0.1.0
description:
  - Creates, updates, blocks, unblocks, rotates or deletes one LiteLLM virtual key.
  - The key is identified by O(key_alias) and looked up with one filtered C(/key/list) call;
    updates and deletes address it by its token hash, never by its secret value.
  - Only the options you set are compared with the stored key. Fields LiteLLM manages itself
    (spend, reset times, token ids, creation dates) and the limits LiteLLM folds into
    C(metadata) never cause a change.
  - A key the module creates is marked in its metadata (C(llmops_managed_by)) so that
    M(llmops.litellm.litellm_keys) can tell collection-made keys from hand-made ones; with
    O(owner) its owner is recorded too (C(llmops_owner)).
  - To declare hundreds of keys, use M(llmops.litellm.litellm_keys), which reads them all
    with one paginated listing.
author:
  - llmops maintainers (@llmops)
extends_documentation_fragment:
  - llmops.litellm.litellm.attributes
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.actiongroups
  - llmops.litellm.litellm
options:
  key_alias:
    description:
      - Alias of the key, its identity. LiteLLM requires aliases to be unique.
    type: str
    required: true
  state:
    description:
      - V(present) makes sure the key exists and is not blocked (unless O(blocked=true)).
      - V(blocked) makes sure the key exists and is blocked; a blocked key is kept with its spend
        history but every request with it is refused.
      - V(absent) deletes the key.
    type: str
    choices: [present, absent, blocked]
    default: present
  blocked:
    description:
      - With O(state=present), V(true) is the same as O(state=blocked).
    type: bool
  key:
    description:
      - The secret key value to create the key with, instead of letting LiteLLM generate one.
        It must start with C(sk-) and be at least 16 characters long.
      - Write-only. It is sent when the key is created; afterwards it is only compared, by hash,
        to warn when it differs from the stored key. It is changed only with O(rotate_key=true).
    type: str
  rotate_key:
    description:
      - Rotate the key with C(/key/regenerate), keeping its alias, settings and spend.
      - With O(key), the key is rotated to that value only when it differs from the stored key,
        so a second run changes nothing.
      - Without O(key), LiteLLM generates a new value on every run, returned in RV(api_key).
      - LiteLLM allows key regeneration only with an Enterprise licence.
    type: bool
    default: false
  team:
    description:
      - Team the key belongs to, by C(team_id) or by C(team_alias) (an exact C(team_id) match wins).
      - An alias shared by several teams is refused.
      - Moving an existing key to another team is refused before any write when LiteLLM would refuse
        it, read as LiteLLM reads the team's C(models) (names, wildcard patterns such as C(openai/*),
        access groups of the proxy's deployments from C(/v1/model/info), C(all-proxy-models)). What
        cannot be known outside LiteLLM (the provider it infers for a bare model name, access groups
        when the model list cannot be read) is left to LiteLLM.
    type: str
  user_id:
    description:
      - LiteLLM user the key belongs to.
    type: str
  models:
    description:
      - Models the key may call. An empty list lets the key call every model.
      - Compared as a set. Each name must be served by the proxy (see O(validate_models)).
    type: list
    elements: str
  max_budget:
    description:
      - Hard budget in USD; requests fail once the key's spend reaches it.
    type: float
  soft_budget:
    description:
      - Soft budget in USD; LiteLLM alerts once the spend reaches it but keeps serving.
      - LiteLLM keeps it in a budget row of its own linked to the key, so it cannot be combined
        with O(budget_id).
    type: float
  budget_duration:
    description:
      - How often the key's spend is reset, for example V(30d), V(1h), V(30m), V(10s), V(1mo).
      - Checked as LiteLLM checks it. A number and a unit (V(s), V(m), V(h), V(d), V(w) or V(mo)), or one of
        V(hourly), V(daily), V(weekly), V(monthly). Refused, as LiteLLM refuses them, are a period of 0, V(Nmo)
        with N other than 1 and a first reset after the year 9999. A value LiteLLM accepts but cannot schedule
        (V(30days), V(1month)) resets every day at midnight, and the module warns.
    type: str
  budget_id:
    description:
      - Reusable budget (see M(llmops.litellm.litellm_budget)) applied to the key.
    type: str
  rpm_limit:
    description:
      - Requests per minute. At most 9223372036854775807 (LiteLLM stores it in a PostgreSQL bigint).
    type: int
  tpm_limit:
    description:
      - Tokens per minute. At most 9223372036854775807 (LiteLLM stores it in a PostgreSQL bigint).
    type: int
  max_parallel_requests:
    description:
      - Concurrent requests. At most 2147483647 (LiteLLM stores it in a PostgreSQL integer).
    type: int
  metadata:
    description:
      - Free-form metadata. The keys you declare are compared and written; a key you declared
        before and no longer declare is removed; keys another tool or person added, and the keys
        LiteLLM writes into metadata itself (for example C(model_rpm_limit), C(tags),
        C(guardrails)), are kept and never cause a change.
      - The declared keys are recorded in the metadata key C(llmops_metadata_keys), which (like
        C(llmops_managed_by)) you cannot declare. The first run that declares metadata on a key
        that has no such record writes it once.
      - O(clear_fields=[metadata]) removes every key but LiteLLM's own.
    type: dict
  duration:
    description:
      - Lifetime of a new key, for example V(30d). Applied only when the key is created;
        an existing key's expiry is never changed.
      - Read by LiteLLM as O(budget_duration) is, except that any number of months and V(0s) are
        accepted; the key must expire before the year 10000.
    type: str
  clear_fields:
    description:
      - Fields to reset to LiteLLM's "not set" (no limit, no team, no metadata, all models).
    type: list
    elements: str
    choices: [models, max_budget, soft_budget, budget_duration, budget_id, rpm_limit, tpm_limit,
              max_parallel_requests, team, user_id, metadata]
    default: []
  owner:
    description:
      - Owner (namespace) of the key, stored in its metadata as C(llmops_owner) next to
        C(llmops_managed_by). M(llmops.litellm.litellm_keys) with O(llmops.litellm.litellm_keys#module:exclusive=true)
        and the default scope prunes only the keys of its own owner.
      - 1 to 64 characters (letters, digits, dots, underscores, colons, slashes and dashes),
        starting with a letter or digit.
      - A key without an owner is taken over (its metadata updated once). A key that belongs to
        another owner fails the task, naming the key and both owners, before anything is written.
      - Without O(owner) the key's ownership is left as it is.
    type: str
  validate_models:
    description:
      - Check O(models) against the proxy's C(/v1/models) before writing anything.
      - Special names (C(all-proxy-models), C(all-team-models), C(no-default-models)), model
        access groups and wildcard routes are accepted.
    type: bool
    default: true
notes:
  - A generated key is returned once, in RV(api_key), when the key is created (or rotated without
    O(key)). Set C(no_log=true) on the task and store the value somewhere safe; the module
    cannot show it again.
seealso:
  - module: llmops.litellm.litellm_keys
  - module: llmops.litellm.litellm_key_info
  - name: LiteLLM virtual keys
    description: LiteLLM documentation of virtual keys.
    link: https://docs.litellm.ai/docs/proxy/virtual_keys
"""

EXAMPLES = r"""
- name: A key for the support bot, limited to two models and 50 USD a month
  llmops.litellm.litellm_key:
    api_base: http://127.0.0.1:4000
    master_key: "{{ vault_litellm_master_key }}"
    key_alias: support-bot
    team: support
    models: [gpt-4o-mini, claude-3-5-haiku]
    max_budget: 50
    budget_duration: 30d
    rpm_limit: 60
    metadata:
      owner: support@example.com
  register: support_bot_key
  no_log: true

- name: Block a key without deleting it (keeps its spend history)
  llmops.litellm.litellm_key:
    key_alias: support-bot
    state: blocked

- name: Delete a key
  llmops.litellm.litellm_key:
    key_alias: old-experiment
    state: absent

- name: Rotate a key to a value kept in the vault (changes only when the value differs)
  llmops.litellm.litellm_key:
    key_alias: batch-jobs
    key: "{{ vault_batch_jobs_key }}"
    rotate_key: true
  no_log: true
"""

RETURN = r"""
key:
  description: The key after the task (predicted in check mode); no secret value.
  returned: when O(state) is not V(absent)
  type: dict
  contains:
    token:
      description: Token hash that identifies the key in the LiteLLM API (not usable as a credential).
      type: str
    key_alias:
      description: Alias.
      type: str
    key_name:
      description: Abbreviated key (C(sk-...abcd)), as LiteLLM shows it.
      type: str
    blocked:
      description: Whether the key is blocked.
      type: bool
    managed:
      description: Whether the key carries the collection's ownership marker.
      type: bool
    owner:
      description: The key's owner (metadata C(llmops_owner)), C(null) when it has none.
      type: str
  sample:
    token: 0c4c8c7b3f0b8f2b6f0c5e6d4b0b4c3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b7c
    key_alias: support-bot
    key_name: sk-...Xq3w
    models: [gpt-4o-mini]
    max_budget: 50.0
    budget_duration: 30d
    blocked: false
    managed: true
    owner: support-platform
api_key:
  description:
    - The generated secret key. Returned only when LiteLLM generated a value in this run
      (creation without O(key), or rotation without O(key)). Use C(no_log) on the task.
  returned: when a key value was generated
  type: str
  sample: sk-1a2b3c4d5e6f7g8h
changes:
  description: Names of the fields that differ (and will be or were changed).
  returned: always
  type: list
  elements: str
  sample: [max_budget, blocked]
error:
  description: The failed request, its C(method) and C(url), HTTP C(status) and a C(body) excerpt without secrets.
  returned: when an API call failed (C(status) and C(body) when the server answered)
  type: dict
  sample: {method: GET, url: "http://127.0.0.1:4000/key/list", status: 401}
"""

from ansible_collections.llmops.litellm.plugins.module_utils.litellm.keys import (  # noqa: E402
    KeyPlan,
    key_option_spec,
    public_key,
    validate_key_params,
)
from ansible_collections.llmops.litellm.plugins.module_utils.litellm.lookups import (  # noqa: E402
    BudgetDirectory,
    ModelCatalog,
    ModelGroupDirectory,
    TeamDirectory,
)
from ansible_collections.llmops.litellm.plugins.module_utils.litellm.module import LiteLLMModule  # noqa: E402
from ansible_collections.llmops.litellm.plugins.module_utils.litellm.validation import (  # noqa: E402
    duration_warnings,
    owner_errors,
)

OPTIONS = dict(key_option_spec(), owner={"type": "str"}, validate_models={"type": "bool", "default": True})


def references_errors(module, teams):
    """Check team, budget and models against the server; a missing reference is a warning in check mode."""
    params = module.params
    errors = []
    team_id = None
    if params["state"] == "absent":
        return team_id, errors
    if params["team"] is not None:
        team_id, error = teams.resolve(params["team"])
        if error:
            errors.append("team: " + error)
    if params["budget_id"] is not None and not BudgetDirectory(module.client).exists(params["budget_id"]):
        errors.append("budget_id: budget %r does not exist" % params["budget_id"])
    if params["validate_models"]:
        error = ModelCatalog(module.client).error("", params["models"])
        if error:
            errors.append(error)
    if errors and module.check_mode and all(not error.startswith("models:") for error in errors):
        for error in errors:
            module.warn(error + " (check mode: assuming an earlier task creates it)")
        return team_id, []
    return team_id, errors


def run(module):
    params, client = module.params, module.client
    errors = owner_errors("", params["owner"]) + validate_key_params(params)
    if errors:
        module.fail("; ".join(errors))
    for warning in duration_warnings("", params):
        module.warn(warning)
    records = client.find_keys_by_alias(params["key_alias"])
    if len(records) > 1:
        module.fail(
            "key_alias %r matches %s keys on the server (tokens %s); resolve the duplicate alias by hand first"
            % (params["key_alias"], len(records), ", ".join(sorted(record.get("token", "?") for record in records)))
        )
    teams = TeamDirectory(client)
    team_id, errors = references_errors(module, teams)
    if errors:
        module.fail("; ".join(errors))
    plan = KeyPlan(params, records[0] if records else None, team_id)
    owner_error = plan.owner_error()
    if owner_error:
        module.fail(owner_error)
    move_error = plan.team_move_error(teams.by_id(team_id), ModelGroupDirectory(client)) if team_id else None
    if move_error:
        module.fail(move_error)
    for warning in plan.warnings:
        module.warn(warning)
    result, applied = plan.execute(module)
    record = plan.predicted()
    if applied is not None:
        if applied["api_key"]:
            result["api_key"] = applied["api_key"]
        if applied["record"] is not None:
            record = client.key_info(applied["record"]["token"])
    if plan.state != "absent":
        result["key"] = public_key(record)
    return result


def main():
    LiteLLMModule(OPTIONS, result={"changes": []}).execute(run)


if __name__ == "__main__":
    main()
