/**
 * Finding what a step changed: a 50k-file lower rootfs, a step that changes 10
 * files, and the time changesFromUpperDir takes on the overlay upper dir
 * (median of 20; target ≤ 20 ms). Also with the same files spread over five
 * lower layers. Prints figures; asserts nothing. Needs root (overlay mounts).
 *
 * Run: bench/change-detect.sh
 */
import { execFileSync } from 'node:child_process';
import {
  appendFileSync,
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { changesFromUpperDir } from '../src/layers/index.js';
import { nativeXattrs } from '../src/layers/native-xattrs.js';

const ROOT = process.env.LAYERLAB_BENCH_LOWER ?? '/tmp/layerlab-bench-lower';
const RUNS = 20;
const FILES = 50_000;

/** Lays out FILES small files over `layers` lower dirs sharing one directory tree. */
function makeLowers(layers: number): string[] {
  const base = join(ROOT, `${layers}-layers`);
  const dirs = Array.from({ length: layers }, (_, i) => join(base, `layer${i}`));
  if (existsSync(join(base, '.complete'))) return dirs;
  rmSync(base, { recursive: true, force: true });
  const filler = Buffer.alloc(2048, 'x');
  for (let i = 0; i < FILES; i++) {
    const dir = join(dirs[i % layers]!, 'usr', `lib${i % 50}`, `pkg${i % 500}`);
    if (i < 500 * layers) mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `file${i}`), filler.subarray(0, i % 2048));
  }
  writeFileSync(join(base, '.complete'), '');
  return dirs;
}

/** Bottom-first lower dirs → the step's change (10 files) → timing of the change list. */
async function measure(label: string, bottomFirst: string[]): Promise<void> {
  const lowerDirs = [...bottomFirst].reverse();
  const times: number[] = [];
  let entries = 0;
  const mountTimes: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    const scratch = mkdtempSync('/tmp/layerlab-bench-step-');
    const [upper, work, merged] = ['upper', 'work', 'merged'].map((name) => join(scratch, name)) as [string, string, string];
    for (const dir of [upper, work, merged]) mkdirSync(dir);
    const mountStart = performance.now();
    execFileSync('mount', [
      '-t',
      'overlay',
      'overlay',
      '-o',
      `lowerdir=${lowerDirs.join(':')},upperdir=${upper},workdir=${work},volatile`,
      merged,
    ]);
    mountTimes.push(performance.now() - mountStart);
    try {
      // The step: 4 files modified, 3 added, 2 deleted, 1 chmod.
      for (let i = 0; i < 4; i++) appendFileSync(join(merged, 'usr', `lib${i}`, `pkg${i}`, `file${i}`), `run ${run}\n`);
      for (let i = 0; i < 3; i++) writeFileSync(join(merged, 'usr', `lib${10 + i}`, `new-${run}-${i}`), 'new\n');
      for (let i = 0; i < 2; i++) unlinkSync(join(merged, 'usr', `lib${20 + i}`, `pkg${20 + i}`, `file${20 + i}`));
      chmodSync(join(merged, 'usr', 'lib30', 'pkg30', 'file30'), 0o600);
      const started = performance.now();
      const changes = await changesFromUpperDir(upper, { lowerDirs });
      times.push(performance.now() - started);
      entries = changes.length;
    } finally {
      execFileSync('umount', [merged]);
      rmSync(scratch, { recursive: true, force: true });
    }
  }
  const sorted = [...times].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)]!;
  const mountMedian = [...mountTimes].sort((a, b) => a - b)[Math.floor(mountTimes.length / 2)]!;
  console.log(
    `${label}: change list of ${entries} entries, median ${median.toFixed(1)} ms` +
      ` (min ${sorted[0]!.toFixed(1)}, p90 ${sorted[Math.floor(sorted.length * 0.9)]!.toFixed(1)},` +
      ` max ${sorted[sorted.length - 1]!.toFixed(1)}) over ${RUNS} runs; target ≤ 20 ms.` +
      ` (overlay mount median ${mountMedian.toFixed(1)} ms)`,
  );
}

if (process.getuid?.() !== 0) {
  console.log('change-detect needs root for overlay mounts; skipped');
} else {
  await measure(`${FILES} files in 1 lower dir`, makeLowers(1));
  await measure(`${FILES} files over 5 lower dirs`, makeLowers(5));
  console.log(`xattrs read by: ${nativeXattrs() ? 'the native module (native/xattrs.c)' : 'getfattr (the native module is not built)'}`);
  console.log(`load average now ${(await import('node:os')).loadavg()[0]!.toFixed(1)}`);
}
