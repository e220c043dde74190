#!/usr/bin/env node
import { statSync } from 'node:fs';

// The one-file bundle starts faster; a bundle older than tsc's output is stale.
const mtime = (relative) => {
  try {
    return statSync(new URL(relative, import.meta.url)).mtimeMs;
  } catch {
    return -1;
  }
};
const bundle = mtime('../dist/cli/commands/cli.bundle.js');
const { main } = bundle > 0 && bundle >= mtime('../dist/cli/main.js')
  ? await import('../dist/cli/commands/cli.bundle.js')
  : await import('../dist/cli/main.js');

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`layerlab: internal error: ${err && err.stack ? err.stack : err}\n`);
    process.exitCode = 70;
  },
);
