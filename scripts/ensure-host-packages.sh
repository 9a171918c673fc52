#!/usr/bin/env bash
# Installs the Debian packages the set-up and the test suite need on this host, when missing:
# python3-venv (the project venv), nodejs (the query-engine stand-in's JavaScript tests and its
# migration tests), postgresql (a throwaway server for those tests), and ShellCheck (without it,
# ansible-test skips its ShellCheck test instead of failing). Docker is scripts/ensure-docker.sh's.
set -euo pipefail

missing=()
python3 -c 'import ensurepip, venv' >/dev/null 2>&1 || missing+=(python3-venv)
command -v node >/dev/null 2>&1 || missing+=(nodejs)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
command -v shellcheck >/dev/null 2>&1 || missing+=(shellcheck)

if [ ${#missing[@]} -eq 0 ]; then
  echo "packages: python3-venv, nodejs, postgresql, shellcheck present"
  exit 0
fi
echo "packages: installing ${missing[*]}"
# The tests start their own throwaway server: no cluster that would run for good on port 5432.
if [[ " ${missing[*]} " == *" postgresql "* ]] && [ ! -e /etc/postgresql-common/createcluster.conf ]; then
  mkdir -p /etc/postgresql-common
  echo "create_main_cluster = false" > /etc/postgresql-common/createcluster.conf
fi
apt-get update -qq
# Any of python3-venv, nodejs, postgresql, shellcheck found missing above.
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
