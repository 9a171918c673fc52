# -*- coding: utf-8 -*-
# Copyright: (c) 2026, llmops maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment(object):
    DOCUMENTATION = r"""
options:
  api_base:
    description:
      - Base URL of the LiteLLM proxy, for example V(http://127.0.0.1:4000).
      - Falls back to the E(LITELLM_API_BASE) environment variable; one of the two is required.
    type: str
  master_key:
    description:
      - LiteLLM master key (or an admin virtual key), sent as a C(Bearer) C(Authorization) header.
      - Falls back to the E(LITELLM_MASTER_KEY) environment variable; one of the two is required.
    type: str
  validate_certs:
    description:
      - Verify the proxy's TLS certificate when O(api_base) is C(https).
    type: bool
    default: true
  timeout:
    description:
      - Seconds to wait for each HTTP response.
    type: int
    default: 30
  retries:
    description:
      - How many more times a request is sent after a transient failure (HTTP 502, 503 or 504, a
        timeout or a connection error; HTTP 500 too for reads), waiting O(retry_delay) seconds, then
        twice as long before each next attempt, never past 60 seconds after the first.
      - A write is sent again only when that cannot do harm. An update or a block only sets values.
        A create or a delete whose outcome is unknown (a timeout, or a 502/503/504 from a gateway) is
        first looked up on the proxy, and not sent again when it took effect. A write is always sent
        again when it provably never reached the proxy (connection refused).
      - Falls back to the E(LITELLM_RETRIES) environment variable. V(0) disables retries.
    type: int
    default: 3
  retry_delay:
    description:
      - Seconds to wait before the first retry (doubled for each next one).
      - Falls back to the E(LITELLM_RETRY_DELAY) environment variable.
    type: float
    default: 1.0
notes:
  - All modules of the C(llmops.litellm.litellm) action group take these connection options,
    so they can be set once with C(module_defaults) (C(group/llmops.litellm.litellm)) or
    injected by an AWX credential type as environment variables.
  - Talks to the LiteLLM management API over HTTP from wherever the task runs (usually the
    controller, with a local connection).
"""

    # ATTRIBUTES and INFO_ATTRIBUTES come first in a module's extends_documentation_fragment: where two
    # fragments set the same attribute the first one wins, so ansible.builtin.action_common_attributes
    # (and .actiongroups) only add their descriptions and do not reset support or membership.
    ATTRIBUTES = r"""
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
  platform:
    platforms: all
  action_group:
    support: full
    membership:
      - llmops.litellm.litellm
"""

    INFO_ATTRIBUTES = r"""
attributes:
  check_mode:
    support: full
    details: This module only reads.
  diff_mode:
    support: N/A
    details: This module only reads.
  platform:
    platforms: all
  action_group:
    support: full
    membership:
      - llmops.litellm.litellm
"""
