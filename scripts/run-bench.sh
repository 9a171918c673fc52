#!/usr/bin/env bash
# Benchmarks: each prints figures or ratios; none passes or fails on time.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
export PATH="$ROOT/.venv/bin:$PATH"
export LLMOPS_COLLECTIONS_DIR="${LLMOPS_COLLECTIONS_DIR:-$ROOT/.cache/collections}"
export ANSIBLE_COLLECTIONS_PATH="$LLMOPS_COLLECTIONS_DIR:$ROOT/.venv/lib/python3.11/site-packages"
export ANSIBLE_CONFIG="$ROOT/tests/ansible.cfg"
echo "=== LiteLLM keys: bulk reconcile of 1,000 keys (simulator)"
python tests/bench/bench_litellm_keys.py
echo
echo "=== Stack: converge, no-op re-converge, scrape cost"
python tests/bench/bench_stack.py
