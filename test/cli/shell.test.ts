/**
 * `layerlab shell REF` from a real terminal (node-pty): the shell runs in the
 * image's container with its user and workdir, at the whole image or at one
 * layer, and its exit status is layerlab's.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import pty from '@lydell/node-pty';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importRootfs } from '../../src/image/import-rootfs.js';
import { Store } from '../../src/image/store.js';
import { buildBusyboxImage } from '../helpers/busybox-image.js';
import { mountLines } from '../sandbox/leftovers.js';

const bin = join(process.cwd(), 'bin', 'layerlab.js');
let root: string;


/** Runs layerlab on a pty, types `input` once the prompt shows, resolves with output and exit code. */
function runOnPty(args: string[], input: string[]): Promise<{ output: string; exitCode: number }> {
  const env: NodeJS.ProcessEnv = { ...process.env, LAYERLAB_ROOT: join(root, 'store'), TERM: 'xterm' };
  delete env.CI;
  const term = pty.spawn(process.execPath, [bin, ...args], { cols: 100, rows: 30, env });
  let output = '';
  let sent = 0;
  term.onData((d) => {
    output += d;
    // Each line is typed after the shell printed a prompt for it.
    const prompts = (output.match(/[$#] $/gm) ?? []).length;
    if (prompts > sent && sent < input.length) term.write(`${input[sent++]}\r`);
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
  execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { stdio: 'ignore' });
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
    const before = mountLines();
    const { output, exitCode } = await runOnPty(['shell', 'shell-cli/base:latest'], [
      'echo "$GREETING $((6*7)) $(id -un) $(pwd)"',
      'tty',
      'exit 3',
    ]);
    expect(output).toMatch(/hello 42 user \/home\/user/);
    expect(output).toMatch(/\/dev\/pts\/\d+/);
    expect(exitCode).toBe(3);
    expect(mountLines()).toEqual(before);
  });

  it('says what is wrong with a bad --layer', async () => {
    const { output, exitCode } = await runOnPty(['shell', '--layer', '9', 'shell-cli/base:latest'], []);
    expect(exitCode).toBe(2);
    expect(output).toMatch(/--layer 9: the image has layers 0\.\.0/);
  });
});
