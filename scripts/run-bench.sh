#!/usr/bin/env bash
# Benchmarks: each prints figures or ratios; none passes or fails on time.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
export PATH="$ROOT/.venv/bin:$PATH"
export LLMOPS_COLLECTIONS_DIR="${LLMOPS_COLLECTIONS_DIR:-$ROOT/.cache/collections}"
export ANSIBLE_COLLECTIONS_PATH="$LLMOPS_COLLECTIONS_DIR:$ROOT/.venv/lib/python3.11/site-packages"
export ANSIBLE_CONFIG="$ROOT/tests/ansible.cfg"
# `run-bench.sh [keys|stack|converge]...` runs only those. BENCH_BEFORE names the commit the
# converge benchmark compares this checkout with (default: the last commit before the role contract).
BENCH_BEFORE="${BENCH_BEFORE:-2af38a7}"
names=("$@")
[ ${#names[@]} -gt 0 ] || names=(keys stack converge)
for name in "${names[@]}"; do
  case "$name" in
    keys)
      echo "=== LiteLLM keys: bulk reconcile of 1,000 keys (simulator)"
      python tests/bench/bench_litellm_keys.py ;;
    stack)
      echo "=== Stack: converge, no-op re-converge, scrape cost"
      python tests/bench/bench_stack.py ;;
    converge)
      echo "=== No-op re-converge: this checkout against $BENCH_BEFORE (same machine, same run)"
      python tests/bench/bench_converge.py --before "$BENCH_BEFORE" --runs "${BENCH_RUNS:-3}" ;;
    *) echo "unknown benchmark: $name (keys stack converge)" >&2; exit 2 ;;
  esac
  echo
done
