#!/usr/bin/env bash
# ansible-test bootstraps pip in its virtualenvs with a get-pip.py it downloads from a host this
# machine cannot reach, unless ~/.ansible/test/cache/get_pip_<version>.py exists. This writes a
# stand-in that bootstraps pip from the interpreter's own ensurepip wheel, then installs what
# ansible-test asked for from the package index, as get-pip.py would.
set -euo pipefail
VENV_PY="$(cd "$(dirname "$0")/.." && pwd)/.venv/bin/python"
version="$("$VENV_PY" -c 'from ansible_test._internal.python_requirements import get_venv_packages
import inspect, re
src = inspect.getsource(get_venv_packages)
print(re.search(r"pip=.([0-9.]+).", src).group(1))')"
cache="$HOME/.ansible/test/cache/get_pip_${version//./_}.py"
grep -q "PIP_CONFIG_FILE" "$cache" 2>/dev/null && exit 0
mkdir -p "$(dirname "$cache")"
cat > "$cache" <<'PY'
"""Offline stand-in for get-pip.py: ensurepip, then `pip install <argv>` as get-pip.py does."""
import ensurepip
import os
import runpy
import sys

GET_PIP_ONLY = {"--no-setuptools", "--no-wheel"}
# ensurepip points PIP_CONFIG_FILE at /dev/null for the rest of the process; the host's pip
# configuration (its CA bundle, above all) must apply to the real install.
saved = os.environ.get("PIP_CONFIG_FILE")
ensurepip.bootstrap(upgrade=True)
os.environ.pop("PIP_CONFIG_FILE", None)
if saved is not None:
    os.environ["PIP_CONFIG_FILE"] = saved
sys.argv = ["pip", "install", *[a for a in sys.argv[1:] if a not in GET_PIP_ONLY]]
runpy.run_module("pip", run_name="__main__", alter_sys=True)
PY
echo "ansible-test: wrote the offline pip bootstrap $cache"
