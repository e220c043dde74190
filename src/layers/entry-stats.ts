/** Turning lstat results into change-list fields, and comparing two entries' content. */
import { closeSync, openSync, readSync, readlinkSync, type Stats } from 'node:fs';
import type { ChangeEntry, EntryType, MetadataField } from './types.js';
import { sameXattrs } from './xattrs.js';

export function entryTypeOf(stats: Stats): EntryType {
  if (stats.isFile()) return 'file';
  if (stats.isDirectory()) return 'dir';
  if (stats.isSymbolicLink()) return 'symlink';
  if (stats.isCharacterDevice()) return 'char';
  if (stats.isBlockDevice()) return 'block';
  if (stats.isFIFO()) return 'fifo';
  return 'socket';
}

/** Linux dev_t encoding (glibc's gnu_dev_major/minor). */
export function deviceMajor(rdev: number): number {
  return ((rdev >>> 8) & 0xfff) | (Math.floor(rdev / 2 ** 32) & ~0xfff);
}
export function deviceMinor(rdev: number): number {
  return (rdev & 0xff) | ((rdev >>> 12) & ~0xff);
}

/**
 * The change-list entry for one path as lstat shows it at `absPath`. Callers
 * add what depends on their source: xattrs, metadataOnly, opaque, hardlinks.
 */
export function changeEntryFromStats(
  path: string,
  kind: ChangeEntry['kind'],
  stats: Stats,
  absPath: string,
): ChangeEntry {
  const type = entryTypeOf(stats);
  const entry: ChangeEntry = {
    path,
    kind,
    type,
    size: type === 'file' ? stats.size : 0,
    mode: stats.mode & 0o7777,
    uid: stats.uid,
    gid: stats.gid,
    mtime: stats.mtimeMs,
  };
  if (type === 'symlink') entry.linkTarget = readlinkSync(absPath);
  if (type === 'char' || type === 'block') {
    entry.devMajor = deviceMajor(stats.rdev);
    entry.devMinor = deviceMinor(stats.rdev);
  }
  return entry;
}

/** The metadata fields in which a new entry differs from the old one at the same path. */
export function differingMetadata(
  newStats: Stats,
  newXattrs: Record<string, Buffer> | undefined,
  oldStats: Stats,
  oldXattrs: Record<string, Buffer> | undefined,
): MetadataField[] {
  const fields: MetadataField[] = [];
  if ((newStats.mode & 0o7777) !== (oldStats.mode & 0o7777)) fields.push('mode');
  if (newStats.uid !== oldStats.uid) fields.push('uid');
  if (newStats.gid !== oldStats.gid) fields.push('gid');
  if (newStats.mtimeMs !== oldStats.mtimeMs) fields.push('mtime');
  if (!sameXattrs(newXattrs, oldXattrs)) fields.push('xattrs');
  return fields;
}

const COMPARE_CHUNK = 256 * 1024;
let compareBuffers: [Buffer, Buffer] | undefined;

/** Byte-for-byte equality of two regular files already known to have the same size. */
export function sameFileBytes(pathA: string, pathB: string, size: number): boolean {
  if (size === 0) return true;
  compareBuffers ??= [Buffer.allocUnsafe(COMPARE_CHUNK), Buffer.allocUnsafe(COMPARE_CHUNK)];
  const [bufA, bufB] = compareBuffers;
  const fdA = openSync(pathA, 'r');
  try {
    const fdB = openSync(pathB, 'r');
    try {
      let position = 0;
      while (position < size) {
        const want = Math.min(COMPARE_CHUNK, size - position);
        const readA = readSync(fdA, bufA, 0, want, position);
        const readB = readSync(fdB, bufB, 0, want, position);
        if (readA !== readB || readA === 0) return false;
        if (bufA.compare(bufB, 0, readB, 0, readA) !== 0) return false;
        position += readA;
      }
      return true;
    } finally {
      closeSync(fdB);
    }
  } finally {
    closeSync(fdA);
  }
}

/**
 * Whether two entries of the same type hold the same content: bytes for
 * files (unless size and a sub-second mtime say so already), the target for
 * symlinks, the device number for devices. Other metadata is not looked at.
 */
export function sameContent(absA: string, statsA: Stats, absB: string, statsB: Stats): boolean {
  const type = entryTypeOf(statsA);
  if (type !== entryTypeOf(statsB)) return false;
  switch (type) {
    case 'file':
      if (statsA.size !== statsB.size) return false;
      // The same size and the same sub-second mtime: the same bytes, as
      // containerd's differ assumes. Overlay's copy-up keeps the mtime, so a
      // `chown -R` over thousands of files need not read them twice. A
      // whole-second mtime may come from a coarse clock or an archive: read.
      if (statsA.mtimeMs === statsB.mtimeMs && statsA.mtimeMs % 1000 !== 0) return true;
      return sameFileBytes(absA, absB, statsA.size);
    case 'symlink':
      return readlinkSync(absA) === readlinkSync(absB);
    case 'char':
    case 'block':
      return statsA.rdev === statsB.rdev;
    default:
      return true;
  }
}
