/**
 * Tests that run `bin/layerlab.js` need dist/ to match src/. `npm test`
 * builds first; a single test file run by hand rebuilds only when a source
 * file is newer than the build, so most runs skip the 10-20 s of tsc.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

export const layerlabBin = join(process.cwd(), 'bin', 'layerlab.js');

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

export function ensureBuilt(): void {
  let built = 0;
  try {
    built = statSync(join(process.cwd(), 'dist', 'cli', 'main.js')).mtimeMs;
  } catch {
    built = 0;
  }
  if (built >= newestMtime(join(process.cwd(), 'src'))) return;
  execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { stdio: 'ignore' });
}
