/**
 * `layerlab shell REF` from a real terminal (node-pty): the shell runs in the
 * image's container with its user and workdir, at the whole image or at one
 * layer, and its exit status is layerlab's.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pty from '@lydell/node-pty';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importRootfs } from '../../src/image/import-rootfs.js';
import { Store } from '../../src/image/store.js';
import { buildBusyboxImage } from '../helpers/busybox-image.js';
import { ensureBuilt, layerlabBin } from '../helpers/built-cli.js';
import { mountLines } from '../sandbox/leftovers.js';

const bin = layerlabBin;
let root: string;


/** Runs layerlab on a pty, types `input` once the prompt shows, resolves with output and exit code. */
function runOnPty(args: string[], input: string[]): Promise<{ output: string; exitCode: number }> {
  const env: NodeJS.ProcessEnv = { ...process.env, LAYERLAB_ROOT: join(root, 'store'), TERM: 'xterm' };
  delete env.CI;
  const term = pty.spawn(process.execPath, [bin, ...args], { cols: 100, rows: 30, env });
  let output = '';
  let sent = 0;
  let typedAt = 0;
  term.onData((d) => {
    output += d;
    // Each line is typed once the shell shows a new prompt after the last one typed.
    const plain = output.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '');
    if (sent < input.length && /[$#] $/.test(plain) && plain.length > typedAt) {
      typedAt = plain.length;
      const line = input[sent++];
      // Give busybox's line editor time to give up on its cursor query first.
      setTimeout(() => term.write(`${line}\r`), 150);
    }
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      term.kill();
      reject(new Error(`layerlab shell did not exit; output:\n${output}`));
    }, 20_000);
    term.onExit(({ exitCode }) => {
      clearTimeout(timer);
      resolve({ output, exitCode });
    });
  });
}

beforeAll(async () => {
  ensureBuilt();
  root = await mkdtemp(join(tmpdir(), 'll-cli-shell-'));
  const store = await Store.open(join(root, 'store'));
  const busybox = await buildBusyboxImage();
  await importRootfs(store, busybox.rootfsTar, 'shell-cli/base:latest', {
    changes: ['USER user', 'WORKDIR /home/user', 'ENV GREETING=hello'],
  });
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('layerlab shell', () => {
  it("runs in the image's container and exits with the shell's status", async () => {
    const { output, exitCode } = await runOnPty(['shell', 'shell-cli/base:latest'], [
      'echo "$GREETING $((6*7)) $(id -un) $(pwd)"',
      'tty',
      'exit 3',
    ]);
    expect(output).toMatch(/hello 42 user \/home\/user/);
    expect(output).toMatch(/\/dev\/pts\/\d+/);
    expect(exitCode).toBe(3);
    expect(mountLines().filter((l) => l.includes(root))).toEqual([]);
  });

  it('says what is wrong with a bad --layer', async () => {
    const { output, exitCode } = await runOnPty(['shell', '--layer', '9', 'shell-cli/base:latest'], []);
    expect(exitCode).toBe(2);
    expect(output).toMatch(/--layer 9: the image has layers 0\.\.0/);
  });
});
