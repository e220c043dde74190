#!/usr/bin/env bash
# Compiles and runs bench/layer-commit.ts (see its header). Prints figures, asserts nothing.
exec "$(dirname "$0")/run-ts.sh" layer-commit "$@"
