#!/usr/bin/env bash
# Per-RUN overhead breakdown (see bench/run-overhead.ts). Prints medians only.
#   bench/run-overhead.sh [RUNS]      default 30
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
out="$(mktemp -d /tmp/layerlab-bench-overhead-js-XXXXXX)"
trap 'rm -rf "$out"' EXIT
"$repo/node_modules/.bin/tsc" --outDir "$out" --rootDir "$repo" --module NodeNext --moduleResolution NodeNext \
  --target ES2022 --strict --skipLibCheck --types node "$repo/bench/run-overhead.ts"
# The compiled files import each other only; node_modules stays reachable through a link.
ln -s "$repo/node_modules" "$out/node_modules"
# The native xattr reader, where npm ci built it (else getfattr is used, as without it).
[ -d "$repo/build" ] && ln -s "$repo/build" "$out/build"
printf '{"type":"module"}\n' > "$out/package.json"
node "$out/bench/run-overhead.js" "$@"
