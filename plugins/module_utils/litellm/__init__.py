# -*- coding: utf-8 -*-
# Copyright: (c) 2026, llmops maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""LiteLLM management API support, one module per concern.

- ``client``: the HTTP client of the management API and its error type;
- ``module``: ``LiteLLMModule``, the base of every ``litellm_*`` module (connection options, client);
- ``validation``: input checks shared by keys, teams and budgets (durations, numbers, clear_fields);
- ``metadata``: the ownership marker and the metadata keys LiteLLM writes itself;
- ``lookups``: the server-side references a declaration may name (models, teams, budgets);
- ``plan``: the shape of a plan (what to create, update or delete, the diff, the writes);
- ``keys``, ``teams``, ``budgets``: options, comparable fields, plan and public view of each object.
"""
