#!/usr/bin/env bash
# ansible-test needs the collection under ansible_collections/<ns>/<name>: run it on a copy of the
# files git would ship (tracked or new, not ignored).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
export PATH="$ROOT/.venv/bin:$PATH"
# Outside the work tree: inside it git would call every copied file ignored and ansible-test would skip them.
DEST="${TMPDIR:-/tmp}/llmops-sanity/ansible_collections/llmops/litellm"
rm -rf "$DEST"
mkdir -p "$DEST"
cd "$ROOT"
# Third-party exports kept verbatim as test inputs (tests/fixtures/real-world, with their typography)
# are data, not collection content: they stay out of the sanity copy.
git ls-files -z --cached --others --exclude-standard | while IFS= read -r -d '' f; do
  case "$f" in tests/fixtures/real-world/*) continue ;; esac
  [ -e "$f" ] && printf '%s\0' "$f"
done | tar --null --no-recursion -T - -cf - | tar -C "$DEST" -xf -
cd "$DEST"
# ansible-test downloads pip's bootstrap script unless it finds it in its cache.
bash "$ROOT/scripts/ansible-test-offline-cache.sh"
# SANITY_ARGS is a list of options (e.g. "--test pylint --test yamllint"): split on purpose.
# shellcheck disable=SC2086
exec ansible-test sanity --python 3.11 --color no ${SANITY_ARGS:-}
