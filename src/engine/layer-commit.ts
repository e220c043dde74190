/**
 * Turns a step's upper dir into a stored layer: the change list (cost grows
 * with the change, not the filesystem), the layer blob written once with both
 * digests, and the upper dir itself kept as the layer's unpacked dir, because
 * it already has the overlay form later steps stack as a lower dir.
 */
import { randomBytes } from 'node:crypto';
import { open, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { changesFromUpperDir } from '../layers/upper-dir-changes.js';
import { commitLayer, type CommittedLayer } from '../layers/layer-tar-writer.js';
import type { ChangeEntry } from '../layers/types.js';
import { MediaTypes, type Descriptor } from '../image/oci-types.js';
import { getIdMapping, toContainerId, type IdMapping } from '../sandbox/index.js';
import { callFileStepWorker } from './file-step-backend.js';
import { changesFromWire, changesToWire, type WireChangeEntry } from './file-step-protocol.js';
import { removeStoreTree } from '../image/remove-tree.js';
import type { Store } from '../image/store.js';
import type { ChangeCounts } from './session-types.js';

/** One layer of a stage's state: what the manifest lists and where it is unpacked. */
export interface LayerRecord {
  descriptor: Descriptor;
  diffId: string;
  /** Unpacked dir in the store, usable as an overlay lower dir. */
  dir: string;
  uncompressedSize?: number;
}

/**
 * Paths the sandbox provides by mounting; when a rootfs lacks them the sandbox
 * may leave copied-up parents, never the files, but a step must not claim them.
 */
export const sandboxMountpoints = ['etc/hosts', 'etc/resolv.conf', 'etc/hostname', 'proc', 'sys', 'dev'];

/**
 * Counts what a person would call the step's changes: a directory that is in
 * the layer only because something inside it changed is not counted itself.
 */
export function countChanges(changes: readonly ChangeEntry[]): ChangeCounts {
  const counts = { added: 0, modified: 0, deleted: 0 };
  for (const c of changes) if (!isParentOnly(c)) counts[c.kind]++;
  return counts;
}

export function isParentOnly(c: ChangeEntry): boolean {
  // An opaque dir (`rm -rf d && mkdir d`) is a change of its own: it hides the lower dir's entries.
  return c.kind === 'modified' && c.type === 'dir' && c.metadataOnly === undefined && !c.opaque;
}

/**
 * Rootless, a step's files belong to subordinate ids and may be unreadable
 * from outside (a `chmod 600` file of uid 1000): the upper dir is read in the
 * file-step worker's user namespace, where owners are container ids.
 */
export async function detectChanges(upperDir: string, lowerDirs: readonly string[], ignore: readonly string[] = []): Promise<ChangeEntry[]> {
  const mapping = await getIdMapping();
  if (mapping.kind !== 'host') {
    const wire = await callFileStepWorker<WireChangeEntry[]>(mapping, {
      op: 'detect-changes',
      upperDir,
      lowerDirs: [...lowerDirs],
      ignore: [...ignore],
    });
    return changesFromWire(wire);
  }
  return changesFromUpperDir(upperDir, { lowerDirs, ignore });
}

export interface CommitOptions {
  /** Host id → layer id, as root only: rootless commits run in the user namespace, which shows container ids. */
  mapUid?: (uid: number) => number;
  mapGid?: (gid: number) => number;
}

/** Rootless: the upper dir holds host ids; the layer must hold container ids. */
export function layerIdMapsFor(mapping: IdMapping): CommitOptions {
  if (mapping.kind === 'host') return {};
  const back = (map: IdMapping['uidMap']) => (hostId: number) => toContainerId(map, hostId) ?? hostId;
  return { mapUid: back(mapping.uidMap), mapGid: back(mapping.gidMap) };
}

/**
 * Writes the layer blob into the store and moves `upperDir` into place as the
 * unpacked layer. When the store already has that diff_id unpacked (the same
 * change made before), the upper dir is removed instead.
 */
export async function commitUpperDir(
  store: Store,
  changes: readonly ChangeEntry[],
  upperDir: string,
  options: CommitOptions = {},
): Promise<LayerRecord> {
  const tmpBlob = join(store.tmpDir, `blob-${randomBytes(8).toString('hex')}`);
  let committed;
  try {
    const mapping = await getIdMapping();
    committed =
      mapping.kind === 'host'
        ? await commitLayer(changes, upperDir, tmpBlob, { mapUid: options.mapUid, mapGid: options.mapGid })
        : // Rootless: read in the user namespace (see detectChanges); ids there are already container ids.
          await callFileStepWorker<CommittedLayer>(mapping, {
            op: 'commit-layer',
            changes: changesToWire(changes),
            upperDir,
            blobPath: tmpBlob,
          });
    await syncFile(tmpBlob);
    if (await store.hasBlob(committed.digest)) await rm(tmpBlob, { force: true });
    else await rename(tmpBlob, store.blobPath(committed.digest));
  } catch (err) {
    await rm(tmpBlob, { force: true });
    throw err;
  }
  const dir = store.unpackedLayerPath(committed.diffId);
  await store.withLock(`layer-${committed.diffId.slice(7)}`, async () => {
    if (await store.hasUnpackedLayer(committed.diffId)) {
      // Rootless, the upper dir can hold subordinate-id dirs the user cannot rm.
      await removeStoreTree(upperDir);
    } else {
      await rename(upperDir, dir);
    }
  });
  return {
    descriptor: { mediaType: MediaTypes.ociLayerGzip, digest: committed.digest, size: committed.size },
    diffId: committed.diffId,
    dir,
    uncompressedSize: committed.uncompressedSize,
  };
}

async function syncFile(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

export async function dirExists(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}
