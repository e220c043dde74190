/**
 * Write what a walk takes into the destination rootfs, with fsutil copy's
 * `cp -a` semantics as BuildKit configures it:
 *
 * - Directories are merged into existing ones; a directory onto a
 *   non-directory, or a file onto a directory, is an error.
 * - A file replaces whatever non-directory is in its place (a symlink there is
 *   removed, never followed).
 * - Symlinks are copied as symlinks; files hardlinked to each other within
 *   one source stay hardlinked; devices and fifos are recreated.
 * - Metadata: owner from --chown, else 0:0 for context files (the context
 *   transfer resets owners) and the source's owner for stage files; mode from
 *   the source, or --chmod (on files and directories alike); atime and mtime
 *   from the source. Directories get theirs after their contents are written.
 * - The top of a directory source is the destination itself: only its times
 *   follow the source; mode and owner stay as they are (or as created).
 */
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  constants,
  copyFileSync,
  lchownSync,
  linkSync,
  lstatSync,
  lutimesSync,
  mkdirSync,
  readlinkSync,
  symlinkSync,
  unlinkSync,
  type BigIntStats,
} from 'node:fs';
import { join } from 'node:path';
import { applyChmod, type ChmodSpec } from './chmod-spec.js';
import { DestinationError, type CopyCommandName } from './errors.js';
import { inRootPath } from './root-path.js';
import type { TreeVisitor, WalkEntry } from './tree-walk.js';
import type { CopiedEntry } from './types.js';

export interface OwnershipOptions {
  chown?: { uid: number; gid: number };
  idMap?: (uid: number, gid: number) => { uid: number; gid: number };
}

export interface TreeWriterOptions extends OwnershipOptions {
  command: CopyCommandName;
  /** The source as written, for error messages. */
  written: string;
  destRoot: string;
  /** Host path the match itself is written to. */
  topTarget: string;
  chmod?: ChmodSpec;
  /** Keep the source's owners (stage sources) instead of 0:0 (context). */
  keepOwners: boolean;
  /** How a result names where an entry came from, given its path below the match. */
  fromLabel: (rel: string) => string;
  copied: CopiedEntry[];
}

/** The owner written to disk for a new entry the copy creates, such as a parent directory. */
export function ownerFor(options: OwnershipOptions, uid = 0, gid = 0): { uid: number; gid: number } {
  const owner = options.chown ?? { uid, gid };
  return options.idMap ? options.idMap(owner.uid, owner.gid) : owner;
}

/** Seconds with microseconds: what a double holds without loss for today's dates. */
export const secondsOf = (ns: bigint): number => Number(ns / 1000n) / 1e6;

export class TreeWriter implements TreeVisitor {
  /** dev:ino of multiply-linked source files -> the first target written for them. */
  private readonly inodes = new Map<string, string>();
  /** Whether the directory at a target was created by this copy. */
  private readonly createdDirs = new Set<string>();

  constructor(private readonly options: TreeWriterOptions) {}

  private targetOf(entry: WalkEntry): string {
    return entry.rel === '' ? this.options.topTarget : join(this.options.topTarget, entry.rel);
  }

  private imagePath(target: string): string {
    return inRootPath(this.options.destRoot, target);
  }

  private record(entry: WalkEntry, target: string): void {
    this.options.copied.push({ from: this.options.fromLabel(entry.rel), to: this.imagePath(target) });
  }

  enterDir(entry: WalkEntry): void {
    const target = this.targetOf(entry);
    const existing = lstatSync(target, { throwIfNoEntry: false });
    if (existing === undefined) {
      mkdirSync(target, { mode: 0o700 });
      this.createdDirs.add(target);
    } else if (!existing.isDirectory()) {
      throw new DestinationError(
        this.options.command,
        `cannot copy to non-directory: ${this.imagePath(target)}`,
        this.imagePath(target),
        this.options.written,
      );
    }
    if (entry.rel !== '' || this.createdDirs.has(target)) this.record(entry, target);
  }

  leaveDir(entry: WalkEntry): void {
    const target = this.targetOf(entry);
    if (entry.rel === '' && !this.createdDirs.has(target)) {
      lutimesSync(target, secondsOf(entry.stat.atimeNs), secondsOf(entry.stat.mtimeNs));
      return;
    }
    this.copyMetadata(entry.stat, target);
  }

  leaf(entry: WalkEntry): void {
    const target = this.targetOf(entry);
    this.clearFileTarget(target);
    const stat = entry.stat;
    if (stat.isFile()) {
      const linkedTo = this.hardlinkSource(stat, target);
      if (linkedTo !== undefined) linkSync(linkedTo, target);
      else copyFileSync(entry.hostPath, target, constants.COPYFILE_EXCL);
    } else if (stat.isSymbolicLink()) {
      symlinkSync(readlinkSync(entry.hostPath), target);
    } else if (stat.isCharacterDevice() || stat.isBlockDevice() || stat.isFIFO()) {
      makeNode(target, stat);
    } else {
      // Sockets cannot be made without mknod(2), which Node lacks; they are
      // meaningless in an image anyway.
      return;
    }
    this.copyMetadata(stat, target);
    this.record(entry, target);
  }

  /** A file target must not be a directory; anything else in its place goes. */
  private clearFileTarget(target: string): void {
    const existing = lstatSync(target, { throwIfNoEntry: false });
    if (existing === undefined) return;
    if (existing.isDirectory()) {
      throw new DestinationError(
        this.options.command,
        `cannot replace directory ${this.imagePath(target)} with a file`,
        this.imagePath(target),
        this.options.written,
      );
    }
    unlinkSync(target);
  }

  private hardlinkSource(stat: BigIntStats, target: string): string | undefined {
    if (stat.nlink < 2n) return undefined;
    const key = `${stat.dev}:${stat.ino}`;
    const first = this.inodes.get(key);
    if (first === undefined) this.inodes.set(key, target);
    return first;
  }

  /** Owner, then mode (a chown clears set-id bits), then times. */
  private copyMetadata(stat: BigIntStats, target: string): void {
    const options = this.options;
    // A stage's owners are read from disk, so they are on-disk ids already (shifted in a
    // rootless store): they are written back unchanged. Only ids that come from the
    // image side (--chown, or 0:0 for context files) go through idMap.
    const owner =
      options.keepOwners && !options.chown ? { uid: Number(stat.uid), gid: Number(stat.gid) } : ownerFor(options);
    lchownSync(target, owner.uid, owner.gid);
    if (!stat.isSymbolicLink()) {
      const sourceMode = Number(stat.mode) & 0o7777;
      const mode = options.chmod ? applyChmod(options.chmod, sourceMode, stat.isDirectory()) : sourceMode;
      chmodSync(target, mode);
    }
    lutimesSync(target, secondsOf(stat.atimeNs), secondsOf(stat.mtimeNs));
  }
}

/** mknod(1) for character and block devices and fifos (Node has no mknod). */
export function makeNode(target: string, stat: BigIntStats | { rdev: bigint; kind: 'c' | 'b' | 'p' }): void {
  let kind: 'c' | 'b' | 'p';
  if ('kind' in stat) kind = stat.kind;
  else kind = stat.isCharacterDevice() ? 'c' : stat.isBlockDevice() ? 'b' : 'p';
  const args = [target, kind];
  if (kind !== 'p') {
    const rdev = stat.rdev;
    const major = ((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn);
    const minor = (rdev & 0xffn) | ((rdev >> 12n) & ~0xffn);
    args.push(String(major), String(minor));
  }
  execFileSync('mknod', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}
