#!/usr/bin/env bash
# Compiles and runs bench/change-detect.ts (see its header). Prints figures, asserts nothing.
exec "$(dirname "$0")/run-ts.sh" change-detect "$@"
