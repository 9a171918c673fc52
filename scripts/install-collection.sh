#!/usr/bin/env bash
# Builds the collection tarball and installs it offline into .cache/collections, the way a user
# installs a release (a build takes about two seconds, so it is simply redone).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
VENV="$ROOT/.venv"
DIST="$ROOT/.cache/dist"
DEST="${LLMOPS_COLLECTIONS_DIR:-$ROOT/.cache/collections}"
mkdir -p "$DIST" "$DEST"
cd "$ROOT"
export ANSIBLE_COLLECTIONS_PATH="$DEST:$VENV/lib/python3.11/site-packages"
version="$(awk '/^version:/ {print $2}' galaxy.yml)"
tarball="$DIST/llmops-litellm-$version.tar.gz"
rm -f "$tarball"
"$VENV/bin/ansible-galaxy" collection build --force --output-path "$DIST" . >/dev/null
"$VENV/bin/ansible-galaxy" collection install --offline --force -p "$DEST" "$tarball" >/dev/null
echo "collection: built $(basename "$tarball") and installed it into $DEST"
