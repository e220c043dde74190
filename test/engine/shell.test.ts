/**
 * Shells into steps of a real build, on a real pty (issue 6): the container
 * sees a tty, job control and window sizes; a failed RUN can be entered
 * before (with its command ready) or after (with its partial writes); what a
 * shell changes can be kept as a new step. Nothing is left behind.
 */
import { readFile, mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BuildSession } from '../../src/engine/session.js';
import type { ShellProcess } from '../../src/engine/session-types.js';
import { importRootfs } from '../../src/image/import-rootfs.js';
import { Store } from '../../src/image/store.js';
import { buildBusyboxImage } from '../helpers/busybox-image.js';
import { mountLines } from '../sandbox/leftovers.js';

const dockerfile = `FROM shell-test/base:latest
WORKDIR /work
RUN echo built > /work/built.txt
RUN echo partial > /work/partial.txt && exit 7
`;

let root: string;
let store: Store;
let dockerfilePath: string;
let session: BuildSession;


/** Collects a shell's output and waits for patterns in it. */
function terminal(shell: ShellProcess) {
  let output = '';
  const waiters: Array<() => void> = [];
  shell.onData((data) => {
    output += data;
    for (const w of waiters.splice(0)) w();
  });
  return {
    get output() {
      return output;
    },
    async waitFor(pattern: RegExp, timeoutMs = 10_000): Promise<RegExpMatchArray> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const m = output.match(pattern);
        if (m) return m;
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${pattern}; output so far:\n${output}`);
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 200);
        });
      }
    },
    /** Types a command and waits for a marker echoed after it, so outputs do not mix. */
    async run(command: string): Promise<string> {
      const marker = `done-${Math.random().toString(36).slice(2, 8)}`;
      const start = output.length;
      shell.write(`${command}; echo ${marker.slice(0, 5)}''${marker.slice(5)}\r`);
      await this.waitFor(new RegExp(`${marker}\\r?\\n`));
      const tail = output.slice(start);
      return tail.slice(0, tail.lastIndexOf(marker));
    },
  };
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'll-shell-'));
  store = await Store.open(join(root, 'store'));
  const busybox = await buildBusyboxImage();
  await importRootfs(store, busybox.rootfsTar, 'shell-test/base:latest');
  const context = join(root, 'context');
  await mkdir(context);
  dockerfilePath = join(context, 'Dockerfile');
  await writeFile(dockerfilePath, dockerfile);
  session = await BuildSession.open({ store, dockerfilePath, contextDir: context });
  expect(await session.runAll()).toBe(false);
  expect(session.steps.map((s) => s.status)).toEqual(['done', 'done', 'done', 'failed']);
});

afterAll(async () => {
  await session?.close();
  await rm(root, { recursive: true, force: true });
  // Every shell, sandbox and overlay of the session is gone with it. (Other
  // test files mount and unmount at the same time, so only ours are counted.)
  expect(mountLines().filter((l) => l.includes(root))).toEqual([]);
});

describe('a shell in a finished step', () => {
  it('has a tty, job control, the step state, window sizes and Ctrl-C', async () => {
    const shell = await session.openShell({ step: 2, state: 'after' }, { cols: 100, rows: 30 });
    const t = terminal(shell);
    expect(await t.run('echo $((6*7))')).toMatch(/42/);
    expect(await t.run('tty')).toMatch(/\/dev\/pts\/\d+/);
    expect(await t.run('test -t 0 && echo is-a-tty')).toMatch(/is-a-tty/);
    expect(await t.run('cat /work/built.txt; pwd')).toMatch(/built\s+\/work/);
    expect(await t.run('stty size')).toMatch(/30 100/);
    shell.resize(120, 40);
    expect(await t.run('stty size')).toMatch(/40 120/);
    // Ctrl-C interrupts the foreground job; the shell lives on.
    shell.write('sleep 100\r');
    await new Promise((r) => setTimeout(r, 500));
    shell.write('\x03');
    expect(await t.run('echo still-here')).toMatch(/still-here/);
    const exited = new Promise<number>((resolve) => shell.onExit(resolve));
    shell.write('exit 5\r');
    expect(await exited).toBe(5);
    await shell.discard();
  });

  it('shows what the shell changed and keeps it as a new step', async () => {
    const shell = await session.openShell({ step: 2, state: 'after' }, { cols: 80, rows: 24 });
    const t = terminal(shell);
    // Typed as a person types it: this line becomes the kept step's RUN line.
    shell.write('echo from-shell > /work/kept.txt\r');
    await t.waitFor(/kept\.txt\r?\n[^]*[$#] /);
    const exited = new Promise<number>((resolve) => shell.onExit(resolve));
    shell.write('exit\r');
    await exited;
    const changes = await shell.changes();
    expect(changes.filter((c) => c.kind === 'added').map((c) => c.path)).toContain('work/kept.txt');
    const index = await shell.keep();
    expect(index).toBe(3);
    expect(session.steps[3]!.status).toBe('done');
    expect(session.steps[3]!.text).toBe('RUN echo from-shell > /work/kept.txt');
    // The Dockerfile now has the line, so the next build makes the same layer.
    expect(await readFile(dockerfilePath, 'utf8')).toContain('RUN echo built > /work/built.txt\nRUN echo from-shell > /work/kept.txt\n');
    const kept = await session.changes(3);
    expect(kept!.map((c) => c.path)).toContain('work/kept.txt');
    expect(session.readFile(3, '/work/kept.txt')?.toString()).toBe('from-shell\n');
    // The failed step moved down and waits to run again on top of the kept one.
    expect(session.steps[4]!.status).toBe('pending');
  });
});

describe('a shell at a failed RUN', () => {
  it('before the step: the failing command is in the history and the environment', async () => {
    await session.runTo(4);
    expect(session.steps[4]!.status).toBe('failed');
    const shell = await session.openShell({ step: 4, state: 'before' }, { cols: 120, rows: 30 });
    const t = terminal(shell);
    expect(await t.run('echo "$LAYERLAB_FAILED_COMMAND"')).toContain('echo partial > /work/partial.txt && exit 7');
    expect(await t.run('cat $HISTFILE')).toContain('echo partial > /work/partial.txt && exit 7');
    expect(await t.run('test -e /work/partial.txt || echo no-partial-yet')).toMatch(/no-partial-yet/);
    shell.kill();
    await shell.discard();
  });

  it('after the step: its partial writes are there', async () => {
    const shell = await session.openShell({ step: 4, state: 'after' }, { cols: 80, rows: 24 });
    const t = terminal(shell);
    expect(await t.run('cat /work/partial.txt')).toMatch(/partial/);
    shell.write('exit\r');
    await expect(shell.keep()).rejects.toThrow(/failed step cannot be kept/);
    await shell.discard();
  });
});
