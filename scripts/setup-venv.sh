#!/usr/bin/env bash
# Creates the project virtualenv with the pinned toolchain. Re-running is a no-op when the
# lock file has not changed since the last successful install.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
VENV="$ROOT/.venv"
LOCK="$ROOT/tests/requirements.lock"
STAMP="$VENV/.requirements.sha256"

bash "$ROOT/scripts/ensure-host-packages.sh"
[ -x "$VENV/bin/python" ] || { echo "setup: creating $VENV"; python3 -m venv "$VENV"; }

want="$(sha256sum "$LOCK" | cut -d' ' -f1)"
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$want" ]; then
  echo "setup: virtualenv up to date ($VENV)"
  exit 0
fi
echo "setup: installing pinned Python packages into $VENV (tests/requirements.lock)"
"$VENV/bin/pip" install -q --disable-pip-version-check -r "$LOCK"
echo "$want" > "$STAMP"
