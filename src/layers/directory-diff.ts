/**
 * The change list between two plain directory trees, for when there is no
 * overlay upper dir: a COPY result against its base, or an unpacked layer
 * against another. Both trees are walked in full, so the cost grows with
 * their size; use changesFromUpperDir when an overlay did the work.
 */
import { lstatSync, readdirSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import { changeEntryFromStats, differingMetadata, entryTypeOf, sameContent } from './entry-stats.js';
import { normalizeLayerPath } from './layer-path.js';
import type { ChangeEntry } from './types.js';
import { layerXattrs, readXattrsRecursive, type XattrMap } from './xattrs.js';

export interface DirectoryDiffOptions {
  /** Layer paths to leave out with everything below them. */
  ignore?: readonly string[];
  /** Compare extended attributes too (one getfattr call per tree). Default true. */
  xattrs?: boolean;
  keepXattr?: (name: string) => boolean;
}

function readNames(dir: string): string[] {
  try {
    return readdirSync(dir).sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

/**
 * What changed from `oldDir` to `newDir`, in layer order. Directories that
 * only hold changes are listed as modified parents, as a layer tar needs them;
 * deletions are single entries (a deleted directory is not listed inside).
 */
export async function diffDirectories(
  oldDir: string,
  newDir: string,
  options: DirectoryDiffOptions = {},
): Promise<ChangeEntry[]> {
  const ignore = new Set((options.ignore ?? []).map(normalizeLayerPath));
  const withXattrs = options.xattrs ?? true;
  const [oldXattrs, newXattrs] = withXattrs
    ? await Promise.all([readXattrsRecursive(oldDir), readXattrsRecursive(newDir)])
    : [new Map<string, XattrMap>(), new Map<string, XattrMap>()];
  const keep = options.keepXattr;
  const result: (ChangeEntry | undefined)[] = [];
  const firstNameOfInode = new Map<string, string>();

  const emitNew = (entry: ChangeEntry, stats: Stats, absPath: string): void => {
    const xattrs = layerXattrs(newXattrs.get(absPath), keep);
    if (xattrs) entry.xattrs = xattrs;
    if (!stats.isDirectory() && stats.nlink > 1) {
      const inode = `${stats.dev}:${stats.ino}`;
      const first = firstNameOfInode.get(inode);
      if (first !== undefined) {
        Object.assign(entry, { type: 'hardlink', linkTarget: first, size: 0 });
        delete entry.devMajor;
        delete entry.devMinor;
        delete entry.metadataOnly;
      } else firstNameOfInode.set(inode, entry.path);
    }
    result.push(entry);
  };

  const addSubtree = (rel: string, abs: string): void => {
    for (const name of readNames(abs)) {
      const path = `${rel}/${name}`;
      if (ignore.has(path)) continue;
      const absPath = join(abs, name);
      const stats = lstatSync(absPath);
      emitNew(changeEntryFromStats(path, 'added', stats, absPath), stats, absPath);
      if (stats.isDirectory()) addSubtree(path, absPath);
    }
  };

  /** Compares one directory level; returns whether anything below changed. */
  const compareDir = (rel: string, oldAbs: string, newAbs: string): boolean => {
    const oldNames = readNames(oldAbs);
    const newNames = readNames(newAbs);
    const names = [...new Set([...oldNames, ...newNames])].sort();
    const oldSet = new Set(oldNames);
    const newSet = new Set(newNames);
    let changed = false;
    for (const name of names) {
      const path = rel === '' ? name : `${rel}/${name}`;
      if (ignore.has(path)) continue;
      const oldPath = join(oldAbs, name);
      const newPath = join(newAbs, name);
      if (!newSet.has(name)) {
        const oldStats = lstatSync(oldPath);
        const deleted = changeEntryFromStats(path, 'deleted', oldStats, oldPath);
        delete deleted.linkTarget;
        result.push(deleted);
        changed = true;
        continue;
      }
      const newStats = lstatSync(newPath);
      if (!oldSet.has(name)) {
        emitNew(changeEntryFromStats(path, 'added', newStats, newPath), newStats, newPath);
        if (newStats.isDirectory()) addSubtree(path, newPath);
        changed = true;
        continue;
      }
      const oldStats = lstatSync(oldPath);
      const entry = changeEntryFromStats(path, 'modified', newStats, newPath);
      const newAttrs = layerXattrs(newXattrs.get(newPath), keep);
      const oldAttrs = layerXattrs(oldXattrs.get(oldPath), keep);
      const fields = differingMetadata(newStats, newAttrs, oldStats, oldAttrs);

      if (newStats.isDirectory() && oldStats.isDirectory()) {
        const slot = result.length;
        result.push(undefined);
        const childrenChanged = compareDir(path, oldPath, newPath);
        // A directory's mtime follows its children; alone it is a change.
        const own = childrenChanged ? fields.filter((f) => f !== 'mtime') : fields;
        if (childrenChanged || own.length > 0) {
          if (own.length > 0 || !childrenChanged) entry.metadataOnly = own;
          if (newAttrs) entry.xattrs = newAttrs;
          result[slot] = entry;
          changed = true;
        }
        continue;
      }
      if (entryTypeOf(newStats) === entryTypeOf(oldStats) && sameContent(newPath, newStats, oldPath, oldStats)) {
        if (fields.length === 0) continue;
        entry.metadataOnly = fields;
      }
      emitNew(entry, newStats, newPath);
      if (newStats.isDirectory()) addSubtree(path, newPath);
      changed = true;
    }
    return changed;
  };

  compareDir('', oldDir, newDir);
  return result.filter((entry): entry is ChangeEntry => entry !== undefined);
}
