#!/usr/bin/env node
import { readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';

const here = (relative) => fileURLToPath(new URL(relative, import.meta.url));
const mtime = (path) => {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return -1;
  }
};

/**
 * The one-file CommonJS bundle, compiled with V8's code cache: Node 20 has
 * none for ES modules, and compiling the bundle was most of its load time.
 * The cache sits beside the bundle; it is made on the first run (after the
 * command, so it holds the functions the command compiled), and again when
 * V8 rejects it (another Node, another bundle). A read-only install just runs
 * without one.
 */
function loadBundle(path) {
  const source = readFileSync(path, 'utf8');
  const cachePath = `${path}.v8-cache`;
  let cachedData;
  try {
    cachedData = readFileSync(cachePath);
  } catch {
    // none yet
  }
  const script = new vm.Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, {
    filename: path,
    cachedData,
  });
  const module = { exports: {} };
  script.runInThisContext()(module.exports, createRequire(path), module, path, dirname(path));
  const writeCache = cachedData === undefined || script.cachedDataRejected === true;
  return {
    main: module.exports.main,
    saveCodeCache() {
      if (!writeCache) return;
      try {
        const temp = `${cachePath}.${process.pid}.tmp`;
        writeFileSync(temp, script.createCachedData());
        renameSync(temp, cachePath);
      } catch {
        // not writable: the next run compiles again
      }
    },
  };
}

// vm code cannot import(); the bundle loads the workbench's ES modules through this (src/cli/esm-import.ts).
globalThis[Symbol.for('layerlab.importEsm')] = (href) => import(href);

const bundlePath = here('../dist/cli/commands/cli.bundle.cjs');
// A bundle older than tsc's output is stale.
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
