#!/usr/bin/env bash
# Compiles and runs bench/change-detect.ts (see its header). Prints figures, asserts nothing.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
out="$(mktemp -d /tmp/layerlab-bench-change-detect-js-XXXXXX)"
trap 'rm -rf "$out"' EXIT
"$repo/node_modules/.bin/tsc" --outDir "$out" --rootDir "$repo" --module NodeNext --moduleResolution NodeNext \
  --target ES2022 --strict --skipLibCheck --types node "$repo/bench/change-detect.ts"
ln -s "$repo/node_modules" "$out/node_modules"
# The native xattr reader, where npm ci built it (else getfattr is used, as without it).
[ -d "$repo/build" ] && ln -s "$repo/build" "$out/build"
printf '{"type":"module"}\n' > "$out/package.json"
node "$out/bench/change-detect.js" "$@"
