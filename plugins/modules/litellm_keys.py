#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, llmops maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: litellm_keys
short_description: Reconcile a whole list of LiteLLM virtual keys at once
version_added: 0.1.0
description:
  - Makes the LiteLLM proxy's virtual keys match a declared list, with one paginated
    C(/key/list) listing (100 keys a page), one filtered C(/v2/team/list) query per referenced
    team (or, for more than five teams, one listing of every team, all pages), one
    C(/budget/list) and one C(/v1/models) call, and then only the writes that are needed. A
    second run with the same list reads and writes nothing else.
  - Each entry takes the same options as M(llmops.litellm.litellm_key); O(key_defaults) fills
    the options an entry leaves unset.
  - With O(exclusive=true), keys that are not declared are blocked (or deleted with
    O(exclusive_action=delete)), the control that shuts every unapproved key. By default only
    keys created by this collection (marked in their metadata) that belong to this task's
    O(owner) are touched, so tasks or roles with different owners do not prune each other's keys;
    O(exclusive_scope=all) extends it to every key on the proxy, including keys made by hand and
    keys of every other owner.
  - Every entry is validated, and every reference (team, budget, model) is resolved, before the
    first write; any error fails the task without writing anything.
  - The writes are made in order and stop at the first that fails (after the retries O(retries)
    allows). The failure's result lists only the writes that took effect in RV(created),
    RV(updated), RV(blocked), RV(unblocked), RV(rotated), RV(deleted) and RV(pruned), and its
    message names the key.
author:
  - llmops maintainers (@llmops)
extends_documentation_fragment:
  - llmops.litellm.litellm.attributes
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.actiongroups
  - llmops.litellm.litellm
options:
  keys:
    description:
      - The declared keys. Aliases must be unique in the list.
    type: list
    elements: dict
    required: true
    suboptions:
      key_alias:
        description: Alias of the key, its identity.
        type: str
        required: true
      state:
        description:
          - V(present), V(blocked) or V(absent), as in M(llmops.litellm.litellm_key).
          - Defaults to O(key_defaults.state), else V(present).
        type: str
        choices: [present, absent, blocked]
      blocked:
        description: With O(keys[].state=present), V(true) is the same as O(keys[].state=blocked).
        type: bool
      key:
        description:
          - Secret value to create the key with (write-only; C(sk-) and 16+ characters).
        type: str
      rotate_key:
        description:
          - Rotate the key with C(/key/regenerate) (Enterprise), to O(keys[].key) when it differs
            from the stored key, or to a generated value on every run without O(keys[].key).
          - Defaults to V(false).
        type: bool
      team:
        description:
          - Team by C(team_id) or C(team_alias).
          - A move of an existing key LiteLLM would refuse fails before any write, as in
            M(llmops.litellm.litellm_key) (team models read as names, wildcard patterns and access groups).
        type: str
      user_id:
        description: LiteLLM user the key belongs to.
        type: str
      models:
        description: Models the key may call (compared as a set; empty means all models).
        type: list
        elements: str
      max_budget:
        description: Hard budget in USD.
        type: float
      soft_budget:
        description: Soft (alerting) budget in USD; not combinable with O(keys[].budget_id).
        type: float
      budget_duration:
        description:
          - Budget reset period, for example V(30d), V(1h), V(30m), V(10s), V(1mo).
          - Checked as LiteLLM checks it. A number and a unit (V(s), V(m), V(h), V(d), V(w) or V(mo)), or one of
            V(hourly), V(daily), V(weekly), V(monthly). Refused, as LiteLLM refuses them, are a period of 0, V(Nmo)
            with N other than 1 and a first reset after the year 9999. A value LiteLLM accepts but cannot schedule
            (V(30days), V(1month)) resets every day at midnight, and the module warns.
        type: str
      budget_id:
        description: Reusable budget applied to the key.
        type: str
      rpm_limit:
        description: Requests per minute. At most 9223372036854775807 (LiteLLM stores it in a PostgreSQL bigint).
        type: int
      tpm_limit:
        description: Tokens per minute. At most 9223372036854775807 (LiteLLM stores it in a PostgreSQL bigint).
        type: int
      max_parallel_requests:
        description: Concurrent requests. At most 2147483647 (LiteLLM stores it in a PostgreSQL integer).
        type: int
      metadata:
        description:
          - Free-form metadata, as in M(llmops.litellm.litellm_key). Declared keys are compared and
            written, keys declared before and no longer are removed, another actor's keys and
            LiteLLM's own are kept.
          - Replaces O(key_defaults.metadata) rather than merging with it.
        type: dict
      duration:
        description: Lifetime of a new key (applied only on creation).
        type: str
      clear_fields:
        description: Fields to reset to LiteLLM's "not set".
        type: list
        elements: str
        choices: [models, max_budget, soft_budget, budget_duration, budget_id, rpm_limit, tpm_limit,
                  max_parallel_requests, team, user_id, metadata]
  key_defaults:
    description:
      - Values for the options an entry of O(keys) leaves unset.
    type: dict
    default: {}
    suboptions:
      state:
        description: Default state.
        type: str
        choices: [present, absent, blocked]
      blocked:
        description: Default blocked flag.
        type: bool
      rotate_key:
        description: Default for rotation.
        type: bool
      team:
        description: Default team.
        type: str
      user_id:
        description: Default user.
        type: str
      models:
        description: Default models.
        type: list
        elements: str
      max_budget:
        description: Default hard budget.
        type: float
      soft_budget:
        description: Default soft budget.
        type: float
      budget_duration:
        description: Default budget reset period.
        type: str
      budget_id:
        description: Default reusable budget.
        type: str
      rpm_limit:
        description: Default requests per minute.
        type: int
      tpm_limit:
        description: Default tokens per minute.
        type: int
      max_parallel_requests:
        description: Default concurrent requests.
        type: int
      metadata:
        description: Default metadata.
        type: dict
      duration:
        description: Default lifetime of new keys.
        type: str
      clear_fields:
        description: Default fields to clear.
        type: list
        elements: str
        choices: [models, max_budget, soft_budget, budget_duration, budget_id, rpm_limit, tpm_limit,
                  max_parallel_requests, team, user_id, metadata]
  owner:
    description:
      - Owner (namespace) of the keys this task declares, for example the name of the role or
        application that declares them. Stored in each declared key's metadata as C(llmops_owner)
        (next to C(llmops_managed_by)); it is never reported as metadata drift nor removed, and
        cannot be declared in O(keys[].metadata).
      - 1 to 64 characters (letters, digits, dots, underscores, colons, slashes and dashes),
        starting with a letter or digit.
      - Sets the scope of O(exclusive_scope=managed), see there.
      - A declared key without an owner (made by hand, by an older version of this collection or
        by a task without O(owner)) is taken over, its metadata updated once to this owner. A
        declared key that belongs to another owner fails the task, naming the key and both owners,
        before anything is written.
      - Without O(owner) the ownership of the declared keys is left as it is.
      - Changing the owner of a task takes its keys over only if they have no owner; to move keys
        between owners, remove C(llmops_owner) from their metadata first.
    type: str
  exclusive:
    description:
      - Block or delete the keys on the proxy that are not in O(keys).
      - The key used as O(master_key), when it is a virtual key, is never touched.
      - An empty O(keys) list with O(exclusive=true) blocks (or deletes) every key in scope.
    type: bool
    default: false
  exclusive_action:
    description:
      - What to do with an undeclared key. V(block) keeps it (and its spend history) but refuses
        its requests; V(delete) removes it.
    type: str
    choices: [block, delete]
    default: block
  exclusive_scope:
    description:
      - V(managed) limits O(exclusive) to keys created by this collection (metadata
        C(llmops_managed_by=llmops.litellm)) whose owner (metadata C(llmops_owner)) is this task's
        O(owner); keys made by hand or by other tools, and keys of other owners, are left alone.
      - Without O(owner), V(managed) means the collection's keys that have no owner (the keys an
        older version of this collection made, or tasks without O(owner)), so a single-owner setup
        keeps its behaviour, and the keys of a named owner are never pruned by a task without one.
      - V(all) applies it to every key the master key can list, whatever its owner, including
        keys made by hand and the keys other tasks or roles declare.
    type: str
    choices: [managed, all]
    default: managed
  validate_models:
    description:
      - Check every entry's O(keys[].models) against the proxy's C(/v1/models) before writing.
    type: bool
    default: true
notes:
  - Give every task (or role) that uses O(exclusive=true) its own O(owner); two exclusive tasks
    with the same owner (or both without one) and different lists prune each other's keys.
  - Newly generated keys are returned once, in RV(api_keys). Set C(no_log=true) on the task and
    store them (the C(llmops.litellm.access) role can write them to a vault-encrypted file or an
    AWX artifact).
seealso:
  - module: llmops.litellm.litellm_key
  - module: llmops.litellm.litellm_key_info
"""

EXAMPLES = r"""
- name: Exactly these keys, and nothing else this task (owner support-platform) declared before
  llmops.litellm.litellm_keys:
    owner: support-platform
    key_defaults:
      budget_duration: 30d
      models: [gpt-4o-mini]
    keys:
      - key_alias: support-bot
        team: support
        max_budget: 50
      - key_alias: nightly-evals
        models: [gpt-4o, gpt-4o-mini]
        max_budget: 200
        rpm_limit: 30
      - key_alias: legacy-importer
        state: blocked
    exclusive: true
  register: litellm_keys_result
  no_log: true

- name: Shut every key on the proxy that is not declared, including hand-made ones
  llmops.litellm.litellm_keys:
    keys: "{{ approved_keys }}"
    exclusive: true
    exclusive_scope: all
    exclusive_action: block
"""

RETURN = r"""
created:
  description: Aliases of the keys created (or to be created in check mode).
  returned: always
  type: list
  elements: str
  sample: [support-bot]
updated:
  description: Aliases of the keys whose settings changed.
  returned: always
  type: list
  elements: str
blocked:
  description: Aliases of the declared keys blocked.
  returned: always
  type: list
  elements: str
unblocked:
  description: Aliases of the declared keys unblocked.
  returned: always
  type: list
  elements: str
rotated:
  description: Aliases of the keys rotated.
  returned: always
  type: list
  elements: str
deleted:
  description: Aliases of the declared keys deleted (O(keys[].state=absent)).
  returned: always
  type: list
  elements: str
pruned:
  description:
    - Undeclared keys blocked or deleted by O(exclusive), with the action taken and the key's
      owner (C(null) for a key without one).
  returned: always
  type: list
  elements: dict
  sample: [{key_alias: hand-made, token: 3f1e..., action: block, managed: false, owner: null}]
unchanged:
  description: Number of declared keys already as declared.
  returned: always
  type: int
  sample: 998
changes:
  description: For each changed key alias, the action and the names of the changed fields.
  returned: always
  type: dict
  sample: {nightly-evals: {action: update, fields: [max_budget]}}
api_keys:
  description:
    - Generated secret values by key alias, for keys created (or rotated) without a declared value
      in this run. Use C(no_log) on the task.
  returned: always
  type: dict
  sample: {support-bot: sk-1a2b3c4d5e6f7g8h}
error:
  description: The failed request, its C(method) and C(url), HTTP C(status) and a C(body) excerpt without secrets.
  returned: when an API call failed (C(status) and C(body) when the server answered)
  type: dict
  sample: {method: GET, url: "http://127.0.0.1:4000/key/list", status: 401}
"""

from ansible_collections.llmops.litellm.plugins.module_utils.http_transport import APIError  # noqa: E402
from ansible_collections.llmops.litellm.plugins.module_utils.litellm.client import token_hash  # noqa: E402
from ansible_collections.llmops.litellm.plugins.module_utils.litellm.keys import (  # noqa: E402
    KEY_BUILTIN_DEFAULTS,
    KeyPlan,
    key_option_spec,
    validate_key_params,
)
from ansible_collections.llmops.litellm.plugins.module_utils.litellm.lookups import (  # noqa: E402
    BudgetDirectory,
    ModelCatalog,
    ModelGroupDirectory,
    TeamDirectory,
)
from ansible_collections.llmops.litellm.plugins.module_utils.litellm.metadata import (  # noqa: E402
    is_managed,
    owner_of,
)
from ansible_collections.llmops.litellm.plugins.module_utils.litellm.module import LiteLLMModule  # noqa: E402
from ansible_collections.llmops.litellm.plugins.module_utils.litellm.validation import (  # noqa: E402
    duration_warnings,
    owner_errors,
)
from ansible_collections.llmops.litellm.plugins.module_utils.reconcile import ansible_diff, index_by  # noqa: E402

DELETE_BATCH = 100
# Every result carries these keys, a failure included (what was done before it).
EMPTY_RESULT = {
    "changed": False,
    "created": [],
    "updated": [],
    "blocked": [],
    "unblocked": [],
    "rotated": [],
    "deleted": [],
    "pruned": [],
    "unchanged": 0,
    "changes": {},
    "api_keys": {},
}


def argument_spec():
    defaults_spec = key_option_spec(with_defaults=False)
    del defaults_spec["key_alias"]
    del defaults_spec["key"]
    return {
        "keys": {
            "type": "list",
            "elements": "dict",
            "required": True,
            "options": key_option_spec(with_defaults=False),
            "no_log": False,
        },
        "key_defaults": {"type": "dict", "default": {}, "options": defaults_spec, "no_log": False},
        "owner": {"type": "str"},
        "exclusive": {"type": "bool", "default": False},
        "exclusive_action": {"type": "str", "default": "block", "choices": ["block", "delete"]},
        "exclusive_scope": {"type": "str", "default": "managed", "choices": ["managed", "all"]},
        "validate_models": {"type": "bool", "default": True},
    }


def declared_keys(params):
    defaults = params["key_defaults"] or {}
    declared = []
    for entry in params["keys"]:
        spec = {}
        for name, value in entry.items():
            chosen = value if value is not None else defaults.get(name)
            spec[name] = chosen if chosen is not None else KEY_BUILTIN_DEFAULTS.get(name)
        spec["owner"] = params.get("owner")
        declared.append(spec)
    return declared


def input_errors(declared, owner=None):
    errors = owner_errors("", owner)
    for index, spec in enumerate(declared):
        errors.extend(validate_key_params(spec, prefix="keys[%s] (%s): " % (index, spec.get("key_alias"))))
    aliases = [spec["key_alias"] for spec in declared]
    repeated = sorted({alias for alias in aliases if aliases.count(alias) > 1})
    if repeated:
        errors.append("keys: key_alias listed more than once: %s" % ", ".join(repeated))
    return errors


def reference_errors(module, teams, declared):
    """Resolve teams, budgets and models for every live entry; return (team ids by alias, errors)."""
    params = module.params
    budgets = BudgetDirectory(module.client)
    models = ModelCatalog(module.client)
    team_ids = {}
    errors = []
    soft = []
    for index, spec in enumerate(declared):
        if spec["state"] == "absent":
            continue
        prefix = "keys[%s] (%s): " % (index, spec["key_alias"])
        if spec.get("team") is not None:
            team_ids[spec["key_alias"]], error = teams.resolve(spec["team"])
            if error:
                soft.append(prefix + "team: " + error)
        if spec.get("budget_id") is not None and not budgets.exists(spec["budget_id"]):
            soft.append(prefix + "budget_id: budget %r does not exist" % spec["budget_id"])
        if params["validate_models"]:
            error = models.error(prefix, spec.get("models"))
            if error:
                errors.append(error)
    if soft and module.check_mode and not errors:
        for warning in soft:
            module.warn(warning + " (check mode: assuming an earlier task creates it)")
        soft = []
    return team_ids, errors + soft


def plan_errors(plans, teams, team_ids, groups=None):
    """Keys of another owner, and team moves LiteLLM would refuse, found before any write
    (``groups``: the proxy's access groups, read only when a move needs them)."""
    errors = []
    for index, plan in enumerate(plans):
        prefix = "keys[%s] (%s): " % (index, plan.alias)
        owner_error = plan.owner_error()
        if owner_error:
            errors.append(prefix + owner_error)
        team_id = team_ids.get(plan.alias)
        move_error = plan.team_move_error(teams.by_id(team_id) or {}, groups) if team_id else None
        if move_error:
            errors.append(prefix + move_error)
    return errors


def prune_candidates(records, declared_aliases, params):
    if not params["exclusive"]:
        return []
    own_token = token_hash(params["master_key"]) if params["master_key"] else None
    candidates = []
    for record in records:
        if record.get("key_alias") in declared_aliases or record.get("token") == own_token:
            continue
        # managed: the collection's keys of this task's owner (no owner: the keys without one).
        if params["exclusive_scope"] == "managed" and (
            not is_managed(record) or owner_of(record) != params.get("owner")
        ):
            continue
        if params["exclusive_action"] == "block" and record.get("blocked"):
            continue
        candidates.append(record)
    return candidates


def record_plan(result, plan, done=None):
    """Add a plan to the result lists: all of it, or with ``done`` only the steps that took effect."""
    steps = plan.steps() if done is None else done
    if not plan.changed:
        result["unchanged"] += 1
        return
    if not steps:
        return
    result["changed"] = True
    complete = done is None or list(done) == plan.steps()
    result["changes"][plan.alias] = plan.summary() if complete else plan.done_summary()
    lists = {
        "create": "created",
        "delete": "deleted",
        "update": "updated",
        "block": "blocked",
        "unblock": "unblocked",
        "rotate": "rotated",
    }
    for step in steps:
        result[lists[step]].append(plan.alias)


def pruned_entry(record, action):
    return {
        "key_alias": record.get("key_alias"),
        "token": record.get("token"),
        "action": action,
        "managed": is_managed(record),
        "owner": owner_of(record),
    }


def diff_of(plans, pruned, action):
    before, after = {}, {}
    for plan in plans:
        if plan.changed:
            before[plan.alias] = plan.before()
            after[plan.alias] = plan.after()
    for record in pruned:
        name = record.get("key_alias") or record.get("token")
        owner = owner_of(record)
        before[name] = {"key_alias": record.get("key_alias"), "state": "present", "owner": owner}
        blocked = {"key_alias": record.get("key_alias"), "state": "blocked", "owner": owner}
        after[name] = {} if action == "delete" else blocked
    return ansible_diff(before, after, secret_keys=KeyPlan.secret_keys)


def _failed(exc, what):
    exc.message = (
        "%s: %s Nothing was written after this failure; the writes made before it are listed in "
        "created, updated, blocked, unblocked, rotated, deleted and pruned." % (what, exc.message.rstrip())
    )
    return exc


def _gone_after_failure(client, tokens, exc):
    """Of a delete batch whose outcome is unknown, the keys that are gone (best effort)."""
    if not getattr(exc, "outcome_unknown", False):
        return []
    gone = []
    for token in tokens:
        try:
            info = client.key_info(token)
        except APIError:
            continue
        if info is None or info.get("status") == "deleted":
            gone.append(token)
    return gone


def apply_all(client, plans, pruned, action, result):
    """The writes, in order; ``result`` lists each one once it took effect, so that a failure
    part-way reports what was really done, not what was planned."""
    result["changed"] = False
    deletions = []  # (token, what to record)
    for plan in plans:
        if not plan.changed:
            result["unchanged"] += 1
            continue
        if plan.action == "delete":
            deletions.append((plan.record["token"], plan))
            continue
        try:
            applied = plan.apply(client)
        except APIError as exc:
            record_plan(result, plan, plan.done)
            raise _failed(exc, "key %r" % plan.alias) from None
        record_plan(result, plan, plan.done)
        if applied["api_key"]:
            result["api_keys"][plan.alias] = applied["api_key"]
    for record in pruned:
        if action == "delete":
            deletions.append((record["token"], record))
            continue
        try:
            client.block_key(record["token"])
        except APIError as exc:
            raise _failed(exc, "blocking undeclared key %r" % (record.get("key_alias") or record["token"])) from None
        result["pruned"].append(pruned_entry(record, action))
        result["changed"] = True
    for start in range(0, len(deletions), DELETE_BATCH):
        batch = deletions[start : start + DELETE_BATCH]
        tokens = [token for token, _what in batch]
        try:
            client.delete_keys(tokens)
        except APIError as exc:
            gone = set(_gone_after_failure(client, tokens, exc))
            _record_deletions(result, [item for item in batch if item[0] in gone], action)
            raise _failed(exc, "deleting %s key(s)" % len(tokens)) from None
        _record_deletions(result, batch, action)


def _record_deletions(result, batch, action):
    for _token, what in batch:
        if isinstance(what, KeyPlan):
            record_plan(result, what, ["delete"])
        else:
            result["pruned"].append(pruned_entry(what, action))
            result["changed"] = True


def run(module):
    params, client, result = module.params, module.client, module.result
    declared = declared_keys(params)
    errors = input_errors(declared, params.get("owner"))
    if errors:
        module.fail("; ".join(errors))
    for index, spec in enumerate(declared):
        for warning in duration_warnings("keys[%s] (%s): " % (index, spec["key_alias"]), spec):
            module.warn(warning)
    records = list(client.iter_keys())
    by_alias, duplicates = index_by(records, "key_alias")
    declared_aliases = {spec["key_alias"] for spec in declared}
    clashing = sorted(alias for alias in duplicates if alias in declared_aliases)
    if clashing:
        module.fail(
            "key_alias shared by several keys on the server (resolve by hand first): %s"
            % "; ".join("%s (%s keys)" % (alias, len(duplicates[alias])) for alias in clashing)
        )
    teams = TeamDirectory.for_references(client, [spec.get("team") for spec in declared if spec["state"] != "absent"])
    team_ids, errors = reference_errors(module, teams, declared)
    if errors:
        module.fail("; ".join(errors))
    plans = [KeyPlan(spec, by_alias.get(spec["key_alias"]), team_ids.get(spec["key_alias"])) for spec in declared]
    errors = plan_errors(plans, teams, team_ids, ModelGroupDirectory(client))
    if errors:
        module.fail("; ".join(errors))
    pruned = prune_candidates(records, declared_aliases, params)
    for plan in plans:
        for warning in plan.warnings:
            module.warn(warning)
    changed = bool(pruned) or any(plan.changed for plan in plans)
    if changed and not module.check_mode:
        apply_all(client, plans, pruned, params["exclusive_action"], result)
    else:
        for plan in plans:
            record_plan(result, plan)
        result["pruned"] = [pruned_entry(record, params["exclusive_action"]) for record in pruned]
        result["changed"] = changed
    if module.diff:
        result["diff"] = diff_of(plans, pruned, params["exclusive_action"])
    return result


def main():
    LiteLLMModule(argument_spec(), result=EMPTY_RESULT).execute(run)


if __name__ == "__main__":
    main()
