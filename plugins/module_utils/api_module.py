# -*- coding: utf-8 -*-
# Copyright: (c) 2026, llmops maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What every module of an API family shares: connection options, client, failure shape, exit.

A family (``LiteLLMModule``, ``GrafanaModule``) says which connection options it takes and
how to build its client from them; a module gives its own options and a function of the
module that returns the result::

    def run(module):
        return {"changed": False, "teams": module.client.list_teams()}

    def main():
        LiteLLMModule(OPTIONS, result={"teams": []}).execute(run)

Every failure has one shape: ``msg`` naming the field or the URL, the module's always-returned
keys (``result``), and for a failed HTTP exchange ``error`` with its method, URL, status and a
body excerpt without credentials.
"""

from __future__ import annotations

import copy
from typing import Any, Callable, Dict, Mapping, Optional

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.llmops.litellm.plugins.module_utils.http_transport import APIError


class APIModule:
    """An ``AnsibleModule`` with the connection options, the client and the failure shape of one API."""

    required_together = ()  # type: tuple

    def __init__(
        self, options: Mapping[str, Any], result: Optional[Mapping[str, Any]] = None, **module_kwargs: Any
    ) -> None:
        spec = self.connection_argument_spec()
        spec.update(options)
        module_kwargs.setdefault("supports_check_mode", True)
        together = list(self.required_together) + list(module_kwargs.pop("required_together", None) or [])
        if together:
            module_kwargs["required_together"] = together
        self.ansible_module = AnsibleModule(argument_spec=spec, **module_kwargs)
        self.params = self.ansible_module.params
        # The keys every result of the module carries, failures included; a module may fill them
        # in as it goes (a bulk module reports what it did before a failure).
        self.result = copy.deepcopy(dict(result or {}))  # type: Dict[str, Any]
        self.client = self.make_client()
        if self.params["timeout"] <= 0:
            self.fail("timeout must be a positive number of seconds, got %s" % self.params["timeout"])

    # Family hooks ---------------------------------------------------------------------------

    @staticmethod
    def connection_argument_spec() -> Dict[str, Any]:
        raise NotImplementedError

    def make_client(self) -> Any:
        raise NotImplementedError

    # What modules use -----------------------------------------------------------------------

    @property
    def check_mode(self) -> bool:
        return bool(self.ansible_module.check_mode)

    @property
    def diff(self) -> bool:
        return bool(self.ansible_module._diff)

    def warn(self, warning: str) -> None:
        self.ansible_module.warn(warning)

    def fail(self, msg: str, error: Optional[APIError] = None) -> None:
        """Fail with the family's one shape; never returns."""
        result = dict(self.result)
        details = error.details() if error is not None else None
        if details:
            result["error"] = details
        self.ansible_module.fail_json(msg=msg, **result)

    def execute(self, run: Callable[["APIModule"], Mapping[str, Any]]) -> None:
        """Run the module's logic and exit with its result, or fail with the API's error."""
        try:
            result = run(self)
        except APIError as exc:
            self.fail(exc.message, exc)
        self.ansible_module.exit_json(**result)
