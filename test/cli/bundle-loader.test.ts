/**
 * bin/layerlab.js runs the CommonJS CLI bundle with V8's code cache beside
 * it: written by the build with every function, made by a run when missing,
 * used as is after that, and made again when it cannot be used. A bad cache
 * file must never break a command.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, layerlabBin } from '../helpers/built-cli.js';

const bundle = join(process.cwd(), 'dist', 'cli', 'commands', 'cli.bundle.cjs');
const cache = `${bundle}.v8-cache`;

function version(): string {
  return execFileSync(process.execPath, [layerlabBin, '--version'], { encoding: 'utf8' });
}

beforeAll(() => {
  ensureBuilt();
  const mtime = (p: string) => {
    try {
      return statSync(p).mtimeMs;
    } catch {
      return -1;
    }
  };
  if (mtime(bundle) < mtime(join(process.cwd(), 'dist', 'cli', 'main.js'))) {
    execFileSync(process.execPath, [join(process.cwd(), 'dist', 'cli', 'build-bundle.js')], { stdio: 'ignore' });
  }
}, 60_000);

async function writeFullCodeCache(): Promise<void> {
  const loader = (await import(pathToFileURL(join(process.cwd(), 'bin', 'bundle-loader.js')).href)) as {
    writeFullCodeCache(path: string): void;
  };
  loader.writeFullCodeCache(bundle);
}

// Leave the cache as the build made it, for whatever runs next.
afterAll(writeFullCodeCache);

describe('the CLI bundle loader', () => {
  it("uses the build's cache of every function as it is", async () => {
    await writeFullCodeCache();
    const full = statSync(cache);
    expect(version()).toMatch(/^layerlab /);
    expect(statSync(cache).mtimeMs).toBe(full.mtimeMs);
    expect(statSync(cache).size).toBe(full.size);
  });

  it('makes the code cache on the first run and keeps it on the next', () => {
    rmSync(cache, { force: true });
    expect(version()).toMatch(/^layerlab \d+\.\d+\.\d+\n$/);
    const made = readFileSync(cache);
    expect(made.length).toBeGreaterThan(10_000);
    const madeAt = statSync(cache).mtimeMs;
    expect(version()).toMatch(/^layerlab /);
    expect(statSync(cache).mtimeMs).toBe(madeAt);
  });

  it('runs with a corrupt cache and replaces it', () => {
    writeFileSync(cache, Buffer.from('not a V8 code cache'));
    expect(version()).toMatch(/^layerlab \d+\.\d+\.\d+\n$/);
    const replaced = readFileSync(cache);
    expect(replaced.toString('latin1')).not.toBe('not a V8 code cache');
    expect(replaced.length).toBeGreaterThan(10_000);
  });
});
