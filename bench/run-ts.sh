#!/usr/bin/env bash
# Compiles bench/NAME.ts (it imports src/ directly) with tsc into a temp dir
# and runs it with ARGS. The bench scripts beside it call this.
#   bench/run-ts.sh NAME [ARGS...]
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
name=$1
shift
out="$(mktemp -d "/tmp/layerlab-bench-$name-js-XXXXXX")"
trap 'rm -rf "$out"' EXIT
"$repo/node_modules/.bin/tsc" --outDir "$out" --rootDir "$repo" --module NodeNext --moduleResolution NodeNext \
  --target ES2022 --strict --skipLibCheck --jsx react-jsx --esModuleInterop --types node "$repo/bench/$name.ts"
# The compiled files import each other only; node_modules stays reachable through a link.
ln -s "$repo/node_modules" "$out/node_modules"
# The native addons (xattrs, mount), where npm ci built them; without them the host tools are used, as in layerlab.
[ -d "$repo/build" ] && ln -s "$repo/build" "$out/build"
printf '{"type":"module"}\n' > "$out/package.json"
node "$out/bench/$name.js" "$@"
