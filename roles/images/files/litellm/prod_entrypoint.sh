#!/bin/sh
# Same path and contract as the official LiteLLM image: every argument goes to the litellm CLI.
exec litellm "$@"
