#!/usr/bin/env bash
# The stage_* functions are called by name from run_stage, which shellcheck cannot follow.
# shellcheck disable=SC2317
# The whole test suite, in order: lint, unit, integration (API simulators), alert rules, Molecule.
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
[ ${#stages[@]} -gt 0 ] || stages=(lint unit integration rules molecule)

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
stage_unit() { pytest_stage unit tests/unit tests/sim; }
stage_integration() { pytest_stage integration tests/integration; }
stage_rules() { pytest_stage rules tests/rules tests/alertmanager tests/dashboards; }
stage_molecule() { (cd "$ROOT" && molecule test -s default); }

for s in "${stages[@]}"; do
  case "$s" in
    lint|unit|integration|rules|molecule) run_stage "$s" "stage_$s" ;;
    *) echo "unknown stage: $s (lint unit integration rules molecule)" >&2; exit 2 ;;
  esac
done

echo
echo "=================== summary ==================="
printf '%s\n' "${summary[@]}"
exit $failed
