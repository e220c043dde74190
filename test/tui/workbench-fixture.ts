/**
 * A private copy of examples/ and a private store holding the example's base
 * image (scripts/make-example-base.sh), so pty tests can edit the Dockerfile
 * and build without touching the user's store. Also the leftover checks:
 * mounts and processes that mention the fixture's paths.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = fileURLToPath(new URL('../..', import.meta.url));

export interface WorkbenchFixture {
  dir: string;
  store: string;
  context: string;
  dockerfile: string;
  env: Record<string, string>;
  cleanup(): void;
}

/** The compiled CLI the pty tests start; `npm test` builds it before vitest runs. */
export function requireBuiltCli(): void {
  for (const file of ['dist/cli/main.js', 'dist/tui/run-tui.js', 'dist/engine/session.js']) {
    if (!existsSync(join(REPO, file))) {
      throw new Error(`${file} is missing: build first with \`npx tsc -p tsconfig.build.json\` (npm test does it)`);
    }
  }
}

export function makeWorkbenchFixture(): WorkbenchFixture {
  requireBuiltCli();
  const dir = mkdtempSync(join(tmpdir(), 'layerlab-tui-'));
  const store = join(dir, 'store');
  const context = join(dir, 'examples');
  cpSync(join(REPO, 'examples'), context, { recursive: true });
  execFileSync('bash', [join(REPO, 'scripts/make-example-base.sh'), '--root', store], { stdio: 'pipe' });
  return {
    dir,
    store,
    context,
    dockerfile: join(context, 'Dockerfile'),
    env: { LAYERLAB_ROOT: store },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Mount lines of this process's view that mention `path`. */
export function mountsMentioning(path: string): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter((line) => line.includes(path));
}

/** Processes whose command line or environment mentions `path` (the store of one test). */
export function processesMentioning(path: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replace(/\0/g, ' ');
      let environ = '';
      try {
        environ = readFileSync(`/proc/${entry}/environ`, 'utf8');
      } catch {
        // Not ours to read: not ours either.
      }
      if (cmdline.includes(path) || environ.includes(path)) found.push(`${entry}: ${cmdline}`);
    } catch {
      // The process ended while we looked.
    }
  }
  return found;
}
