import { lstat, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { isSha256Digest } from './oci-types.js';
import { removeStoreTree } from './remove-tree.js';
import { runInUserNamespace } from './user-namespace.js';
import type { Store } from './store.js';

/**
 * Garbage collection of the store: delete the blobs and unpacked layer dirs
 * that nothing reaches. Roots are every ref and every digest written in the
 * engine's build cache index (cache/index.json). From a root, a manifest
 * reaches its config and layers, an index its manifests, a config the
 * unpacked dirs of its diff_ids.
 *
 * Leftovers in tmp/ are removed when they are older than `tmpGraceMs` (a
 * process may be writing them right now). Known limit: an image being pulled
 * or loaded by another process has no ref until it is complete, so a prune
 * running at that moment can delete its blobs; run prune when the store is
 * idle.
 *
 * Rootless, unpacked layers hold files of the user's subordinate ids, which
 * the user can neither list nor delete from outside: those are measured and
 * removed as root of the build's user namespace (remove-tree.ts).
 */
export interface PruneResult {
  blobsRemoved: number;
  layersRemoved: number;
  tmpRemoved: number;
  bytesFreed: number;
}

export interface PruneOptions {
  tmpGraceMs?: number;
}

const digestInText = /sha256:[a-f0-9]{64}/g;
const maxDocumentSize = 4 * 1024 * 1024;

export async function pruneStore(store: Store, options: PruneOptions = {}): Promise<PruneResult> {
  return store.withLock('gc', async () => {
    const keptBlobs = new Set<string>();
    const keptLayers = new Set<string>();
    const roots: string[] = (await store.listRefs()).map((r) => r.digest);
    const cacheText = await readFile(store.cacheIndexPath, 'utf8').catch(() => '');
    for (const digest of cacheText.match(digestInText) ?? []) {
      roots.push(digest);
      keptLayers.add(digest.slice(7));
    }
    const queue = [...roots];
    while (queue.length > 0) {
      const digest = queue.pop()!;
      if (keptBlobs.has(digest)) continue;
      keptBlobs.add(digest);
      for (const child of await referencedDigests(store, digest, keptLayers)) queue.push(child);
    }

    const result: PruneResult = { blobsRemoved: 0, layersRemoved: 0, tmpRemoved: 0, bytesFreed: 0 };
    const blobDir = join(store.root, 'blobs', 'sha256');
    for (const hex of await readdir(blobDir)) {
      if (keptBlobs.has(`sha256:${hex}`)) continue;
      const path = join(blobDir, hex);
      result.bytesFreed += await diskUsage(path);
      await rm(path, { force: true });
      result.blobsRemoved++;
    }
    const layerDir = join(store.root, 'layers');
    for (const hex of await readdir(layerDir)) {
      if (keptLayers.has(hex)) continue;
      const path = join(layerDir, hex);
      result.bytesFreed += await diskUsage(path);
      await removeStoreTree(path);
      result.layersRemoved++;
    }
    const grace = options.tmpGraceMs ?? 60 * 60 * 1000;
    for (const name of await readdir(store.tmpDir)) {
      const path = join(store.tmpDir, name);
      const info = await lstat(path).catch(() => undefined);
      if (!info || Date.now() - info.mtimeMs < grace) continue;
      result.bytesFreed += await diskUsage(path);
      await removeStoreTree(path);
      result.tmpRemoved++;
    }
    return result;
  });
}

/** Digests a stored JSON document points at (manifests, config, layers); diff_ids go to `layers`. */
async function referencedDigests(store: Store, digest: string, layers: Set<string>): Promise<string[]> {
  if (!isSha256Digest(digest)) return [];
  const size = await store.blobSize(digest);
  if (size === undefined || size > maxDocumentSize) return [];
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse((await store.readBlob(digest)).toString('utf8')) as Record<string, unknown>;
  } catch {
    return []; // a layer or other binary blob, or a damaged one: it reaches nothing
  }
  if (!doc || typeof doc !== 'object') return [];
  const out: string[] = [];
  const descriptors = [
    ...(Array.isArray(doc.manifests) ? doc.manifests : []),
    ...(Array.isArray(doc.layers) ? doc.layers : []),
    ...(doc.config && typeof doc.config === 'object' && 'digest' in doc.config ? [doc.config] : []),
    ...(doc.subject ? [doc.subject] : []),
  ] as Array<{ digest?: unknown }>;
  for (const d of descriptors) if (isSha256Digest(d?.digest)) out.push(d.digest);
  const rootfs = doc.rootfs as { diff_ids?: unknown } | undefined;
  if (rootfs && Array.isArray(rootfs.diff_ids)) {
    for (const diffId of rootfs.diff_ids) if (isSha256Digest(diffId)) layers.add(diffId.slice(7));
  }
  return out;
}

/**
 * Bytes a file or tree takes, counting each hard-linked inode once. A tree
 * with dirs the user cannot read (rootless: another container uid's) is
 * measured by `du` in the user namespace instead.
 */
async function diskUsage(path: string): Promise<number> {
  try {
    return await apparentSize(path, new Set());
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if ((code !== 'EACCES' && code !== 'EPERM') || process.getuid?.() === 0) throw err;
  }
  const output = await runInUserNamespace('du', ['--summarize', '--bytes', '--', path]);
  return Number.parseInt(output, 10) || 0;
}

async function apparentSize(path: string, seen: Set<string>): Promise<number> {
  const info = await lstat(path).catch(() => undefined);
  if (!info) return 0;
  const key = `${info.dev}:${info.ino}`;
  if (seen.has(key)) return 0;
  seen.add(key);
  if (!info.isDirectory()) return info.size;
  let total = 0;
  for (const name of await readdir(path)) total += await apparentSize(join(path, name), seen);
  return total;
}
