#!/usr/bin/env bash
# Per-RUN overhead breakdown (see bench/run-overhead.ts). Prints medians only.
#   bench/run-overhead.sh [RUNS]      default 30
exec "$(dirname "$0")/run-ts.sh" run-overhead "$@"
