/** A shell on a real pty inside the sandbox (issue 6's side of the sandbox). */
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { runPty, type PtySandboxProcess } from '../../src/sandbox/index.js';
import { BASE_ENV, makeTempDir, writeBusyboxRootfs } from './busybox-rootfs.js';
import { mountLines, processesWith, waitFor } from './leftovers.js';

let base: string;
let lower: string;

beforeAll(() => {
  base = makeTempDir('pty');
  lower = join(base, 'lower');
  mkdirSync(lower);
  writeBusyboxRootfs(lower);
});
afterAll(() => rmSync(base, { recursive: true, force: true }));

class Screen {
  text = '';
  constructor(private readonly pty: PtySandboxProcess) {
    pty.onData((d) => (this.text += d));
  }
  /** Types a line and waits for `pattern` in the output that follows it. */
  async run(line: string, pattern: RegExp): Promise<string> {
    const from = this.text.length;
    this.pty.write(`${line}\r`);
    return this.expect(pattern, from);
  }
  async expect(pattern: RegExp, from = 0): Promise<string> {
    const seen = await waitFor(() => pattern.test(this.text.slice(from)), 10_000);
    if (!seen) throw new Error(`no ${pattern} in ${JSON.stringify(this.text.slice(from))}`);
    return this.text.slice(from).match(pattern)![0];
  }
}

test('a shell on a real tty: tty, job control, size and resize, exit code; nothing left behind', async () => {
  const mounts = mountLines();
  const upperDir = join(base, 'upper');
  const workDir = join(base, 'work');
  mkdirSync(upperDir);
  mkdirSync(workDir);
  const pty = await runPty(
    {
      rootfs: { lowerDirs: [lower], upperDir, workDir },
      argv: ['sh'],
      env: BASE_ENV,
      cwd: '/root',
      user: { uid: 0, gid: 0, groups: [] },
      network: 'none',
      stateDir: join(base, 'state'),
    },
    { cols: 80, rows: 24, term: 'xterm-256color' },
  );
  const screen = new Screen(pty);
  await screen.expect(/~ # /);
  expect(await screen.run('echo $((6*7))', /\n42\r?\n/)).toContain('42');
  expect(await screen.run('tty', /\/dev\/\S+/)).toMatch(/^\/dev\/pts\/\d+$/);
  expect(await screen.run('test -t 0 && echo is-a-tty', /\nis-a-tty/)).toContain('is-a-tty');
  expect(await screen.run('echo "$TERM"', /\nxterm-256color/)).toContain('xterm');
  expect(await screen.run('stty size', /\n\d+ \d+/)).toBe('\n24 80');
  pty.resize(100, 30);
  expect(await screen.run('stty size', /\n\d+ \d+/)).toBe('\n30 100');

  // Ctrl-C interrupts the foreground job, and the shell lives on.
  const marker = `pty-sleep-${process.pid}`;
  const from = screen.text.length;
  pty.write(`sleep 100; : ${marker}\r`);
  await waitFor(() => processesWith('sleep 100').length > 0);
  pty.write('\x03');
  await screen.expect(/\^C/, from);
  expect(await screen.run('echo still-here', /\nstill-here/)).toContain('still-here');
  expect(await screen.run('echo made > /root/shell-file; echo ok', /\nok/)).toContain('ok');

  pty.write('exit 7\r');
  const result = await pty.wait();
  expect(result).toMatchObject({ exitCode: 7, signal: null });
  expect(processesWith(marker)).toEqual([]);
  expect(mountLines()).toEqual(mounts);
});

test('kill() ends a pty sandbox and everything in it', async () => {
  const upperDir = join(base, 'upper-kill');
  const workDir = join(base, 'work-kill');
  mkdirSync(upperDir);
  mkdirSync(workDir);
  const marker = `pty-kill-${process.pid}`;
  const pty = await runPty(
    {
      rootfs: { lowerDirs: [lower], upperDir, workDir },
      argv: ['sh', '-c', `sleep 300; : ${marker}`],
      env: BASE_ENV,
      cwd: '/',
      user: { uid: 0, gid: 0, groups: [] },
      network: 'default',
      stateDir: join(base, 'state'),
    },
    { cols: 80, rows: 24 },
  );
  await waitFor(() => processesWith(marker).length > 0);
  pty.kill();
  expect(await pty.wait()).toMatchObject({ signal: 'SIGKILL', exitCode: null });
  expect(processesWith(marker)).toEqual([]);
});
