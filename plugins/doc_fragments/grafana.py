# -*- coding: utf-8 -*-
# Copyright: (c) 2026, llmops maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    DOCUMENTATION = r"""
options:
  grafana_url:
    description:
      - Base URL of the Grafana server, for example C(http://127.0.0.1:3000).
      - A sub-path is kept (C(https://example.com/grafana)).
      - Falls back to the E(GRAFANA_URL) environment variable.
    type: str
    required: true
  grafana_token:
    description:
      - "Service account token (or legacy API key), sent as C(Authorization: Bearer <token>)."
      - Falls back to the E(GRAFANA_TOKEN) environment variable.
      - When a token and a user are both given (directly or through the environment), the token is used.
    type: str
  grafana_user:
    description:
      - User for HTTP basic authentication, used with O(grafana_password).
      - Falls back to the E(GRAFANA_USER) environment variable.
    type: str
  grafana_password:
    description:
      - Password for HTTP basic authentication.
      - Falls back to the E(GRAFANA_PASSWORD) environment variable.
    type: str
  org_id:
    description:
      - Organisation to act in, sent as the C(X-Grafana-Org-Id) header.
      - Omitted, Grafana uses the current organisation of the user or token.
    type: int
  validate_certs:
    description:
      - Verify the TLS certificate of O(grafana_url).
    type: bool
    default: true
  ca_path:
    description:
      - PEM file with the certificate authorities that sign the certificate of O(grafana_url).
    type: path
  timeout:
    description:
      - Seconds to wait for each HTTP request.
    type: int
    default: 30
notes:
  - The connection options can be set once for every module of the family with
    C(module_defaults) and the action group C(group/llmops.litellm.grafana).
  - A second run against an unchanged Grafana makes no write request.
"""

    # ATTRIBUTES comes first in a module's extends_documentation_fragment: where two fragments set the
    # same attribute the first one wins, so ansible.builtin.action_common_attributes (and .actiongroups)
    # only add their descriptions and do not reset support or membership.
    ATTRIBUTES = r"""
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
  platform:
    platforms: posix
  action_group:
    support: full
    membership:
      - llmops.litellm.grafana
"""
