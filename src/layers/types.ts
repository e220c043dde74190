/**
 * The shared vocabulary of src/layers: one entry of a layer's change list.
 *
 * Paths are relative to the layer root, with '/' separators and no leading or
 * trailing slash ("usr/bin/env"). Times are milliseconds since the epoch, as
 * Node's `mtimeMs`.
 */

export type ChangeKind = 'added' | 'modified' | 'deleted';

export type EntryType = 'file' | 'dir' | 'symlink' | 'hardlink' | 'char' | 'block' | 'fifo' | 'socket';

/** Fields that can differ while the content stays the same. */
export type MetadataField = 'mode' | 'uid' | 'gid' | 'mtime' | 'xattrs';

export interface ChangeEntry {
  path: string;
  kind: ChangeKind;
  /**
   * For a deleted entry: the type of what was removed. A hardlink entry is the
   * second (or later) name of an inode already written earlier in the layer.
   */
  type: EntryType;
  /** Bytes of content: regular files only; 0 for hardlinks, dirs and specials. */
  size: number;
  /** Permission and special bits only (mode & 0o7777), no file-type bits. */
  mode: number;
  uid: number;
  gid: number;
  /**
   * Milliseconds since the epoch. For a deleted entry this is the time of the
   * deletion (the whiteout's mtime); the other fields describe what was removed.
   */
  mtime: number;
  /** Symlink target, or for a hardlink the layer path of the first name. */
  linkTarget?: string;
  /** Device numbers of char and block devices. */
  devMajor?: number;
  devMinor?: number;
  /** Extended attributes that belong in the layer (overlay's own are left out). */
  xattrs?: Record<string, Buffer>;
  /**
   * Set on a modified entry whose type and content equal the entry below it:
   * the fields that differ. An empty array means the entry was rewritten
   * unchanged (a copy-up without a change). On a directory it lists its own
   * metadata changes; a directory that is only there because a child changed
   * has no `metadataOnly` (the mtime such a parent gains is not listed).
   */
  metadataOnly?: MetadataField[];
  /** The directory hides everything the layers below had inside it. */
  opaque?: boolean;
}

/** The OCI names for deletions inside a layer tar. */
export const WHITEOUT_PREFIX = '.wh.';
export const OPAQUE_WHITEOUT_NAME = '.wh..wh..opq';
