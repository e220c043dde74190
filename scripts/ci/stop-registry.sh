#!/usr/bin/env bash
# Stops the docker-registry that start-registry.sh started: only the pid it
# recorded, never anything matched by name. Removes its data dir too, unless
# LAYERLAB_REGISTRY_KEEP_DATA is set.
set -euo pipefail

state="${LAYERLAB_REGISTRY_STATE:-/tmp/layerlab-ci-registry}"
pidfile="$state/registry.pid"

if [ ! -f "$pidfile" ]; then
  echo "stop-registry: no pid file at $pidfile; nothing of ours to stop"
  exit 0
fi
pid="$(cat "$pidfile")"
if kill -0 "$pid" 2>/dev/null; then
  kill "$pid"
  for _ in $(seq 1 50); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then kill -9 "$pid" 2>/dev/null || true; fi
  echo "stop-registry: stopped docker-registry pid $pid"
else
  echo "stop-registry: pid $pid had already exited"
fi
rm -f "$pidfile"
if [ -z "${LAYERLAB_REGISTRY_KEEP_DATA:-}" ]; then
  rm -rf "$state/data"
fi
