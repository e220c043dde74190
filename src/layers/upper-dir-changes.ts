/**
 * The change list of one overlay step, read from its upper dir. Only the upper
 * dir is walked, and the lower dirs are asked only about the paths found
 * there, so the cost grows with the change and not with the filesystem.
 */
import { lstatSync, readdirSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import { changeEntryFromStats, differingMetadata, sameContent } from './entry-stats.js';
import { LowerView, isWhiteout, type LowerHit } from './lower-view.js';
import { normalizeLayerPath } from './layer-path.js';
import type { ChangeEntry } from './types.js';
import { isOpaqueDir, layerXattrs, readXattrsOf, readXattrsRecursive, type XattrMap } from './xattrs.js';

export interface UpperDirChangeOptions {
  /** The step's lower dirs in overlay order: topmost first. */
  lowerDirs: readonly string[];
  /**
   * Layer paths to leave out with everything below them, such as the
   * sandbox's mountpoints ("etc/hosts", "etc/resolv.conf", "proc").
   */
  ignore?: readonly string[];
  /** Which extended attributes to carry into the layer; overlay's own never are. */
  keepXattr?: (name: string) => boolean;
}

interface WalkedEntry {
  path: string;
  absPath: string;
  stats: Stats;
  /** Index of the parent directory in the walk, -1 for children of the root. */
  parent: number;
  hadIgnoredChild: boolean;
}

/** Depth-first, names sorted, parents before their children. */
function walkUpperDir(upperDir: string, ignore: ReadonlySet<string>): WalkedEntry[] {
  const walked: WalkedEntry[] = [];
  const visit = (relDir: string, absDir: string, parent: number): void => {
    const names = readdirSync(absDir).sort();
    for (const name of names) {
      const path = relDir === '' ? name : `${relDir}/${name}`;
      if (ignore.has(path)) {
        if (parent >= 0) walked[parent]!.hadIgnoredChild = true;
        continue;
      }
      const absPath = join(absDir, name);
      const stats = lstatSync(absPath);
      const index = walked.length;
      walked.push({ path, absPath, stats, parent, hadIgnoredChild: false });
      if (stats.isDirectory()) visit(path, absPath, index);
    }
  };
  visit('', upperDir, -1);
  return walked;
}

/**
 * Reads what a step changed from its overlay upper dir.
 *
 * - added/modified: by whether the lower dirs show the same path;
 * - deleted: overlay whiteouts (0/0 char devices) over a path the lowers show;
 * - opaque dirs: `trusted.overlay.opaque=y` (or `user.overlay.opaque=y`);
 * - metadata-only: same type and content as below, listing what differs;
 * - the second and later names of one inode become hardlink entries.
 */
export async function changesFromUpperDir(upperDir: string, options: UpperDirChangeOptions): Promise<ChangeEntry[]> {
  const ignore = new Set((options.ignore ?? []).map(normalizeLayerPath));
  // getfattr runs in its own process while this one walks the same tree.
  const upperXattrsPending = readXattrsRecursive(upperDir);
  upperXattrsPending.catch(() => undefined); // awaited below; avoid an unhandled rejection meanwhile
  const walked = walkUpperDir(upperDir, ignore);
  const lowers = new LowerView(options.lowerDirs);

  // First pass over the lowers without opaque markers: it finds every lower
  // directory that takes part in a merge and every candidate entry. One
  // getfattr call then reads their attributes, next to the one over the upper.
  const candidates = walked.map((entry) => lowers.lookup(entry.path));
  const lowerPaths = new Set(lowers.mergedDirPaths());
  for (const hit of candidates) if (hit) lowerPaths.add(hit.absPath);
  const [upperXattrs, lowerXattrs] = await Promise.all([
    upperXattrsPending,
    lowerPaths.size > 0 ? readXattrsOf([...lowerPaths]) : Promise.resolve(new Map<string, XattrMap>()),
  ]);
  const opaqueLowerDirs = new Set<string>();
  for (const [path, attrs] of lowerXattrs) if (isOpaqueDir(attrs)) opaqueLowerDirs.add(path);
  lowers.setOpaqueDirs(opaqueLowerDirs);

  const keepXattr = options.keepXattr;
  const entries: (ChangeEntry | undefined)[] = new Array(walked.length);
  const hasKeptChild = new Uint8Array(walked.length);
  const firstNameOfInode = new Map<string, string>();

  for (let i = 0; i < walked.length; i++) {
    const { path, absPath, stats } = walked[i]!;
    const lower: LowerHit | undefined = opaqueLowerDirs.size > 0 ? lowers.lookup(path) : candidates[i];

    if (isWhiteout(stats)) {
      if (!lower) continue; // nothing below to delete
      const deleted = changeEntryFromStats(path, 'deleted', lower.stats, lower.absPath);
      deleted.mtime = stats.mtimeMs;
      delete deleted.linkTarget;
      entries[i] = deleted;
      continue;
    }

    const entry = changeEntryFromStats(path, lower ? 'modified' : 'added', stats, absPath);
    const rawXattrs = upperXattrs.get(absPath);
    const xattrs = layerXattrs(rawXattrs, keepXattr);
    if (xattrs) entry.xattrs = xattrs;

    if (!stats.isDirectory() && stats.nlink > 1) {
      const inode = `${stats.dev}:${stats.ino}`;
      const firstName = firstNameOfInode.get(inode);
      if (firstName !== undefined) {
        entry.type = 'hardlink';
        entry.linkTarget = firstName;
        entry.size = 0;
        delete entry.devMajor;
        delete entry.devMinor;
        entries[i] = entry;
        continue;
      }
      firstNameOfInode.set(inode, path);
    }

    if (stats.isDirectory()) {
      if (lower?.stats.isDirectory() && isOpaqueDir(rawXattrs)) entry.opaque = true;
    } else if (lower && sameContent(absPath, stats, lower.absPath, lower.stats)) {
      entry.metadataOnly = differingMetadata(
        stats,
        xattrs,
        lower.stats,
        layerXattrs(lowerXattrs.get(lower.absPath), keepXattr),
      );
    }
    entries[i] = entry;
  }

  // Directories are settled children first: whether a directory stays, and
  // what it reports, depends on what is kept below it.
  for (let i = walked.length - 1; i >= 0; i--) {
    const { stats, parent, hadIgnoredChild } = walked[i]!;
    const entry = entries[i];
    if (entry && stats.isDirectory()) {
      const lower = opaqueLowerDirs.size > 0 ? lowers.lookup(entry.path) : candidates[i];
      const keptChildren = hasKeptChild[i] === 1;
      if (lower?.stats.isDirectory() && !entry.opaque) {
        const fields = differingMetadata(
          stats,
          entry.xattrs,
          lower.stats,
          layerXattrs(lowerXattrs.get(lower.absPath), keepXattr),
        );
        // A parent's mtime moves whenever a child is created or removed:
        // that is part of the child's change, not the parent's.
        const ownFields = keptChildren || hadIgnoredChild ? fields.filter((f) => f !== 'mtime') : fields;
        if (ownFields.length > 0 || !keptChildren) entry.metadataOnly = ownFields;
        if (hadIgnoredChild && !keptChildren && ownFields.length === 0) entries[i] = undefined;
      } else if (!lower && hadIgnoredChild && !keptChildren) {
        // Only there to hold a sandbox mountpoint.
        entries[i] = undefined;
      }
    }
    if (entries[i] && parent >= 0) hasKeptChild[parent] = 1;
  }

  const result: ChangeEntry[] = [];
  for (const entry of entries) if (entry) result.push(entry);
  return result;
}
