/**
 * Per-run overhead: a benchmark, not a timed test. Skipped unless
 * LAYERLAB_BENCH=1; prints the medians of 30 runs of `true`.
 *   LAYERLAB_BENCH=1 npx vitest run test/sandbox/overhead.test.ts
 */
import { execFile } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { run, type RunSpec } from '../../src/sandbox/index.js';
import { BASE_ENV, makeTempDir, writeBusyboxRootfs } from './busybox-rootfs.js';

const RUNS = 30;

test.skipIf(process.env['LAYERLAB_BENCH'] !== '1')('overhead of a run of `true`', async () => {
  const base = makeTempDir('bench');
  const lower = join(base, 'lower');
  mkdirSync(lower);
  writeBusyboxRootfs(lower);
  const common: Omit<RunSpec, 'rootfs'> = {
    argv: ['true'], env: BASE_ENV, cwd: '/', user: { uid: 0, gid: 0, groups: [] }, network: 'default', stateDir: join(base, 'state'),
  };
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const time = async (make: (i: number) => RunSpec) => {
    const times: number[] = [];
    for (let i = 0; i < RUNS + 3; i++) {
      const spec = make(i);
      const t0 = performance.now();
      const proc = await run(spec);
      const result = await proc.wait();
      if (i >= 3) times.push(performance.now() - t0); // first runs warm caches
      expect(result.exitCode).toBe(0);
    }
    return median(times);
  };
  const withOverlay = await time((i) => {
    const upperDir = join(base, `u${i}`);
    const workDir = join(base, `w${i}`);
    mkdirSync(upperDir);
    mkdirSync(workDir);
    return { ...common, rootfs: { lowerDirs: [lower], upperDir, workDir } };
  });
  const plainDir = await time(() => ({ ...common, rootfs: { dir: lower } }));
  const t0 = performance.now();
  for (let i = 0; i < RUNS; i++) await new Promise((r) => execFile('/bin/true', r));
  const bareSpawn = (performance.now() - t0) / RUNS;
  console.log(`sandbox overhead, median of ${RUNS}: overlay ${withOverlay.toFixed(1)} ms, plain dir ${plainDir.toFixed(1)} ms; bare spawn of /bin/true ${bareSpawn.toFixed(1)} ms`);
  rmSync(base, { recursive: true, force: true });
}, 120_000);
