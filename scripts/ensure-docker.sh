#!/usr/bin/env bash
# Makes sure a Docker engine answers. Installs Debian's docker.io when the client or daemon is
# missing, and starts dockerd itself when no service manager does (containers, CI).
set -euo pipefail
log=/var/log/llmops-dockerd.log

if docker info >/dev/null 2>&1; then
  echo "docker: engine running ($(docker info --format '{{.ServerVersion}}'))"
  exit 0
fi
if ! command -v dockerd >/dev/null 2>&1; then
  echo "docker: installing Debian docker.io"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker.io >/dev/null
fi
if command -v systemctl >/dev/null 2>&1 && [ "$(ps -p 1 -o comm=)" = systemd ]; then
  echo "docker: starting docker.service"
  systemctl start docker
else
  echo "docker: no service manager runs dockerd here; starting it in the background (log: $log)"
  nohup dockerd >"$log" 2>&1 &
fi
for _ in $(seq 1 60); do
  docker info >/dev/null 2>&1 && { echo "docker: engine running ($(docker info --format '{{.ServerVersion}}'))"; exit 0; }
  sleep 1
done
echo "docker: the engine did not answer within 60 s; see $log" >&2
exit 1
