#!/usr/bin/env node
import { statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadBundle } from './bundle-loader.js';

const here = (relative) => fileURLToPath(new URL(relative, import.meta.url));
const mtime = (path) => {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return -1;
  }
};

// vm code cannot import(); the bundle loads the workbench's ES modules through this (src/cli/esm-import.ts).
globalThis[Symbol.for('layerlab.importEsm')] = (href) => import(href);

const bundlePath = here('../dist/cli/commands/cli.bundle.cjs');
// The one-file bundle starts faster; a bundle older than tsc's output is stale.
const useBundle = mtime(bundlePath) > 0 && mtime(bundlePath) >= mtime(here('../dist/cli/main.js'));
const { main, saveCodeCache } = useBundle ? loadBundle(bundlePath) : { ...(await import('../dist/cli/main.js')), saveCodeCache() {} };

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
    saveCodeCache();
  },
  (err) => {
    process.stderr.write(`layerlab: internal error: ${err && err.stack ? err.stack : err}\n`);
    process.exitCode = 70;
  },
);
