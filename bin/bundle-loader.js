/**
 * Runs the CommonJS CLI bundle (dist/cli/commands/cli.bundle.cjs) through
 * vm.Script with V8's code cache beside it: Node 20 has none for ES modules,
 * and compiling the bundle was most of its load time.
 *
 * `npm run build` writes a cache of every function (writeFullCodeCache), so
 * whichever command runs first, none compiles on the way; a cache made by a
 * `--version` run held so little that a build still took 10 ms longer. When
 * V8 rejects the cache (another Node, another bundle), the run makes a new one
 * after its command, of the functions that command compiled. A read-only
 * install runs without one.
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';

const cachePathOf = (bundlePath) => `${bundlePath}.v8-cache`;

function compile(bundlePath, cachedData) {
  const source = readFileSync(bundlePath, 'utf8');
  return new vm.Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, {
    filename: bundlePath,
    cachedData,
  });
}

function writeAtomically(path, data) {
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, data);
  renameSync(temp, path);
}

export function loadBundle(bundlePath) {
  const cachePath = cachePathOf(bundlePath);
  let cachedData;
  try {
    cachedData = readFileSync(cachePath);
  } catch {
    // none yet
  }
  const script = compile(bundlePath, cachedData);
  const module = { exports: {} };
  script.runInThisContext()(module.exports, createRequire(bundlePath), module, bundlePath, dirname(bundlePath));
  const writeCache = cachedData === undefined || script.cachedDataRejected === true;
  return {
    main: module.exports.main,
    saveCodeCache() {
      if (!writeCache) return;
      try {
        writeAtomically(cachePath, script.createCachedData());
      } catch {
        // not writable: the next run compiles again
      }
    },
  };
}

/** The cache with every function compiled, as `npm run build` writes it. */
export function writeFullCodeCache(bundlePath) {
  v8.setFlagsFromString('--no-lazy');
  let script;
  try {
    script = compile(bundlePath, undefined);
  } finally {
    // V8 stamps the cache with the flags in force when it is made; runs use the default.
    v8.setFlagsFromString('--lazy');
  }
  writeAtomically(cachePathOf(bundlePath), script.createCachedData());
}
