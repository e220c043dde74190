/**
 * `layerlab build` interrupted: Ctrl-C (SIGINT to its process group, as a
 * terminal sends it) and kill -9 of the layerlab process mid-RUN and
 * mid-COPY. Nothing may stay behind: no process of the build (found by a
 * marker only this test's Dockerfiles carry) and no mount under this test's
 * dirs; a mount the killed COPY left on the host is swept by the next build,
 * which succeeds.
 *
 * Runs the built CLI (dist/, `npm run build`) as root; the rootless case is
 * one more kill -9 mid-COPY as a throwaway user.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { processesWith, waitFor } from '../sandbox/leftovers.js';

const repo = resolve(import.meta.dirname, '../..');
const cli = join(repo, 'bin/layerlab.js');
const canRun = process.getuid?.() === 0 && existsSync(join(repo, 'dist/engine/file-step-worker.js'));
const canRunRootless = canRun && spawnSync('newuidmap', ['--help']).error === undefined;
/** A number only this test run's Dockerfiles contain: `sleep <it>` shows it in every process's cmdline. */
const marker = String(700_000 + (process.pid % 100_000));

let base: string;

/** Mount points under this test's dirs, in this mount namespace. */
function ourMounts(): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[4] ?? '')
    .map((p) => p.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(Number.parseInt(o, 8))))
    .filter((p) => p.startsWith(`${base}/`))
    .sort();
}

/** Live processes whose process group is `pgid` (those a Ctrl-C reaches). */
function processGroupMembers(pgid: number): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // pid (comm) state ppid pgrp …; comm may hold spaces and parentheses.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[2]) === pgid && fields[0] !== 'Z') found.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

function parentOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return undefined;
  }
}

interface RunningBuild {
  child: ChildProcess;
  events: Array<{ type: string; [key: string]: unknown }>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves with the first event that `match` accepts. */
  waitForEvent(match: (e: { type: string; [key: string]: unknown }) => boolean, timeoutMs?: number): Promise<void>;
}

function envFor(storeRoot: string): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin',
    HOME: storeRoot,
    // The sandbox's state dir (run dirs it sweeps) lives under TMPDIR: keep it ours.
    TMPDIR: join(storeRoot, 'tmpdir'),
    LAYERLAB_ROOT: storeRoot,
  };
}

function startBuild(
  storeRoot: string,
  context: string,
  user?: { uid: number; gid: number },
  extraEnv: Record<string, string> = {},
): RunningBuild {
  const argv = [cli, 'build', '--no-cache', '--progress', 'json', context];
  const [command, args] = user
    ? ['setpriv', ['--reuid', String(user.uid), '--regid', String(user.gid), '--init-groups', process.execPath, ...argv]]
    : [process.execPath, argv];
  // Its own process group, like a shell's foreground job.
  const child = spawn(command, args as string[], {
    env: { ...envFor(storeRoot), ...extraEnv },
    cwd: '/',
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const events: RunningBuild['events'] = [];
  const waiters: Array<{ match: (e: RunningBuild['events'][number]) => boolean; resolve: () => void }> = [];
  let partial = '';
  child.stdout!.setEncoding('utf8');
  child.stdout!.on('data', (text: string) => {
    const lines = (partial + text).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      if (!line.startsWith('{')) continue;
      const event = JSON.parse(line) as RunningBuild['events'][number];
      events.push(event);
      for (const w of [...waiters]) {
        if (w.match(event)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve();
        }
      }
    }
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolveExit) =>
    child.once('exit', (code, signal) => resolveExit({ code, signal })),
  );
  return {
    child,
    events,
    exited,
    waitForEvent(match, timeoutMs = 60_000) {
      if (events.some(match)) return Promise.resolve();
      return new Promise<void>((resolveWait, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`no matching event within ${timeoutMs} ms; events: ${JSON.stringify(events)}; stderr: ${stderr}`)),
          timeoutMs,
        );
        waiters.push({
          match,
          resolve: () => {
            clearTimeout(timer);
            resolveWait();
          },
        });
        void exited.then(() => {
          clearTimeout(timer);
          reject(new Error(`the build ended first; events: ${JSON.stringify(events)}; stderr: ${stderr}`));
        });
      });
    },
  };
}

function runBuild(storeRoot: string, context: string, user?: { uid: number; gid: number }) {
  const argv = [cli, 'build', '--progress', 'plain', context];
  return user
    ? spawnSync('setpriv', ['--reuid', String(user.uid), '--regid', String(user.gid), '--init-groups', process.execPath, ...argv], {
        env: envFor(storeRoot),
        cwd: '/',
        encoding: 'utf8',
      })
    : spawnSync(process.execPath, argv, { env: envFor(storeRoot), cwd: '/', encoding: 'utf8' });
}

function makeStore(name: string, user?: { uid: number; gid: number; name: string }): string {
  const storeRoot = join(base, name);
  mkdirSync(join(storeRoot, 'tmpdir'), { recursive: true });
  if (user) execFileSync('chown', ['-R', `${user.uid}:${user.gid}`, storeRoot]);
  const script = join(repo, 'scripts/make-example-base.sh');
  const [command, args] = user
    ? ['setpriv', ['--reuid', String(user.uid), '--regid', String(user.gid), '--init-groups', script, '--root', storeRoot]]
    : [script, ['--root', storeRoot]];
  execFileSync(command, args as string[], { env: envFor(storeRoot), cwd: repo, stdio: ['ignore', 'ignore', 'inherit'] });
  return storeRoot;
}

function makeContext(name: string, dockerfile: string): string {
  const dir = join(base, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'Dockerfile'), dockerfile);
  return dir;
}

/** A context big enough that its COPY runs for seconds: many small files. */
function makeLargeContext(name: string, files: number): string {
  const dir = makeContext(name, `FROM layerlab/busybox:latest\nCOPY big/ /big/\nRUN echo after-copy-${marker}\n`);
  for (let d = 0; d < files / 500; d++) {
    const sub = join(dir, 'big', `d${d}`);
    mkdirSync(sub, { recursive: true });
    for (let f = 0; f < 500; f++) writeFileSync(join(sub, `f${f}`), `${d}/${f}\n`.repeat(64));
  }
  return dir;
}

/** The worker's merged view exists only in its namespace: a COPY is underway once files land in the upper dir. */
function copyUnderway(store: string): boolean {
  try {
    return readdirSync(join(store, 'tmp')).some((d) => d.startsWith('file-') && existsSync(join(store, 'tmp', d, 'upper', 'big')));
  } catch {
    return false;
  }
}

const sleepingDockerfile = `FROM layerlab/busybox:latest\nRUN echo started && sleep ${marker} && echo never\n`;

async function noneLeft(): Promise<boolean> {
  return waitFor(() => processesWith(marker).length === 0, 5000);
}

describe.skipIf(!canRun)('interrupting a build', () => {
  beforeAll(() => {
    base = mkdtempSync(join(tmpdir(), 'layerlab-interrupt-'));
    chmodSync(base, 0o755);
  });

  afterAll(() => {
    // Anything the test started that is still there is a failure already reported; end it.
    for (const pid of processesWith(marker)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
    // A failed "no mounts left" check leaves the mount it found: detach it
    // (deepest first) before removing the tree, or the rm goes through it.
    if (base) {
      for (const mountpoint of ourMounts().reverse()) execFileSync('umount', ['-l', mountpoint]);
      rmSync(base, { recursive: true, force: true });
    }
  });

  test('Ctrl-C mid-RUN: exits promptly and non-zero, no processes, no mounts', async () => {
    const store = makeStore('store-sigint');
    const context = makeContext('ctx-sigint', sleepingDockerfile);
    const mountsBefore = ourMounts();
    const build = startBuild(store, context);
    await build.waitForEvent((e) => e.type === 'log' && e.text === 'started');
    expect(processesWith(marker).length).toBeGreaterThan(0);

    const sent = Date.now();
    process.kill(-build.child.pid!, 'SIGINT');
    const { code } = await build.exited;
    const tookMs = Date.now() - sent;

    expect(code).not.toBe(0);
    expect(code).not.toBeNull();
    expect(tookMs).toBeLessThan(5000);
    expect(build.events.some((e) => e.type === 'step-failed')).toBe(true);
    expect(await noneLeft()).toBe(true);
    expect(await waitFor(() => processGroupMembers(build.child.pid!).length === 0)).toBe(true);
    expect(ourMounts()).toEqual(mountsBefore);
  }, 120_000);

  test('Ctrl-C mid-COPY: the copy stops between entries, the step fails, nothing is left', async () => {
    const store = makeStore('store-sigint-copy');
    const context = makeLargeContext('ctx-sigint-copy', 12_000);
    const mountsBefore = ourMounts();
    const build = startBuild(store, context);
    await build.waitForEvent((e) => e.type === 'step-start' && e.step === 1);
    expect(await waitFor(() => ourMounts().some((m) => m.startsWith(join(store, 'tmp', 'mnt-'))), 60_000)).toBe(true);

    const sent = Date.now();
    process.kill(-build.child.pid!, 'SIGINT');
    const { code } = await build.exited;
    expect(Date.now() - sent).toBeLessThan(5000);
    expect(code).not.toBe(0);
    const failed = build.events.find((e) => e.type === 'step-failed');
    expect(failed).toMatchObject({ step: 1 });
    expect(String(failed!.message)).toMatch(/Dockerfile:2: the step was cancelled$/);
    expect(ourMounts()).toEqual(mountsBefore);
    expect(readdirSync(join(store, 'tmp'))).toEqual([]);
  }, 240_000);

  test('Ctrl-C mid-COPY in the file-step worker: the worker is killed at once, nothing is left', async () => {
    const store = makeStore('store-sigint-worker');
    const context = makeLargeContext('ctx-sigint-worker', 12_000);
    const mountsBefore = ourMounts();
    const build = startBuild(store, context, undefined, { LAYERLAB_FILE_STEP_WORKER: '1' });
    await build.waitForEvent((e) => e.type === 'step-start' && e.step === 1);
    expect(await waitFor(() => copyUnderway(store), 60_000)).toBe(true);
    const workerPids = processesWith('file-step-worker.js').filter((pid) => parentOf(pid) === build.child.pid);
    expect(workerPids.length).toBe(1);

    const sent = Date.now();
    process.kill(-build.child.pid!, 'SIGINT');
    const { code } = await build.exited;
    expect(Date.now() - sent).toBeLessThan(2000);
    expect(code).not.toBe(0);
    expect(String(build.events.find((e) => e.type === 'step-failed')?.message)).toMatch(/Dockerfile:2: the step was cancelled$/);
    expect(workerPids.every((pid) => !existsSync(`/proc/${pid}`))).toBe(true);
    expect(ourMounts()).toEqual(mountsBefore);
    expect(readdirSync(join(store, 'tmp'))).toEqual([]);
  }, 240_000);

  test('kill -9 mid-RUN: no processes; the next build succeeds and leaves no mounts', async () => {
    const store = makeStore('store-kill-run');
    const context = makeContext('ctx-kill-run', sleepingDockerfile);
    const mountsBefore = ourMounts();
    const build = startBuild(store, context);
    await build.waitForEvent((e) => e.type === 'log' && e.text === 'started');
    process.kill(build.child.pid!, 'SIGKILL');
    await build.exited;

    expect(await noneLeft()).toBe(true);
    expect(ourMounts()).toEqual(mountsBefore);

    const next = makeContext('ctx-kill-run-next', 'FROM layerlab/busybox:latest\nRUN echo next > /next\n');
    const result = runBuild(store, next);
    expect(result.status, result.stderr).toBe(0);
    expect(ourMounts()).toEqual(mountsBefore);
    // The sandbox's run dir of the killed RUN is swept too.
    expect(readdirSync(join(store, 'tmpdir')).flatMap((d) => (d.startsWith('layerlab-sandbox-') ? readdirSync(join(store, 'tmpdir', d, 'runs')) : []))).toEqual([]);
  }, 120_000);

  test('kill -9 mid-COPY (root, host mount): the next build sweeps the mount and succeeds', async () => {
    const store = makeStore('store-kill-copy');
    const context = makeLargeContext('ctx-kill-copy', 12_000);
    const mountsBefore = ourMounts();
    const build = startBuild(store, context);
    await build.waitForEvent((e) => e.type === 'step-start' && e.step === 1);
    // The COPY's overlay is mounted just before the files are written.
    const mounted = await waitFor(() => ourMounts().some((m) => m.startsWith(join(store, 'tmp', 'mnt-'))), 60_000);
    expect(mounted).toBe(true);
    process.kill(build.child.pid!, 'SIGKILL');
    await build.exited;
    expect(build.events.some((e) => e.type === 'step-done' && e.step === 1)).toBe(false);

    expect(await noneLeft()).toBe(true);
    // As root the in-process COPY mounts on the host: a crash leaves it…
    expect(ourMounts().length).toBeGreaterThan(mountsBefore.length);
    // …and the next build's start sweeps it.
    const result = runBuild(store, context);
    expect(result.status, result.stderr).toBe(0);
    expect(ourMounts()).toEqual(mountsBefore);
  }, 240_000);

  describe.skipIf(!canRunRootless)('rootless', () => {
    const name = `llint${process.pid % 100000}`;
    let user: { uid: number; gid: number; name: string };

    beforeAll(() => {
      execFileSync('useradd', ['--no-create-home', '--shell', '/bin/sh', name]);
      const id = (flag: string) => Number(execFileSync('id', [flag, name], { encoding: 'utf8' }));
      user = { name, uid: id('-u'), gid: id('-g') };
      if (!readFileSync('/etc/subuid', 'utf8').split('\n').some((l) => l.startsWith(`${name}:`))) {
        execFileSync('usermod', ['--add-subuids', '500000-565535', '--add-subgids', '500000-565535', name]);
      }
    });

    afterAll(() => {
      for (const [file, flag] of [['/etc/subuid', '--del-subuids'], ['/etc/subgid', '--del-subgids']] as const) {
        const line = readFileSync(file, 'utf8').split('\n').find((l) => l.startsWith(`${name}:`));
        if (line) {
          const [, start, count] = line.split(':').map(Number);
          spawnSync('usermod', [flag, `${start}-${start! + count! - 1}`, name]);
        }
      }
      spawnSync('userdel', [name]);
    });

    test('kill -9 mid-COPY: the worker dies with layerlab, its mounts never reach the host', async () => {
      const store = makeStore('store-rootless-kill-copy', user);
      const context = makeLargeContext('ctx-rootless-kill-copy', 12_000);
      execFileSync('chmod', ['-R', 'a+rX', context]);
      const mountsBefore = ourMounts();
      const build = startBuild(store, context, user);
      await build.waitForEvent((e) => e.type === 'step-start' && e.step === 1);
      expect(await waitFor(() => copyUnderway(store), 60_000)).toBe(true);
      // This build's worker: setpriv and unshare exec, so its parent is the layerlab process.
      const workerPids = processesWith('file-step-worker.js').filter((pid) => parentOf(pid) === build.child.pid);
      expect(workerPids.length).toBeGreaterThan(0);
      process.kill(build.child.pid!, 'SIGKILL');
      await build.exited;

      expect(await waitFor(() => workerPids.every((pid) => !existsSync(`/proc/${pid}`)))).toBe(true);
      expect(ourMounts()).toEqual(mountsBefore);
      const result = runBuild(store, context, user);
      expect(result.status, result.stderr).toBe(0);
      expect(ourMounts()).toEqual(mountsBefore);
    }, 240_000);
  });
});
