/**
 * Reads a file as the container would see it through a stack of unpacked
 * layer dirs (topmost first, overlay whiteouts and opaque dirs honoured),
 * without mounting anything. The engine needs this before a step runs, e.g. to
 * resolve USER names from /etc/passwd or to check that a WORKDIR exists.
 */
import { readFileSync, readlinkSync } from 'node:fs';
import { join, posix } from 'node:path';
import { LowerView } from '../layers/lower-view.js';
import { isOpaqueDirSync } from '../layers/xattrs.js';

const maxSymlinkHops = 40;

type Lookup = { kind: 'found'; layerDir: string; type: 'file' | 'dir' | 'symlink' | 'other' } | { kind: 'absent' };

/**
 * Opaque marks of directories, by absolute path. Store layers never change
 * and an upper dir is only read after its step ended, so a directory's answer
 * holds for the session; without the cache every RUN would read the marks of
 * each directory on the way to /etc/passwd, in every layer, again.
 */
const opaqueCache = new Map<string, boolean>();

function isOpaque(dir: string): boolean {
  let opaque = opaqueCache.get(dir);
  if (opaque === undefined) {
    opaque = isOpaqueDirSync(dir);
    opaqueCache.set(dir, opaque);
  }
  return opaque;
}

/**
 * What the stack shows at `rel` (no leading slash), and which layer decides
 * it. A path this user may not look into (rootless: a 0700 dir of another
 * container uid) shows nothing.
 */
function lookup(view: LowerView, rel: string): Lookup {
  let hit;
  try {
    hit = view.lookup(rel);
  } catch {
    return { kind: 'absent' };
  }
  if (!hit) return { kind: 'absent' };
  const st = hit.stats;
  const type = st.isFile() ? 'file' : st.isDirectory() ? 'dir' : st.isSymbolicLink() ? 'symlink' : 'other';
  return { kind: 'found', layerDir: view.lowerDirs[hit.layer]!, type };
}

/** Resolves symlinks the way a chroot would, one path element at a time. */
function resolveInStack(layers: string[], path: string): { layerDir: string; rel: string; type: string } | undefined {
  const view = new LowerView(layers, { isOpaque });
  let pending = path.split('/').filter(Boolean);
  const done: string[] = [];
  let hops = 0;
  while (pending.length > 0) {
    const [head, ...rest] = pending;
    pending = rest;
    if (head === '.') continue;
    if (head === '..') {
      done.pop();
      continue;
    }
    const rel = [...done, head].join('/');
    const found = lookup(view, rel);
    if (found.kind === 'absent') return undefined;
    if (found.type === 'symlink') {
      if (++hops > maxSymlinkHops) return undefined;
      const target = readlinkSync(join(found.layerDir, rel));
      if (target.startsWith('/')) done.length = 0;
      pending = [...target.split('/').filter(Boolean), ...pending];
      continue;
    }
    done.push(head!);
    if (pending.length === 0) return { layerDir: found.layerDir, rel: done.join('/'), type: found.type };
  }
  return { layerDir: layers[0] ?? '/', rel: '', type: 'dir' };
}

export function readFileFromStack(layers: string[], path: string): Buffer | undefined {
  const found = resolveInStack(layers, posix.normalize(path));
  if (!found || found.type !== 'file') return undefined;
  return readFileSync(join(found.layerDir, found.rel));
}

export function statInStack(layers: string[], path: string): 'file' | 'dir' | 'other' | undefined {
  const found = resolveInStack(layers, posix.normalize(path));
  if (!found) return undefined;
  return found.type === 'file' ? 'file' : found.type === 'dir' ? 'dir' : 'other';
}
