/**
 * Failing file steps clean up after themselves on each of their paths: as
 * root in-process (host mounts), as root in the file-step worker
 * (LAYERLAB_FILE_STEP_WORKER=1) and rootless (the worker in a user
 * namespace, as a throwaway user with subordinate ids). Each failure reads
 * the same on every path (the worker's COPY errors arrive as the same
 * classes), and leaves no mount, no dir in the store's tmp and no worker.
 *
 * Runs the built CLI (dist/, `npm run build`) as root.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { waitFor } from '../sandbox/leftovers.js';

const repo = resolve(import.meta.dirname, '../..');
const cli = join(repo, 'bin/layerlab.js');
const canRun = process.getuid?.() === 0 && existsSync(join(repo, 'dist/engine/file-step-worker.js'));
const canRunRootless = canRun && spawnSync('newuidmap', ['--help']).error === undefined;
const userName = `llcln${process.pid % 100000}`;

interface Path {
  name: string;
  user?: { uid: number; gid: number };
  env: Record<string, string>;
  store: string;
}

let base: string;
const paths: Path[] = [];

function mountsUnderBase(): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[4] ?? '')
    .filter((p) => p.startsWith(`${base}/`));
}

/** Live processes started with this store (the worker inherits layerlab's environment). */
function processesOfStore(store: string): number[] {
  const needle = `LAYERLAB_ROOT=${store}\0`;
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/environ`, 'utf8').includes(needle)) found.push(Number(entry));
    } catch {
      // gone, or not readable
    }
  }
  return found;
}

function makePath(name: string, user?: { uid: number; gid: number }, extraEnv: Record<string, string> = {}): Path {
  const store = join(base, `store-${name}`);
  mkdirSync(join(store, 'tmpdir'), { recursive: true });
  if (user) execFileSync('chown', ['-R', `${user.uid}:${user.gid}`, store]);
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: store, TMPDIR: join(store, 'tmpdir'), LAYERLAB_ROOT: store, ...extraEnv };
  const script = join(repo, 'scripts/make-example-base.sh');
  const [command, args] = user
    ? ['setpriv', ['--reuid', String(user.uid), '--regid', String(user.gid), '--init-groups', script, '--root', store]]
    : [script, ['--root', store]];
  execFileSync(command, args as string[], { env, cwd: repo, stdio: ['ignore', 'ignore', 'inherit'] });
  return { name, user, env, store };
}

function build(path: Path, context: string): { status: number | null; failure?: string; stdout: string; stderr: string } {
  const argv = [cli, 'build', '--no-cache', '--progress', 'json', context];
  const result = path.user
    ? spawnSync('setpriv', ['--reuid', String(path.user.uid), '--regid', String(path.user.gid), '--init-groups', process.execPath, ...argv], {
        env: path.env,
        cwd: '/',
        encoding: 'utf8',
      })
    : spawnSync(process.execPath, argv, { env: path.env, cwd: '/', encoding: 'utf8' });
  const failed = result.stdout.split('\n').find((l) => l.includes('"step-failed"'));
  return {
    status: result.status,
    failure: failed ? (JSON.parse(failed) as { message: string }).message : undefined,
    stdout: result.stdout,
    stderr: result.stderr,
  };
}

function context(name: string, dockerfile: string, files: Record<string, string> = {}): string {
  const dir = join(base, `ctx-${name}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'Dockerfile'), dockerfile);
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(join(dir, file, '..'), { recursive: true });
    writeFileSync(join(dir, file), text);
  }
  execFileSync('chmod', ['-R', 'a+rX', dir]);
  return dir;
}

const failures: Array<{ name: string; dockerfile: string; files?: Record<string, string>; message: RegExp }> = [
  {
    name: 'missing-source',
    dockerfile: 'FROM layerlab/busybox:latest\nCOPY nothing-here /x\n',
    message: /Dockerfile:2: COPY failed: .*nothing-here/,
  },
  {
    name: 'file-over-dir-parent',
    // /etc/passwd is a file: a directory cannot be made below it.
    dockerfile: 'FROM layerlab/busybox:latest\nCOPY a.txt /etc/passwd/sub/\n',
    files: { 'a.txt': 'a\n' },
    message: /Dockerfile:2: COPY failed: lstat \/etc\/passwd\/sub: not a directory$/,
  },
  {
    name: 'from-stage-missing',
    dockerfile: 'FROM layerlab/busybox:latest AS src\nRUN mkdir /s\nFROM layerlab/busybox:latest\nCOPY --from=src /s/missing /x\n',
    message: /Dockerfile:4: COPY failed: .*\/s\/missing/,
  },
  {
    name: 'workdir-over-file',
    dockerfile: 'FROM layerlab/busybox:latest\nWORKDIR /etc/passwd/inside\n',
    message: /Dockerfile:2: WORKDIR \/etc\/passwd\/inside: cannot create the directory: lstat \/etc\/passwd\/inside: not a directory$/,
  },
];

describe.skipIf(!canRun)('failing file steps clean up', () => {
  beforeAll(() => {
    base = mkdtempSync(join(tmpdir(), 'layerlab-cleanup-'));
    chmodSync(base, 0o755);
    paths.push(makePath('root-in-process'));
    paths.push(makePath('root-worker', undefined, { LAYERLAB_FILE_STEP_WORKER: '1' }));
    if (canRunRootless) {
      execFileSync('useradd', ['--no-create-home', '--shell', '/bin/sh', userName]);
      if (!readFileSync('/etc/subuid', 'utf8').split('\n').some((l) => l.startsWith(`${userName}:`))) {
        execFileSync('usermod', ['--add-subuids', '600000-665535', '--add-subgids', '600000-665535', userName]);
      }
      const id = (flag: string) => Number(execFileSync('id', [flag, userName], { encoding: 'utf8' }));
      paths.push(makePath('rootless', { uid: id('-u'), gid: id('-g') }));
    }
  }, 120_000);

  afterAll(() => {
    if (canRunRootless) {
      for (const [file, flag] of [['/etc/subuid', '--del-subuids'], ['/etc/subgid', '--del-subgids']] as const) {
        const line = readFileSync(file, 'utf8').split('\n').find((l) => l.startsWith(`${userName}:`));
        if (line) {
          const [, start, count] = line.split(':').map(Number);
          spawnSync('usermod', [flag, `${start}-${start! + count! - 1}`, userName]);
        }
      }
      spawnSync('userdel', [userName]);
    }
    if (base) rmSync(base, { recursive: true, force: true });
  });

  for (const failure of failures) {
    test(failure.name, async () => {
      const dir = context(failure.name, failure.dockerfile, failure.files);
      const mounts = mountsUnderBase();
      const messages = new Map<string, string | undefined>();
      for (const path of paths) {
        const result = build(path, dir);
        expect(result.status, `${path.name}: ${result.stderr}`).toBe(2);
        expect(result.failure, path.name).toMatch(failure.message);
        messages.set(path.name, result.failure);
        // A user error, not a fault of ours: no stack in the log.
        expect(result.stdout, path.name).not.toContain('    at ');
        expect(mountsUnderBase(), path.name).toEqual(mounts);
        expect(readdirSync(join(path.store, 'tmp')), path.name).toEqual([]);
        expect(await waitFor(() => processesOfStore(path.store).length === 0), path.name).toBe(true);
      }
      expect(new Set(messages.values()).size, JSON.stringify([...messages])).toBe(1);
    }, 120_000);
  }
});
