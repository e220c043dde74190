/**
 * Unpacks one layer for a rootless store, run by unpack-in-namespace.ts as
 *
 *   setpriv --pdeathsig KILL unshare --user --map-root-user --map-auto -- node layer-unpack-worker.js REQUEST-JSON
 *
 * Here the process is root over the user's subordinate ids, so applyLayer
 * chowns every entry to its container id and the kernel stores the shifted
 * host id: the unpacked dir then looks exactly like the upper dir of a RUN
 * step that made the same files, and copy-ups keep their owners.
 *
 * It also verifies both digests and renames the dir into place, because the
 * user outside may lack the write permission on the layer's root dir that
 * moving a dir needs. Prints one JSON line: an UnpackReply.
 */
import { createReadStream, readFileSync } from 'node:fs';
import { rename } from 'node:fs/promises';
import { syncFileSystem } from './atomic-file.js';
import { applyLayer } from './layer-apply.js';
import type { UnpackReply, UnpackRequest } from './unpack-in-namespace.js';

interface IdRange {
  inside: number;
  size: number;
}

/** The container ids this namespace has, from /proc/self/{uid,gid}_map. */
function mappedRanges(file: string): IdRange[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .map((line) => line.trim().split(/\s+/).map(Number))
    .filter((f) => f.length === 3 && f.every(Number.isInteger))
    .map(([inside, , size]) => ({ inside: inside!, size: size! }));
}

function isMapped(ranges: IdRange[], id: number): boolean {
  return ranges.some((r) => id >= r.inside && id < r.inside + r.size);
}

function highestId(ranges: IdRange[]): number {
  return Math.max(...ranges.map((r) => r.inside + r.size - 1));
}

/** A layer file owned by an id the user's ranges do not reach. */
class UnmappedLayerOwnerError extends Error {
  readonly isUserError = true;
  readonly exitCode = 2;
  constructor(layer: string, path: string, kind: 'uid' | 'gid', id: number, highest: number) {
    super(
      `${layer}: "${path}" is owned by ${kind} ${id}, which this rootless store cannot hold: its user namespace has ${kind}s 0-${highest} ` +
        `(the ranges of /etc/subuid and /etc/subgid); give the user a larger range`,
    );
    this.name = 'UnmappedLayerOwnerError';
  }
}

async function unpack(request: UnpackRequest): Promise<UnpackReply> {
  const uids = mappedRanges('/proc/self/uid_map');
  const gids = mappedRanges('/proc/self/gid_map');
  const result = await applyLayer(createReadStream(request.blobPath), request.into, {
    whiteouts: 'overlay',
    mediaType: request.mediaType,
    description: request.description,
    overlayXattrNamespace: 'user',
    privileged: true,
    inUserNamespace: true,
    mapIds: (uid, gid, path) => {
      if (!isMapped(uids, uid)) throw new UnmappedLayerOwnerError(request.description, path, 'uid', uid, highestId(uids));
      if (!isMapped(gids, gid)) throw new UnmappedLayerOwnerError(request.description, path, 'gid', gid, highestId(gids));
      return { uid, gid };
    },
  });
  const verified = result.compressedDigest === request.expectedBlobDigest && result.diffId === request.expectedDiffId;
  if (verified) {
    await syncFileSystem(request.into);
    await rename(request.into, request.target);
  }
  return { ok: true, result, renamed: verified };
}

async function main(): Promise<void> {
  let reply: UnpackReply;
  try {
    reply = await unpack(JSON.parse(process.argv[2] ?? '') as UnpackRequest);
  } catch (err) {
    const error = err as Error & { isUserError?: boolean };
    reply = { ok: false, error: { name: error.name, message: error.message, isUserError: error.isUserError === true } };
  }
  process.stdout.write(`${JSON.stringify(reply)}\n`);
}

await main();
