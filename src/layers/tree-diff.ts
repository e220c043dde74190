/**
 * Diffs of stacked trees, the model behind the layer pane: every node gets a
 * DiffType, and every directory rolls up its descendants' counts and sizes.
 *
 * - "this layer only": diffTrees(stack.upTo(n - 1), stack.upTo(n), { changedOnly: true })
 * - "everything up to layer n": diffTrees(stack.upTo(n - 1), stack.upTo(n))
 * - a range A..B: diffTrees(stack.upTo(A - 1), stack.upTo(B))
 */
import type { FileInfo, LayerStack, TreeNode } from './file-tree.js';
import type { MetadataField } from './types.js';

export type DiffType = 'unmodified' | 'added' | 'modified' | 'removed';

export interface DiffCounts {
  added: number;
  modified: number;
  removed: number;
  unmodified: number;
}

export interface DiffNode {
  name: string;
  /** Layer path, '' for the root. */
  path: string;
  /** 0 for the root's children. */
  depth: number;
  parent: DiffNode | undefined;
  diff: DiffType;
  /** The version after the range; for a removed node, the version before it. */
  info: FileInfo | undefined;
  /** The version before the range, when there was one. */
  before: FileInfo | undefined;
  /** For modified nodes whose content is known to be unchanged: what changed. */
  metadataOnly?: MetadataField[];
  /** Directories only, sorted by name. */
  children: DiffNode[] | undefined;
  /** Descendants by diff type (the node itself not included). */
  counts: DiffCounts;
  /** Bytes of this node and everything below it (removed nodes count what they had). */
  totalSize: number;
}

export interface DiffOptions {
  /** Leave out subtrees the range did not touch (for "this layer only"). */
  changedOnly?: boolean;
  /**
   * The range is one layer, so a change list's "metadata only" mark compared
   * against exactly the version below: show it. Across several layers a
   * middle one may have changed the content.
   */
  singleLayer?: boolean;
}

function emptyCounts(): DiffCounts {
  return { added: 0, modified: 0, removed: 0, unmodified: 0 };
}

const FIELDS_COMPARED: MetadataField[] = ['mode', 'uid', 'gid', 'mtime', 'xattrs'];

function metadataDifferences(before: FileInfo, after: FileInfo): MetadataField[] {
  const fields: MetadataField[] = [];
  for (const field of FIELDS_COMPARED) {
    if (field === 'xattrs') {
      const a = before.xattrs ?? {};
      const b = after.xattrs ?? {};
      const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
      for (const key of keys) {
        if (!a[key] || !b[key] || !a[key]!.equals(b[key]!)) {
          fields.push('xattrs');
          break;
        }
      }
    } else if (before[field] !== after[field]) {
      fields.push(field);
    }
  }
  return fields;
}

/** Whether a directory's own entry changed in a way worth showing (not its mtime). */
function dirEntryChanged(before: FileInfo | undefined, after: FileInfo | undefined): boolean {
  if (!before || !after) return false;
  return metadataDifferences(before, after).some((field) => field !== 'mtime');
}

/**
 * Compares the stacked tree before a range with the one after it. Shared
 * (identical) subtrees are unmodified without being compared further.
 */
export function diffTrees(before: TreeNode, after: TreeNode, options: DiffOptions = {}): DiffNode {
  const root: DiffNode = {
    name: '',
    path: '',
    depth: -1,
    parent: undefined,
    diff: 'unmodified',
    info: after.info,
    before: before.info,
    children: [],
    counts: emptyCounts(),
    totalSize: 0,
  };
  diffChildren(root, before, after, options.changedOnly ?? false, options.singleLayer ?? false);
  return root;
}

function makeNode(
  parent: DiffNode,
  name: string,
  diff: DiffType,
  info: FileInfo | undefined,
  beforeInfo: FileInfo | undefined,
  isDir: boolean,
): DiffNode {
  return {
    name,
    path: parent.path === '' ? name : `${parent.path}/${name}`,
    depth: parent.depth + 1,
    parent,
    diff,
    info,
    before: beforeInfo,
    children: isDir ? [] : undefined,
    counts: emptyCounts(),
    totalSize: info && info.type === 'file' ? info.size : 0,
  };
}

/** A whole subtree with one diff type (added, removed, or unmodified). */
function addUniform(parent: DiffNode, node: TreeNode, diff: DiffType): DiffNode {
  const info = node.info;
  const child = makeNode(parent, node.name, diff, info, diff === 'added' ? undefined : info, !!node.children);
  if (node.children) {
    for (const name of [...node.children.keys()].sort()) addUniform(child, node.children.get(name)!, diff);
  }
  attach(parent, child);
  return child;
}

function attach(parent: DiffNode, child: DiffNode): void {
  parent.children!.push(child);
  parent.totalSize += child.totalSize;
  const counts = parent.counts;
  counts[child.diff] += 1;
  counts.added += child.counts.added;
  counts.modified += child.counts.modified;
  counts.removed += child.counts.removed;
  counts.unmodified += child.counts.unmodified;
}

function diffChildren(
  into: DiffNode,
  before: TreeNode | undefined,
  after: TreeNode | undefined,
  changedOnly: boolean,
  singleLayer: boolean,
): void {
  const beforeChildren = before?.children;
  const afterChildren = after?.children;
  const names = new Set<string>();
  for (const name of beforeChildren?.keys() ?? []) names.add(name);
  for (const name of afterChildren?.keys() ?? []) names.add(name);
  for (const name of [...names].sort()) {
    const old = beforeChildren?.get(name);
    const now = afterChildren?.get(name);
    if (old === now) {
      if (!changedOnly && now) addUniform(into, now, 'unmodified');
      continue;
    }
    if (!old) {
      addUniform(into, now!, 'added');
      continue;
    }
    if (!now) {
      addUniform(into, old, 'removed');
      continue;
    }
    const oldIsDir = !!old.children;
    const nowIsDir = !!now.children;
    if (oldIsDir !== nowIsDir) {
      // A file became a directory or the reverse: the old one is gone, the new one is new.
      addUniform(into, old, 'removed');
      addUniform(into, now, 'added');
      continue;
    }
    if (nowIsDir) {
      const changed = old.info !== now.info && dirEntryChanged(old.info, now.info);
      const node = makeNode(into, name, changed ? 'modified' : 'unmodified', now.info, old.info, true);
      if (changed) node.metadataOnly = metadataDifferences(old.info!, now.info!).filter((f) => f !== 'mtime');
      diffChildren(node, old, now, changedOnly, singleLayer);
      if (changedOnly && !changed && node.children!.length === 0) continue;
      attach(into, node);
      continue;
    }
    // The same path holds a different version: something in the range wrote it.
    const node = makeNode(into, name, 'modified', now.info, old.info, false);
    const oldInfo = old.info!;
    const nowInfo = now.info!;
    const sameShape =
      oldInfo.type === nowInfo.type && oldInfo.size === nowInfo.size && oldInfo.linkTarget === nowInfo.linkTarget;
    // The change list knows when the content is the same (see singleLayer).
    if (sameShape && nowInfo.metadataOnly && singleLayer) {
      node.metadataOnly = metadataDifferences(oldInfo, nowInfo);
    }
    attach(into, node);
  }
}

/** Caches diffs by range, as dive caches its stacked comparisons. */
export class RangeDiffCache {
  private readonly cache = new Map<string, DiffNode>();

  constructor(
    private readonly stack: LayerStack,
    private readonly maxEntries = 16,
  ) {}

  /** Layers first..last inclusive compared to everything below `first`. */
  range(first: number, last: number, options: DiffOptions = {}): DiffNode {
    const key = `${first}..${last}${options.changedOnly ? ':changed' : ''}`;
    const cached = this.cache.get(key);
    if (cached) {
      this.cache.delete(key);
      this.cache.set(key, cached); // most recent last
      return cached;
    }
    const diff = diffTrees(this.stack.upTo(first - 1), this.stack.upTo(last), {
      ...options,
      singleLayer: first === last,
    });
    this.cache.set(key, diff);
    if (this.cache.size > this.maxEntries) this.cache.delete(this.cache.keys().next().value!);
    return diff;
  }
}
