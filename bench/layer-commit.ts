/**
 * Layer commit throughput: layerlab's commitLayer (own tar writer, parallel
 * gzip-1, sha256 of tar and blob in one pass) against GNU `tar | pigz -1`
 * with both sha256s taken by openssl via tee, on the same ~400 MB, ~50k-file
 * tree. Prints figures; asserts nothing.
 *
 * Run: bench/layer-commit.sh
 * The tree is made once under /tmp/layerlab-bench-tree (LAYERLAB_BENCH_TREE to move it).
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { changesFromUpperDir, commitLayer } from '../src/layers/index.js';

const TREE = process.env.LAYERLAB_BENCH_TREE ?? '/tmp/layerlab-bench-tree';
const OUT = '/tmp/layerlab-bench-out';
const RUNS = 3;

/** Deterministic pseudo-random numbers, so the tree is the same every time. */
function lcg(seed: number): () => number {
  let state = seed;
  return () => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return state / 2 ** 32;
  };
}

/** Text that compresses like source code (about 3–4× with gzip -1). */
function makeCorpus(bytes: number): Buffer {
  const random = lcg(7);
  const words = Array.from({ length: 4000 }, () => {
    const length = 2 + Math.floor(random() * 10);
    let word = '';
    for (let i = 0; i < length; i++) word += String.fromCharCode(97 + Math.floor(random() * 26));
    return word;
  });
  const parts: string[] = [];
  let size = 0;
  while (size < bytes) {
    const indent = '  '.repeat(Math.floor(random() * 4));
    let line = indent;
    const count = 3 + Math.floor(random() * 8);
    for (let i = 0; i < count; i++) line += words[Math.floor(random() ** 2 * words.length)] + (i + 1 < count ? ' ' : ';\n');
    parts.push(line);
    size += line.length;
  }
  return Buffer.from(parts.join('')).subarray(0, bytes);
}

function makeTree(): void {
  const marker = join(TREE, '.complete');
  if (existsSync(marker)) return;
  rmSync(TREE, { recursive: true, force: true });
  console.log(`making the benchmark tree under ${TREE} (once)...`);
  const random = lcg(42);
  const corpus = makeCorpus(16 * 1024 * 1024);
  const slice = (size: number): Buffer => {
    const start = Math.floor(random() * (corpus.length - size));
    return corpus.subarray(start, start + size);
  };
  // ~47k small files (source-like, 0.2–4 KB) in a node_modules-like layout.
  for (let pkg = 0; pkg < 940; pkg++) {
    for (let dir = 0; dir < 5; dir++) {
      const path = join(TREE, 'usr/lib/node_modules', `pkg${pkg}`, `dir${dir}`);
      mkdirSync(path, { recursive: true });
      for (let file = 0; file < 10; file++) {
        writeFileSync(join(path, `file${file}.js`), slice(200 + Math.floor(random() * 3800)));
      }
    }
  }
  // ~2k medium files (20–120 KB), half compressible, half random.
  for (let i = 0; i < 2000; i++) {
    const dir = join(TREE, 'usr/share/data', `d${i % 60}`);
    mkdirSync(dir, { recursive: true });
    const size = 20_000 + Math.floor(random() * 100_000);
    writeFileSync(join(dir, `blob${i}`), i % 2 === 0 ? slice(size) : randomBytes(size));
  }
  // Large files: incompressible binaries and compressible logs.
  mkdirSync(join(TREE, 'opt/big'), { recursive: true });
  for (let i = 0; i < 4; i++) writeFileSync(join(TREE, 'opt/big', `binary${i}.bin`), randomBytes(24 * 1024 * 1024));
  for (let i = 0; i < 3; i++) {
    const parts: Buffer[] = [];
    for (let mb = 0; mb < 20; mb++) parts.push(slice(1024 * 1024));
    writeFileSync(join(TREE, 'opt/big', `log${i}.txt`), Buffer.concat(parts));
  }
  writeFileSync(marker, '');
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function main(): Promise<void> {
  makeTree();
  mkdirSync(OUT, { recursive: true });
  const du = execFileSync('du', ['-sb', '--exclude=.complete', TREE]).toString().split('\t')[0];
  const files = Number(execFileSync('sh', ['-c', `find ${TREE} -type f | wc -l`]).toString());
  console.log(`tree: ${files} files, ${(Number(du) / 1e6).toFixed(0)} MB of data`);
  execFileSync('sh', ['-c', `tar -cf - -C ${TREE} . > /dev/null`]); // warm the page cache

  // Change detection is not part of the commit figure, but show it.
  let started = performance.now();
  const entries = await changesFromUpperDir(TREE, { lowerDirs: [], ignore: ['.complete'] });
  const listMs = performance.now() - started;
  console.log(`change list of the whole tree as one upper dir: ${entries.length} entries in ${listMs.toFixed(0)} ms`);

  const ours: number[] = [];
  const oursCpu: number[] = [];
  let tarBytes = 0;
  let blobBytes = 0;
  for (let run = 0; run < RUNS; run++) {
    const blob = join(OUT, 'layerlab.tar.gz');
    started = performance.now();
    const cpuBefore = process.cpuUsage();
    const result = await commitLayer(entries, TREE, blob);
    ours.push(performance.now() - started);
    const cpu = process.cpuUsage(cpuBefore); // includes the zlib thread pool
    oursCpu.push((cpu.user + cpu.system) / 1000);
    tarBytes = result.uncompressedSize;
    blobBytes = result.size;
    if (run === 0) execFileSync('gzip', ['-t', blob]);
  }

  const gnu: number[] = [];
  const gnuCpu: number[] = [];
  let gnuTarBytes = 0;
  let gnuBlobBytes = 0;
  const script = `set -o pipefail; tar -cf - -C ${TREE} --exclude=./.complete . \
    | tee >(openssl dgst -sha256 > ${OUT}/tar.sha256) | pigz -1 \
    | tee >(openssl dgst -sha256 > ${OUT}/blob.sha256) > ${OUT}/gnu.tar.gz; wait`;
  for (let run = 0; run < RUNS; run++) {
    started = performance.now();
    // GNU time counts the CPU of bash and every process of the pipeline.
    execFileSync('/usr/bin/time', ['-f', '%U %S', '-o', `${OUT}/cpu`, 'bash', '-c', script]);
    gnu.push(performance.now() - started);
    const [user, system] = readFileSync(`${OUT}/cpu`, 'utf8').trim().split(/\s+/).slice(-2).map(Number);
    gnuCpu.push((user! + system!) * 1000);
    gnuBlobBytes = statSync(join(OUT, 'gnu.tar.gz')).size;
  }
  gnuTarBytes = Number(execFileSync('sh', ['-c', `pigz -dc ${OUT}/gnu.tar.gz | wc -c`]).toString());

  const oursMs = median(ours);
  const gnuMs = median(gnu);
  const mbps = (bytes: number, ms: number) => (bytes / 1e6 / (ms / 1000)).toFixed(0);
  console.log(`layerlab commitLayer (tar + parallel gzip-1 + 2×sha256): median ${(oursMs / 1000).toFixed(2)} s` +
    ` (${ours.map((t) => (t / 1000).toFixed(2)).join(', ')}), ${mbps(tarBytes, oursMs)} MB/s of tar,` +
    ` tar ${(tarBytes / 1e6).toFixed(0)} MB -> blob ${(blobBytes / 1e6).toFixed(0)} MB`);
  console.log(`GNU tar | pigz -1, sha256 via tee+openssl:            median ${(gnuMs / 1000).toFixed(2)} s` +
    ` (${gnu.map((t) => (t / 1000).toFixed(2)).join(', ')}), ${mbps(gnuTarBytes, gnuMs)} MB/s of tar,` +
    ` tar ${(gnuTarBytes / 1e6).toFixed(0)} MB -> blob ${(gnuBlobBytes / 1e6).toFixed(0)} MB`);
  console.log(`ratio layerlab/GNU wall time: ${(oursMs / gnuMs).toFixed(2)} (below 1 = layerlab faster)`);
  // On a shared machine wall time follows the neighbours' load; CPU time does not.
  const oursCpuMs = median(oursCpu);
  const gnuCpuMs = median(gnuCpu);
  console.log(`CPU time: layerlab ${(oursCpuMs / 1000).toFixed(2)} s, GNU pipeline ${(gnuCpuMs / 1000).toFixed(2)} s,` +
    ` ratio ${(oursCpuMs / gnuCpuMs).toFixed(2)}; load average now ${(await import('node:os')).loadavg()[0]!.toFixed(1)}`);
  rmSync(OUT, { recursive: true, force: true });
}

await main();
