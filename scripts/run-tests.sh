#!/usr/bin/env bash
# The stage_* functions are called by name from run_stage, which shellcheck cannot follow.
# shellcheck disable=SC2317
# The whole test suite, in order: lint, unit, integration (API simulators, query-engine stand-in),
# alert rules, Molecule (converge, idempotence, verify), live (the LiteLLM integration suite again,
# against the Molecule stack's database-backed proxy), teardown (the Molecule stack removed).
# `run-tests.sh STAGE...` runs only those stages. Exits non-zero when any stage fails, after
# printing a timing table.
set -uo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT" || exit 1
VENV="$ROOT/.venv"
export PATH="$VENV/bin:$PATH"
export LLMOPS_COLLECTIONS_DIR="${LLMOPS_COLLECTIONS_DIR:-$ROOT/.cache/collections}"
export ANSIBLE_COLLECTIONS_PATH="$LLMOPS_COLLECTIONS_DIR:$VENV/lib/python3.11/site-packages"
export ANSIBLE_CONFIG="$ROOT/tests/ansible.cfg"
export PYTHONDONTWRITEBYTECODE=1
OUT="$ROOT/tests/output"
mkdir -p "$OUT"

stages=("$@")
[ ${#stages[@]} -gt 0 ] || stages=(lint unit integration rules molecule live teardown)

declare -a summary
failed=0

run_stage() {
  local name="$1"; shift
  local start end rc
  echo
  echo "=================== $name ==================="
  start=$(date +%s)
  "$@"
  rc=$?
  end=$(date +%s)
  summary+=("$(printf '%-12s %-6s %5ss' "$name" "$([ $rc -eq 0 ] && echo ok || echo FAIL)" $((end - start)))")
  [ $rc -eq 0 ] || failed=1
}

# pytest exits 5 when it collected nothing: that is a broken suite, not a pass.
pytest_stage() {
  local junit="$1"; shift
  pytest -p no:cacheprovider --junitxml="$OUT/$junit.xml" "$@"
}

stage_lint() { bash "$ROOT/scripts/lint.sh"; }
stage_unit() { pytest_stage unit tests/unit tests/sim tests/roles; }
stage_integration() { pytest_stage integration tests/integration; }
stage_rules() { pytest_stage rules tests/rules tests/alertmanager tests/dashboards; }
# The scenario's sequence ends after verify: the live stage uses the stack, teardown removes it.
stage_molecule() { (cd "$ROOT" && molecule test -s default --destroy never); }
# The same LiteLLM suite as the integration stage, against the Molecule stack's proxy (its own
# disposable database, so the cases that block keys beyond the suite's own run too).
stage_live() {
  local hv="$ROOT/molecule/default/host_vars/localhost.yml" name port body
  name=$(python -c 'import sys, yaml; print(yaml.safe_load(open(sys.argv[1]))["llmops_stack_name"])' "$hv")
  port=$(python -c 'import sys, yaml; print(yaml.safe_load(open(sys.argv[1]))["proxy_port"])' "$hv")
  body="/etc/llmops/$name/local-secrets/proxy_master_key_body"
  [ -r "$body" ] || { echo "live: $body is missing: the molecule stage did not bring the stack up"; return 1; }
  LITELLM_API_BASE="http://127.0.0.1:$port" LITELLM_MASTER_KEY="sk-$(cat "$body")" \
    LITELLM_IT_MODELS=fake-gpt,fake-gpt-mini LITELLM_IT_DESTRUCTIVE=1 \
    pytest_stage live tests/integration/litellm
}
stage_teardown() { (cd "$ROOT" && molecule cleanup -s default); }

for s in "${stages[@]}"; do
  case "$s" in
    lint|unit|integration|rules|molecule|live|teardown) run_stage "$s" "stage_$s" ;;
    *) echo "unknown stage: $s (lint unit integration rules molecule live teardown)" >&2; exit 2 ;;
  esac
done

echo
echo "=================== summary ==================="
printf '%s\n' "${summary[@]}"
exit $failed
