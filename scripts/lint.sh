#!/usr/bin/env bash
# Static checks: yamllint, ansible-lint (production profile), ruff, role argument specs,
# ansible-test sanity on a copy of the collection laid out as ansible_collections/llmops/litellm.
set -uo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT" || exit 1
export PATH="$ROOT/.venv/bin:$PATH"
rc=0
# ansible-test's shellcheck test is skipped, not failed, without the binary: make sure it runs.
bash "$ROOT/scripts/ensure-host-packages.sh"
step() { echo "--- $1"; shift; "$@" || { echo "FAILED: $*"; rc=1; }; }

step yamllint yamllint -s .
# ansible-lint also reads ~/.ansible/collections, where Molecule installs the collection it tests:
# a copy from another checkout or an older commit would be linted against instead of this one.
step ansible-lint env ANSIBLE_HOME="$ROOT/.cache/ansible-home" ansible-lint --profile production
step "ruff check" ruff check .
step "ruff format" ruff format --check .
step "argument specs" python scripts/check_argument_specs.py
step "ansible-test sanity" bash scripts/sanity.sh
exit $rc
