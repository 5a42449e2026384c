#!/usr/bin/env bash
# Make sure a Docker engine answers. Starts Debian's dockerd in the background when
# none runs, installing the docker.io package first when it is missing and we are root.
set -euo pipefail

docker info >/dev/null 2>&1 && exit 0

if ! command -v dockerd >/dev/null; then
  if [[ $(id -u) -ne 0 ]]; then
    echo "engine.sh: no Docker engine and dockerd is not installed; as root run: apt-get install docker.io" >&2
    exit 1
  fi
  echo "engine.sh: installing Debian's docker.io" >&2
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker.io >&2
fi

log=${DOCKERD_LOG:-/var/log/dockerd.log}
echo "engine.sh: starting dockerd (log: $log)" >&2
# setsid: the engine must outlive the make that started it.
setsid dockerd >>"$log" 2>&1 </dev/null &

for _ in $(seq 60); do
  docker info >/dev/null 2>&1 && exit 0
  sleep 1
done
echo "engine.sh: dockerd did not answer within 60 s; see $log" >&2
exit 1
