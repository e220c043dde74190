#!/usr/bin/env bash
# Compiles and runs bench/tui.ts (see its header) after building layerlab.
# Prints figures, asserts nothing.
exec "$(dirname "$0")/run-ts.sh" tui "$@"
