#!/bin/sh
":" //; [ -n "${NODE_EXTRA_CA_CERTS-}" ] && case "${NODE_OPTIONS-}" in *openssl-ca*) false ;; esac && { LAYERLAB_DEFERRED_EXTRA_CA_CERTS=$NODE_EXTRA_CA_CERTS; export LAYERLAB_DEFERRED_EXTRA_CA_CERTS; unset NODE_EXTRA_CA_CERTS; }
":" //; exec node "$0" "$@"
// Run as a program, the two lines above are sh: Node 20 parses every certificate in NODE_EXTRA_CA_CERTS
// before any script runs (40 ms on a machine that names the system bundle), so Node starts without it and
// src/image/trusted-fetch.ts trusts the file at the first HTTPS request. Child processes get it back.
// To Node they are two string statements.
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

const deferredExtraCaCerts = process.env.LAYERLAB_DEFERRED_EXTRA_CA_CERTS;
if (deferredExtraCaCerts !== undefined) {
  delete process.env.LAYERLAB_DEFERRED_EXTRA_CA_CERTS;
  process.env.NODE_EXTRA_CA_CERTS = deferredExtraCaCerts;
  globalThis[Symbol.for('layerlab.deferredExtraCaCerts')] = deferredExtraCaCerts;
}

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
