/** Turning lstat results into change-list fields, and comparing two entries' content. */
import { closeSync, openSync, readSync, readlinkSync, type Stats } from 'node:fs';
import type { EntryType } from './types.js';

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
 * files, the target for symlinks, the device number for devices. Metadata is
 * not looked at.
 */
export function sameContent(absA: string, statsA: Stats, absB: string, statsB: Stats): boolean {
  const type = entryTypeOf(statsA);
  if (type !== entryTypeOf(statsB)) return false;
  switch (type) {
    case 'file':
      return statsA.size === statsB.size && sameFileBytes(absA, absB, statsA.size);
    case 'symlink':
      return readlinkSync(absA) === readlinkSync(absB);
    case 'char':
    case 'block':
      return statsA.rdev === statsB.rdev;
    default:
      return true;
  }
}
