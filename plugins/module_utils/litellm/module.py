# -*- coding: utf-8 -*-
# Copyright: (c) 2026, llmops maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""``LiteLLMModule``: the base of every module of the ``llmops.litellm.litellm`` action group."""

from __future__ import annotations

from typing import Any, Dict

from ansible.module_utils.basic import env_fallback
from ansible_collections.llmops.litellm.plugins.module_utils.api_module import APIModule
from ansible_collections.llmops.litellm.plugins.module_utils.litellm.client import LiteLLMClient


class LiteLLMModule(APIModule):
    """Connection options (with the LITELLM_API_BASE / LITELLM_MASTER_KEY fallbacks) and the client."""

    @staticmethod
    def connection_argument_spec() -> Dict[str, Any]:
        return {
            "api_base": {"type": "str", "fallback": (env_fallback, ["LITELLM_API_BASE"])},
            "master_key": {"type": "str", "no_log": True, "fallback": (env_fallback, ["LITELLM_MASTER_KEY"])},
            "validate_certs": {"type": "bool", "default": True},
            "timeout": {"type": "int", "default": 30},
            "retries": {"type": "int", "default": 3, "fallback": (env_fallback, ["LITELLM_RETRIES"])},
            "retry_delay": {"type": "float", "default": 1.0, "fallback": (env_fallback, ["LITELLM_RETRY_DELAY"])},
        }

    def make_client(self) -> LiteLLMClient:
        params = self.params
        for option, variable in (("api_base", "LITELLM_API_BASE"), ("master_key", "LITELLM_MASTER_KEY")):
            if not params.get(option):
                self.fail(
                    "%s is required: set the %s option or the %s environment variable" % (option, option, variable)
                )
        for option in ("retries", "retry_delay"):
            if params[option] < 0:
                self.fail("%s must be 0 or more, got %s" % (option, params[option]))
        return LiteLLMClient(
            api_base=params["api_base"],
            master_key=params["master_key"],
            validate_certs=params["validate_certs"],
            timeout=params["timeout"],
            retries=params["retries"],
            retry_delay=params["retry_delay"],
        )
