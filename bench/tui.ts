/**
 * Workbench speed on a 100k-file layer at 120x40, through a real pty, the way
 * a person feels it (issue 5 targets in brackets):
 *   - first frame after start                       [≤ 300 ms]
 *   - key → frame in the layer pane, median and p95 [≤ 12 ms median]
 *   - RSS of the workbench with the layer loaded    [≤ 300 MB]
 * and, to explain them, the workbench's CPU time and the bytes it writes per
 * key.
 * The layer is the base image of `FROM bench/100k`, imported once from a
 * generated rootfs (100 directories × 1000 files) into a store under /tmp.
 * NODE_ENV=production, as a user runs it. Prints figures; asserts nothing.
 *
 * Run from the repo root, after `npx tsc -p tsconfig.build.json`:
 *   npx tsc --outDir .tmp/bench-build --rootDir . --module NodeNext --moduleResolution NodeNext \
 *     --target ES2022 --strict --skipLibCheck --esModuleInterop --types node bench/tui.ts \
 *   && node .tmp/bench-build/bench/tui.js
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { TuiProcess, KEYS } from '../src/tui/testing/pty-driver.js';

const REPO = resolve('.');
const BIN = join(REPO, 'bin/layerlab.js');
const WORK = process.env.LAYERLAB_BENCH_TUI ?? '/tmp/layerlab-bench-tui';
const STORE = join(WORK, 'store');
const DIRS = 100;
const FILES_PER_DIR = 1000;
const KEY_PRESSES = 200;
const STARTS = 5;

function prepare(): void {
  const ready = join(WORK, 'ready');
  if (existsSync(ready)) return;
  rmSync(WORK, { recursive: true, force: true });
  const rootfs = join(WORK, 'rootfs');
  for (let d = 0; d < DIRS; d++) {
    const dir = join(rootfs, 'data', `d${String(d).padStart(3, '0')}`);
    mkdirSync(dir, { recursive: true });
    for (let f = 0; f < FILES_PER_DIR; f++) writeFileSync(join(dir, `file-${f}.txt`), `${d}/${f}\n`);
  }
  execFileSync('tar', ['-C', rootfs, '-cf', join(WORK, 'rootfs.tar'), '.']);
  rmSync(rootfs, { recursive: true, force: true });
  execFileSync(process.execPath, [BIN, '--root', STORE, 'import', join(WORK, 'rootfs.tar'), 'bench/100k:latest'], { stdio: 'inherit' });
  mkdirSync(join(WORK, 'context'), { recursive: true });
  writeFileSync(join(WORK, 'context', 'Dockerfile'), 'FROM bench/100k:latest\nENV BENCH=1\n');
  writeFileSync(ready, '');
}

function start(): TuiProcess {
  return new TuiProcess({
    args: [],
    commandArgs: [BIN, '--root', STORE, join(WORK, 'context')],
    cols: 120,
    rows: 40,
    env: { NODE_ENV: 'production' },
    cwd: WORK,
  });
}

/** User + system CPU time of a process, in ms (clock ticks are 100 Hz on Linux). */
function cpuMilliseconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;
}

function rssMegabytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)![1]) / 1024;
}

async function main(): Promise<void> {
  prepare();
  const firstFrames: number[] = [];
  for (let i = 0; i < STARTS; i++) {
    const app = start();
    await app.waitForText('FROM bench/100k');
    firstFrames.push(app.firstFrameAt! - app.startedAt);
    app.write('q');
    await app.exited;
  }
  firstFrames.sort((a, b) => a - b);

  const app = start();
  await app.waitForText('FROM bench/100k');
  app.write('n');
  await app.waitFor((s) => /✔\s+FROM/.test(s), 'FROM done', 120_000);
  const loadStarted = performance.now();
  app.write(KEYS.tab);
  await app.waitFor((s) => /100\d{3} rows/.test(s), 'the 100k-file layer in the pane', 120_000);
  const loadMs = performance.now() - loadStarted;
  const rows = /(\d+) rows/.exec(app.screenText())![1];

  const timings: number[] = [];
  let bytesWritten = 0;
  const counting = app.process.onData((data) => (bytesWritten += Buffer.byteLength(data)));
  const cpuBefore = cpuMilliseconds(app.pid);
  for (let i = 0; i < KEY_PRESSES; i++) {
    const before = app.screenText();
    const sent = performance.now();
    app.write(i % 50 === 49 ? KEYS.pageDown : 'j');
    await app.waitFor((screen) => screen !== before, `frame after key ${i}`);
    timings.push(performance.now() - sent);
  }
  const cpuPerKey = (cpuMilliseconds(app.pid) - cpuBefore) / KEY_PRESSES;
  counting.dispose();
  timings.sort((a, b) => a - b);
  const rss = rssMegabytes(app.pid);
  app.write('q');
  await app.exited;

  const ms = (n: number): string => `${n.toFixed(1)} ms`;
  process.stdout.write(
    [
      `layer: ${rows} rows (${DIRS * FILES_PER_DIR} files), 120x40, NODE_ENV=production`,
      `first frame after start: median ${ms(percentile(firstFrames, 0.5))} (of ${STARTS}, min ${ms(firstFrames[0]!)}, max ${ms(firstFrames.at(-1)!)})`,
      `layer pane load (tab after FROM): ${ms(loadMs)}`,
      `key → frame: median ${ms(percentile(timings, 0.5))}, p95 ${ms(percentile(timings, 0.95))}, max ${ms(timings.at(-1)!)} (${KEY_PRESSES} keys)`,
      `workbench CPU time per key (load-independent): ${ms(cpuPerKey)}`,
      `bytes written per key: ${(bytesWritten / KEY_PRESSES).toFixed(0)}`,
      `load average while measuring: ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')} (2 cores)`,
      `RSS with the layer loaded: ${rss.toFixed(0)} MB`,
      '',
    ].join('\n'),
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`bench/tui: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exitCode = 1;
});
