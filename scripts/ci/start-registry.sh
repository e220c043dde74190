#!/usr/bin/env bash
# Starts Debian's docker-registry (distribution 2.x) in the background for the
# tests: plain HTTP on 127.0.0.1:5000 (or $LAYERLAB_TEST_REGISTRY), storage in
# a temp dir, deletes enabled. Writes its pid so stop-registry.sh can end
# exactly this process and nothing else.
#
# State dir: $LAYERLAB_REGISTRY_STATE (default /tmp/layerlab-ci-registry)
#   config.yml, data/, registry.log, registry.pid
set -euo pipefail

addr="${LAYERLAB_TEST_REGISTRY:-127.0.0.1:5000}"
state="${LAYERLAB_REGISTRY_STATE:-/tmp/layerlab-ci-registry}"
bin="${DOCKER_REGISTRY_BIN:-/usr/bin/docker-registry}"

if curl -sf "http://$addr/v2/" >/dev/null 2>&1; then
  echo "start-registry: a registry already answers on $addr; using it (not started by us)"
  exit 0
fi
if [ ! -x "$bin" ]; then
  echo "start-registry: $bin not found (apt-get install docker-registry)" >&2
  exit 1
fi

mkdir -p "$state/data"
rm -f "$state/registry.pid"
cat >"$state/config.yml" <<YAML
version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $state/data
  delete:
    enabled: true
  cache:
    blobdescriptor: inmemory
http:
  addr: $addr
  headers:
    X-Content-Type-Options: [nosniff]
YAML

# setsid: its own session, so a Ctrl-C in the caller's terminal does not reach
# it mid-test, and stop-registry.sh decides when it ends.
setsid "$bin" serve "$state/config.yml" >"$state/registry.log" 2>&1 </dev/null &
pid=$!
echo "$pid" >"$state/registry.pid"

for _ in $(seq 1 100); do
  if curl -sf "http://$addr/v2/" >/dev/null 2>&1; then
    echo "start-registry: docker-registry pid $pid answers on http://$addr (data in $state/data)"
    exit 0
  fi
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "start-registry: docker-registry exited early; its log:" >&2
    cat "$state/registry.log" >&2
    rm -f "$state/registry.pid"
    exit 1
  fi
  sleep 0.1
done
echo "start-registry: docker-registry pid $pid did not answer on $addr within 10s; its log:" >&2
cat "$state/registry.log" >&2
kill "$pid" 2>/dev/null || true
rm -f "$state/registry.pid"
exit 1
