/**
 * Reads a file as the container would see it through a stack of unpacked
 * layer dirs (topmost first, overlay whiteouts and opaque dirs honoured),
 * without mounting anything. The engine needs this before a step runs, e.g. to
 * resolve USER names from /etc/passwd or to check that a WORKDIR exists.
 */
import { lstatSync, readFileSync, readlinkSync } from 'node:fs';
import { join, posix } from 'node:path';
import { isWhiteout } from '../layers/lower-view.js';
import { isOpaqueDirSync } from '../layers/xattrs.js';

const maxSymlinkHops = 40;

type Lookup = { kind: 'found'; layerDir: string; type: 'file' | 'dir' | 'symlink' | 'other' } | { kind: 'absent' };

function isWhiteoutAt(path: string): boolean {
  try {
    return isWhiteout(lstatSync(path));
  } catch {
    return false;
  }
}

/**
 * Opaque marks of directories, by absolute path. Store layers never change
 * and an upper dir is only read after its step ended, so a directory's answer
 * holds for the session; without the cache every RUN would spawn getfattr for
 * each directory on the way to /etc/passwd, in every layer.
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

/** Finds the topmost layer that decides what `rel` (no leading slash) is. */
function lookup(layers: string[], rel: string): Lookup {
  const parts = rel.split('/').filter(Boolean);
  for (const layer of layers) {
    // A whiteout or opaque dir in this layer at any ancestor hides what is below.
    let hidden = false;
    for (let i = 1; i <= parts.length; i++) {
      const p = join(layer, ...parts.slice(0, i));
      if (isWhiteoutAt(p)) return { kind: 'absent' };
      if (i < parts.length && layer !== layers[layers.length - 1]) {
        try {
          if (lstatSync(p).isDirectory() && isOpaque(p)) hidden = true;
        } catch {
          // not in this layer
        }
      }
    }
    const full = join(layer, ...parts);
    try {
      const st = lstatSync(full);
      const type = st.isFile() ? 'file' : st.isDirectory() ? 'dir' : st.isSymbolicLink() ? 'symlink' : 'other';
      return { kind: 'found', layerDir: layer, type };
    } catch {
      // not in this layer
    }
    if (hidden) return { kind: 'absent' };
  }
  return { kind: 'absent' };
}

/** Resolves symlinks the way a chroot would, one path element at a time. */
function resolveInStack(layers: string[], path: string): { layerDir: string; rel: string; type: string } | undefined {
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
    const found = lookup(layers, rel);
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
