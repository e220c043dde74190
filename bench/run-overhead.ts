/**
 * Where the time of one RUN step goes, measured from the outside through the
 * sandbox, layers and engine APIs. A benchmark: prints medians, asserts
 * nothing.
 *
 * 1. `run()` of `true` on an overlay of a busybox rootfs, start to `wait()`.
 * 2. The sandbox's process chain cut short after each phase of its setup
 *    script (each variant is the real script of a prepared run, truncated
 *    with `exit 0`), so the differences between rows are the phase costs.
 *    The variants run interleaved, so load drift hits them alike.
 * 3. The engine's work around a RUN that writes one file: the upper dir's
 *    change list, the layer commit (blob, fsync, rename into the store), the
 *    cache index write and lookup.
 *
 * Run: bench/run-overhead.sh [RUNS]   (compiles this file with tsc, then runs it)
 * As root, or rootless where the sandbox works (see src/sandbox/id-mapping.ts).
 */
import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync, chmodSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run, getIdMapping, defaultStateDir, type RunSpec } from '../src/sandbox/index.js';
import { prepareRun } from '../src/sandbox/prepare-run.js';
import { removeRunDir } from '../src/sandbox/run-dir.js';
import { removeWorkDir } from '../src/sandbox/prepare-run.js';
import { Store } from '../src/image/store.js';
import { BuildCache, cacheKey, type CacheInputs } from '../src/engine/build-cache.js';
import { commitUpperDir, detectChanges } from '../src/engine/layer-commit.js';

const RUNS = Number(process.argv[2] ?? 30);
const WARMUP = 3;

const base = mkdtempSync(join(tmpdir(), 'layerlab-bench-run-'));
const lower = join(base, 'lower');
// The engine's own default (a tmpfs where there is one); run dirs are unique.
const stateDir = process.env['BENCH_STATE_DIR'] ?? defaultStateDir();

function writeBusyboxRootfs(dir: string): void {
  const applets = execFileSync('/bin/busybox', ['--list'], { encoding: 'utf8' }).split('\n').filter((a) => a && a !== 'busybox');
  for (const sub of ['bin', 'etc', 'tmp', 'root']) mkdirSync(join(dir, sub), { recursive: true });
  copyFileSync('/bin/busybox', join(dir, 'bin/busybox'));
  chmodSync(join(dir, 'bin/busybox'), 0o755);
  chmodSync(join(dir, 'tmp'), 0o1777);
  for (const applet of applets) symlinkSync('busybox', join(dir, 'bin', applet));
  writeFileSync(join(dir, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
  writeFileSync(join(dir, 'etc/group'), 'root:x:0:\n');
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const ms = (x: number) => `${x.toFixed(1).padStart(7)} ms`;

let freshCount = 0;
function freshOverlay(): { upperDir: string; workDir: string } {
  const n = freshCount++;
  const upperDir = join(base, `u${n}`);
  const workDir = join(base, `w${n}`);
  mkdirSync(upperDir);
  mkdirSync(workDir);
  return { upperDir, workDir };
}
function dropOverlay(o: { upperDir: string; workDir: string }): void {
  rmSync(o.upperDir, { recursive: true, force: true });
  removeWorkDir(o.workDir);
}

function specFor(o: { upperDir: string; workDir: string }, argv = ['true']): RunSpec {
  return {
    rootfs: { lowerDirs: [lower], ...o },
    argv,
    env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'HOME=/root'],
    cwd: '/',
    user: { uid: 0, gid: 0, groups: [] },
    network: 'default',
    stateDir,
  };
}

function spawnAndWait(command: string, args: string[], env?: Record<string, string>): Promise<number | null> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.resume();
    child.stderr.resume();
    child.once('error', reject);
    child.once('close', (code) => resolve(code));
  });
}

/** 1. The whole sandbox run, as the engine calls it. */
async function wholeRun(): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < RUNS + WARMUP; i++) {
    const o = freshOverlay();
    const t0 = performance.now();
    const proc = await run(specFor(o));
    const result = await proc.wait();
    const t = performance.now() - t0;
    if (result.exitCode !== 0) throw new Error(`true exited ${result.exitCode}`);
    if (i >= WARMUP) times.push(t);
    dropOverlay(o);
  }
  return times;
}

/**
 * 2. Cut points: after each top-level line of the setup script that starts a
 * process (mount, cp, hostname, ip, the final exec). The script's own text
 * names the phases, so the table follows the script as it changes.
 */
const PHASE_LINE = /^(\(?(cd \S+ && )?(mount|cp|hostname|ip|if command -v ip)\b|exec (?![0-9]>))/;

interface Variant {
  label: string;
  /** Builds the script text from the prepared run's full script. */
  script: (full: string) => string;
}

function variantsOf(full: string): Variant[] {
  const lines = full.split('\n');
  const out: Variant[] = [{ label: 'outer chain + sh, empty script', script: () => 'exit 0\n' }];
  lines.forEach((line, index) => {
    if (!PHASE_LINE.test(line)) return;
    const label = line.replace(/\/\S*\/runs\/[0-9a-f]+/g, '$RUN').replace(/\s+/g, ' ').slice(0, 58);
    const isFinal = line.startsWith('exec ');
    out.push({
      label: isFinal ? `+ ${label}…` : `+ ${label}`,
      script: (text) => {
        const cut = text.split('\n');
        return isFinal ? text : `${cut.slice(0, index + 1).join('\n')}\nexit 0\n`;
      },
    });
  });
  return out;
}

async function chainBreakdown(): Promise<void> {
  const mapping = await getIdMapping();
  const probe = freshOverlay();
  const probeRun = prepareRun(specFor(probe), mapping);
  const variants = variantsOf(readFileSync(join(probeRun.runDir, 'setup.sh'), 'utf8'));
  removeRunDir(probeRun.runDir);
  dropOverlay(probe);

  const bare: number[] = [];
  const whole: number[] = [];
  const prepare: number[] = [];
  const times = variants.map(() => [] as number[]);
  for (let i = 0; i < RUNS + WARMUP; i++) {
    const t0 = performance.now();
    await spawnAndWait('/bin/true', []);
    if (i >= WARMUP) bare.push(performance.now() - t0);
    const o = freshOverlay();
    const w0 = performance.now();
    const result = await (await run(specFor(o))).wait();
    if (i >= WARMUP) whole.push(performance.now() - w0);
    if (result.exitCode !== 0) throw new Error(`true exited ${result.exitCode}`);
    dropOverlay(o);
    for (const [v, variant] of variants.entries()) {
      const o = freshOverlay();
      const p0 = performance.now();
      const prepared = prepareRun(specFor(o), mapping);
      const p1 = performance.now();
      const scriptPath = join(prepared.runDir, 'bench.sh');
      writeFileSync(scriptPath, variant.script(readFileSync(join(prepared.runDir, 'setup.sh'), 'utf8')));
      const args = [...prepared.args.slice(0, -1), scriptPath];
      const s0 = performance.now();
      const code = await spawnAndWait(prepared.command, args, prepared.env);
      const t = performance.now() - s0;
      if (code !== 0) throw new Error(`variant "${variant.label}" exited ${code}: ${readFileSync(join(prepared.runDir, 'setup.log'), 'utf8')}`);
      if (i >= WARMUP) {
        times[v]!.push(t);
        if (v === 0) prepare.push(p1 - p0);
      }
      removeRunDir(prepared.runDir);
      dropOverlay(o);
    }
  }
  console.log(`\n2. The process chain, cut after each phase (medians of ${RUNS}, interleaved)`);
  console.log(`   ${'node spawn of /bin/true (reference)'.padEnd(62)}${ms(median(bare))}`);
  console.log(`   ${'prepareRun (JS: run dir, /etc files, script)'.padEnd(62)}${ms(median(prepare))}`);
  let previous = 0;
  for (const [v, variant] of variants.entries()) {
    const m = median(times[v]!);
    const delta = v === 0 ? '' : `  (${m - previous >= 0 ? '+' : ''}${(m - previous).toFixed(1)})`;
    console.log(`   ${variant.label.padEnd(62)}${ms(m)}${delta}`);
    previous = m;
  }
  console.log(`   ${'run() + wait(), the same round'.padEnd(62)}${ms(median(whole))}`);
}

/** 3. The engine's side of a RUN that wrote one file. */
async function enginePhases(seedEntries: number): Promise<void> {
  const store = await Store.open(join(base, `store-${seedEntries}`));
  const cache = new BuildCache(store);
  const phases: Record<string, number[]> = {
    'change list (upper dir, 1 file)': [],
    'layer commit (tar+gzip+digests, fsync, renames)': [],
    'cache record': [],
    'cache lookup (hit)': [],
  };
  // A store that has seen some builds: the index is rewritten whole on every record.
  const seeded = Array.from({ length: seedEntries }, (_, i) => {
    const inputs = inputsFor(`seed ${i}`);
    return { key: cacheKey(inputs), inputs, counts: { added: 0, modified: 0, deleted: 0 }, createdAt: new Date().toISOString() };
  });
  writeFileSync(store.cacheIndexPath, JSON.stringify({ version: 1, entries: seeded }));
  for (let i = 0; i < RUNS + WARMUP; i++) {
    const o = freshOverlay();
    mkdirSync(join(o.upperDir, 'tmp'));
    writeFileSync(join(o.upperDir, 'tmp', 'out'), `run ${i}\n`);
    const t0 = performance.now();
    const changes = await detectChanges(o.upperDir, [lower]);
    const t1 = performance.now();
    const layer = await commitUpperDir(store, changes, o.upperDir);
    const t2 = performance.now();
    const inputs = inputsFor(`bench ${i}`);
    await cache.record(inputs, { digest: layer.descriptor.digest, diffId: layer.diffId, size: layer.descriptor.size, uncompressedSize: 0 }, { added: 1, modified: 1, deleted: 0 });
    const t3 = performance.now();
    const hit = await cache.lookup(inputs);
    const t4 = performance.now();
    if (!hit) throw new Error('cache lookup missed');
    if (i >= WARMUP) {
      phases['change list (upper dir, 1 file)']!.push(t1 - t0);
      phases['layer commit (tar+gzip+digests, fsync, renames)']!.push(t2 - t1);
      phases['cache record']!.push(t3 - t2);
      phases['cache lookup (hit)']!.push(t4 - t3);
    }
    removeWorkDir(o.workDir);
  }
  const indexSize = (readFileSync(store.cacheIndexPath).length / 1e6).toFixed(1);
  console.log(`\n3. Engine work around a RUN that writes one file (medians of ${RUNS}; cache index of ${seedEntries}+ entries, ${indexSize} MB)`);
  for (const [name, xs] of Object.entries(phases)) console.log(`   ${name.padEnd(62)}${ms(median(xs))}`);
}

function inputsFor(instruction: string): CacheInputs {
  return {
    parentChain: ['sha256:' + '0'.repeat(64)],
    instruction: `RUN ["/bin/sh","-c",${JSON.stringify(instruction)}]`,
    context: { env: 'PATH=/usr/bin:/bin', user: '', workdir: '/', network: 'default', mounts: '[]', scripts: '[]' },
    buildArgs: {},
  };
}

async function main(): Promise<void> {
  mkdirSync(lower);
  writeBusyboxRootfs(lower);
  console.log(`Per-RUN overhead on ${base} (load average ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')})`);
  const whole = await wholeRun();
  console.log(`\n1. run() of \`true\` on an overlay, start to wait() resolved (median of ${RUNS}): ${ms(median(whole)).trim()}` +
    `  [min ${Math.min(...whole).toFixed(1)}, max ${Math.max(...whole).toFixed(1)}]`);
  await chainBreakdown();
  await enginePhases(200);
  await enginePhases(5000); // the index's cap
}

try {
  await main();
} finally {
  rmSync(base, { recursive: true, force: true });
}
