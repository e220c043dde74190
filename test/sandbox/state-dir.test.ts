/**
 * Where runs keep their state by default: the user's runtime dir, else
 * /dev/shm, else $TMPDIR; never a dir another user owns. The choice is made
 * once per process, so each case runs in a fresh node process on the
 * compiled sandbox.
 */
import { execFileSync } from 'node:child_process';
import { chownSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { makeTempDir } from './busybox-rootfs.js';
import { compileSandbox } from './compiled-sandbox.js';

let entry: string;
let base: string;
const uid = process.getuid?.() ?? 0;

beforeAll(() => {
  entry = compileSandbox();
  base = makeTempDir('state-dir');
}, 120_000);
afterAll(() => {
  rmSync(dirname(entry), { recursive: true, force: true });
  rmSync(base, { recursive: true, force: true });
});

function defaultStateDirWith(env: Record<string, string | undefined>): string {
  const program = `import { defaultStateDir } from ${JSON.stringify(entry)}; process.stdout.write(defaultStateDir());`;
  const childEnv: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...process.env, ...env })) if (v !== undefined) childEnv[k] = v;
  return execFileSync(process.execPath, ['--input-type=module', '-e', program], { env: childEnv, encoding: 'utf8' });
}

function isPrivateDirOfMine(dir: string): boolean {
  const st = statSync(dir);
  return st.isDirectory() && st.uid === uid && (st.mode & 0o777) === 0o700;
}

test('the runtime dir when it is the user\'s own', () => {
  const runtime = join(base, 'runtime-own');
  mkdirSync(runtime, { mode: 0o700 });
  const dir = defaultStateDirWith({ XDG_RUNTIME_DIR: runtime });
  expect(dir).toBe(join(runtime, 'layerlab-sandbox'));
  expect(isPrivateDirOfMine(dir)).toBe(true);
});

test.skipIf(uid !== 0)('another user\'s runtime dir is passed over for /dev/shm', () => {
  const runtime = join(base, 'runtime-other');
  mkdirSync(runtime, { mode: 0o700 });
  chownSync(runtime, 65534, 65534);
  const dir = defaultStateDirWith({ XDG_RUNTIME_DIR: runtime });
  expect(dir).toBe(`/dev/shm/layerlab-sandbox-${uid}`);
  expect(isPrivateDirOfMine(dir)).toBe(true);
});

test('without a runtime dir: /dev/shm', () => {
  const dir = defaultStateDirWith({ XDG_RUNTIME_DIR: undefined });
  expect(dir).toBe(`/dev/shm/layerlab-sandbox-${uid}`);
  expect(isPrivateDirOfMine(dir)).toBe(true);
});

test('a state dir someone opened up (or planted) is not used', () => {
  const runtime = join(base, 'runtime-opened');
  mkdirSync(join(runtime, 'layerlab-sandbox'), { recursive: true });
  execFileSync('chmod', ['0700', runtime]);
  execFileSync('chmod', ['0777', join(runtime, 'layerlab-sandbox')]);
  expect(defaultStateDirWith({ XDG_RUNTIME_DIR: runtime })).toBe(`/dev/shm/layerlab-sandbox-${uid}`);
});
