/**
 * Two (or more) real node processes sharing one store: racing to write and
 * unpack the same blob, taking the same lock, and one of them killed with -9
 * in the middle of an extraction.
 */
import { execFileSync, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Store } from '../../src/image/store.js';
import { MediaTypes } from '../../src/image/oci-types.js';
import { buildGzipTar, type TarEntrySpec } from './tar-builder.js';

const repo = resolve(import.meta.dirname, '../..');
let compiled: string;
let work: string;

const childScript = `
import { appendFileSync } from 'node:fs';
import { Store } from './store.js';
const [root, mode, ...rest] = process.argv.slice(2);
const store = await Store.open(root);
if (mode === 'unpack') {
  const [diffId, digest, file] = rest;
  const { readFileSync } = await import('node:fs');
  const blob = await store.writeBlob(readFileSync(file), digest);
  const dir = await store.ensureUnpackedLayer(diffId, blob.digest, '${MediaTypes.ociLayerGzip}');
  process.stdout.write(dir);
} else if (mode === 'lock') {
  const [log, id, rounds] = rest;
  for (let i = 0; i < Number(rounds); i++) {
    await store.withLock('shared', async () => {
      appendFileSync(log, id + ' in\\n');
      await new Promise((r) => setTimeout(r, 2));
      appendFileSync(log, id + ' out\\n');
    });
  }
} else if (mode === 'hold') {
  await store.withLock(rest[0], async () => { process.stdout.write('held\\n'); await new Promise(() => {}); });
}
`;

beforeAll(() => {
  // Compiled into node_modules/.cache so the child finds tar-stream by normal resolution.
  compiled = join(repo, 'node_modules', '.cache', `layerlab-store-test-${randomBytes(4).toString('hex')}`);
  mkdirSync(compiled, { recursive: true });
  execFileSync(
    join(repo, 'node_modules/.bin/tsc'),
    ['--outDir', compiled, '--rootDir', join(repo, 'src/image'), '--module', 'NodeNext', '--moduleResolution', 'NodeNext',
      '--target', 'ES2022', '--strict', '--skipLibCheck', '--types', 'node', join(repo, 'src/image/store.ts')],
    { cwd: repo, stdio: 'inherit' },
  );
  writeFileSync(join(compiled, 'package.json'), '{"type":"module"}\n');
  writeFileSync(join(compiled, 'child.js'), childScript);
}, 120_000);

afterAll(async () => {
  await rm(compiled, { recursive: true, force: true });
  if (work) await rm(work, { recursive: true, force: true });
});

function child(args: string[]): { done: Promise<{ code: number | null; stdout: string; stderr: string }>; pid: number; onOutput: (fn: (s: string) => void) => void } {
  const proc = spawn(process.execPath, [join(compiled, 'child.js'), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  const listeners: Array<(s: string) => void> = [];
  proc.stdout.on('data', (c: Buffer) => {
    stdout += c.toString();
    for (const l of listeners) l(stdout);
  });
  proc.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  return {
    pid: proc.pid!,
    done: new Promise((resolve) => proc.on('close', (code) => resolve({ code, stdout, stderr }))),
    onOutput: (fn) => listeners.push(fn),
  };
}

async function bigLayer(files: number): Promise<{ file: string; diffId: string; digest: string }> {
  const entries: TarEntrySpec[] = [];
  for (let d = 0; d < files / 100; d++) {
    for (let f = 0; f < 100; f++) entries.push({ name: `d${d}/f${f}`, content: randomBytes(2000) });
  }
  const gz = await buildGzipTar(entries);
  const sha = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
  const file = join(work, `layer-${files}.tar.gz`);
  await writeFile(file, gz);
  return { file, diffId: sha(gunzipSync(gz)), digest: sha(gz) };
}

describe('one store, several processes', () => {
  it('processes racing to write and unpack the same layer all succeed, with one complete dir and no leftovers', async () => {
    work = await mkdtemp(join(tmpdir(), 'layerlab-procs-'));
    const root = join(work, 'store');
    const layer = await bigLayer(2000);
    const racers = [0, 1, 2].map(() => child([root, 'unpack', layer.diffId, layer.digest, layer.file]));
    const results = await Promise.all(racers.map((r) => r.done));
    for (const r of results) expect(r).toMatchObject({ code: 0, stderr: '' });
    const store = await Store.open(root);
    expect(new Set(results.map((r) => r.stdout))).toEqual(new Set([store.unpackedLayerPath(layer.diffId)]));
    expect(await readdir(join(root, 'layers'))).toEqual([layer.diffId.slice(7)]);
    expect((await readdir(join(store.unpackedLayerPath(layer.diffId), 'd7'))).length).toBe(100);
    expect(await readdir(join(root, 'tmp'))).toEqual([]);
    expect(await readdir(join(root, 'locks'))).toEqual([]);
  });

  it('a named lock excludes the other processes: every "in" is followed by the same holder\'s "out"', async () => {
    const root = join(work, 'store-lock');
    const log = join(work, 'lock.log');
    await writeFile(log, '');
    const holders = ['a', 'b', 'c'].map((id) => child([root, 'lock', log, id, '15']));
    for (const r of await Promise.all(holders.map((h) => h.done))) expect(r).toMatchObject({ code: 0, stderr: '' });
    const lines = (await readFile(log, 'utf8')).trim().split('\n');
    expect(lines).toHaveLength(90);
    for (let i = 0; i < lines.length; i += 2) {
      const [id, state] = lines[i]!.split(' ');
      expect(state).toBe('in');
      expect(lines[i + 1]).toBe(`${id} out`);
    }
  });

  it('a lock whose holder was killed with -9 is broken by the next process', async () => {
    const root = join(work, 'store-stale');
    const holder = child([root, 'hold', 'shared']);
    await new Promise<void>((resolve) => holder.onOutput((s) => s.includes('held') && resolve()));
    process.kill(holder.pid, 'SIGKILL');
    await holder.done;
    expect(await readdir(join(root, 'locks'))).toEqual(['shared.lock']);
    const log = join(work, 'stale.log');
    await writeFile(log, '');
    const next = await child([root, 'lock', log, 'n', '1']).done;
    expect(next).toMatchObject({ code: 0, stderr: '' });
    expect(await readFile(log, 'utf8')).toBe('n in\nn out\n');
  });

  it('a process killed with -9 in the middle of an extraction leaves no trusted layer dir; the next one unpacks it', async () => {
    const root = join(work, 'store-crash');
    const layer = await bigLayer(6000);
    const victim = child([root, 'unpack', layer.diffId, layer.digest, layer.file]);
    const store = await Store.open(root);
    // Kill it once extraction has visibly started in tmp/.
    for (let i = 0; i < 400; i++) {
      const tmp = await readdir(join(root, 'tmp')).catch(() => []);
      if (tmp.some((n) => n.startsWith('unpack-'))) break;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    process.kill(victim.pid, 'SIGKILL');
    await victim.done;
    expect(await store.hasUnpackedLayer(layer.diffId)).toBe(false);
    const again = await child([root, 'unpack', layer.diffId, layer.digest, layer.file]).done;
    expect(again).toMatchObject({ code: 0, stderr: '' });
    expect((await readdir(join(store.unpackedLayerPath(layer.diffId), 'd59'))).length).toBe(100);
  });
});
