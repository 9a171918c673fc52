"""A LiteLLM 1.106.12 management-API simulator for the collection's tests.

Why: a DB-backed LiteLLM cannot start on the project's build machines (Prisma fetches its
engines at start), so the modules are tested end to end against this simulator, and against
a real proxy when ``LITELLM_API_BASE`` and ``LITELLM_MASTER_KEY`` are set.

What it guarantees:

- Every request body is validated with LiteLLM's own pydantic request models from the pinned
  ``litellm`` package (``litellm.proxy._types``), and, unlike LiteLLM, any field a model does
  not define is rejected with 422 ``extra_forbidden`` (validation.py).
- Each endpoint reproduces the LiteLLM behaviours the modules rely on; every ``*_endpoint``
  method of ``state.Simulator`` names the LiteLLM function it mirrors:

  ====================================  =====================================================
  behaviour                             LiteLLM source (site-packages/litellm/...)
  ====================================  =====================================================
  master-key auth, 401 shapes           proxy/auth/user_api_key_auth.py: _user_api_key_auth_builder;
                                        proxy/auth/auth_exception_handler.py: _as_proxy_exception
  error body shapes                     proxy/_types.py: ProxyException.to_dict;
                                        proxy/utils.py: handle_exception_on_proxy
  key alias unique (400)                key_management_endpoints.py: _enforce_unique_key_alias
  key generate, soft_budget -> budget   key_management_endpoints.py: generate_key_fn,
                                        _common_key_generation_helper, generate_key_helper_fn
  metadata-backed fields in metadata    common_utils.py: set_object_metadata_field;
                                        key_management_endpoints.py: prepare_metadata_fields
  key update, metadata replaced         key_management_endpoints.py: update_key_fn,
                                        prepare_key_update_data, _update_key_soft_budget
  key delete, missing key 404           key_management_endpoints.py: delete_key_fn,
                                        delete_verification_tokens
  key info by hash, deleted archive     key_management_endpoints.py: info_key_fn
  key list pagination (10, max 100)     key_management_endpoints.py: list_keys, list_key_helper,
  and filters                           _build_key_filter_conditions
  key block / unblock                   key_management_endpoints.py: block_key, unblock_key
  key regenerate (Enterprise)           key_management_endpoints.py: regenerate_key_fn,
                                        _execute_virtual_key_regeneration
  team new, proxy admin auto-member     team_endpoints.py: new_team, _should_auto_add_team_creator
  team update / info                    team_endpoints.py: update_team, team_info
  team list, invalid teams left out     team_endpoints.py: list_team, _authorize_and_filter_teams
  paginated, filtered team list,        team_endpoints.py: list_team_v2,
  invalid team -> 500                   _build_team_list_where_conditions,
                                        _convert_teams_to_response_models;
                                        proxy_server.py: otel_unhandled_exception_handler
  team delete deletes its keys          team_endpoints.py: delete_team
  team members                          team_endpoints.py: team_member_add, team_member_delete,
                                        team_member_update
  budgets                               budget_management_endpoints.py: new_budget,
                                        update_budget, info_budget, list_budget, delete_budget
  budget delete: keys' and members'     budget_management_endpoints.py: delete_budget; the
  budget_id set to null, metadata       foreign keys of litellm-proxy-extras' migrations
  links left dangling
  team members' budget, memberships     team_endpoints.py: TeamMemberBudgetHandler,
                                        get_all_team_memberships; management_helpers/utils.py:
                                        add_new_member, _resolve_member_budget_id
  integers beyond their column (500)    proxy/schema.prisma (Int = int4, BigInt = int8)
  model list                            proxy_server.py: model_list
  ====================================  =====================================================

- It counts requests and writes (``GET /_sim/stats``) so tests can prove a second run writes
  nothing.
- It injects faults on request (``POST /_sim/faults``): an HTTP status, a delay (to force a
  client timeout), before or after the request is handled, so retries are tested, including a
  write that took effect although its answer was lost.

What it does not do: serve LLM traffic, track spend, enforce budgets or rate limits, apply
non-admin permission rules (only the master key is accepted), or compute LiteLLM's calendar
aligned budget reset times beyond calling LiteLLM's own ``get_budget_reset_time``.
"""

import os

# LiteLLM fetches its model cost map from the internet on import unless told not to.
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

from .server import SimulatorServer, start  # noqa: E402
from .state import Simulator  # noqa: E402

__all__ = ["Simulator", "SimulatorServer", "start"]
