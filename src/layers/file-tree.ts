/**
 * File trees in the style of dive's filetree: one tree per layer, built from
 * its entries, and stacked trees of "everything up to layer N".
 *
 * Nodes are immutable and shared: stacking a layer copies only the
 * directories the layer touches, so the stack up to layer N shares every
 * untouched subtree with the stack up to N-1. That keeps a cache of all
 * stacked trees cheap, and lets a diff skip shared subtrees at once.
 */
import { normalizeLayerPath } from './layer-path.js';
import type { ChangeEntry } from './types.js';

/**
 * What one layer says about one path: its change-list entry without the
 * path, kind and opaque flag, which the tree holds in its shape and nodes.
 */
export interface FileInfo extends Omit<ChangeEntry, 'path' | 'kind' | 'opaque'> {
  /** Index of the layer that wrote this version. */
  layer: number;
}

export interface TreeNode {
  readonly name: string;
  /** Undefined for a directory no layer wrote an entry for (implied by a child). */
  readonly info?: FileInfo;
  /** Present on directories, also empty ones. Names map to nodes. */
  readonly children?: ReadonlyMap<string, TreeNode>;
  /** Layer trees only: this name is deleted by the layer. */
  readonly whiteout?: boolean;
  /** Layer trees only: the directory hides what lower layers had inside it. */
  readonly opaque?: boolean;
}

export const EMPTY_ROOT: TreeNode = { name: '', children: new Map() };

interface MutableNode {
  name: string;
  info?: FileInfo;
  children?: Map<string, MutableNode>;
  whiteout?: boolean;
  opaque?: boolean;
}

function infoOf(entry: ChangeEntry, layer: number): FileInfo {
  const info: FileInfo = {
    type: entry.type,
    size: entry.size,
    mode: entry.mode,
    uid: entry.uid,
    gid: entry.gid,
    mtime: entry.mtime,
    layer,
  };
  if (entry.linkTarget !== undefined) info.linkTarget = entry.linkTarget;
  if (entry.devMajor !== undefined) info.devMajor = entry.devMajor;
  if (entry.devMinor !== undefined) info.devMinor = entry.devMinor;
  if (entry.xattrs) info.xattrs = entry.xattrs;
  if (entry.metadataOnly) info.metadataOnly = entry.metadataOnly;
  return info;
}

/**
 * The tree of one layer: what it writes, what it deletes (whiteout nodes) and
 * which directories it makes opaque. `layer` is stored in every FileInfo.
 */
export function layerTree(entries: readonly ChangeEntry[], layer: number): TreeNode {
  const root: MutableNode = { name: '', children: new Map() };
  // Entries come grouped by directory, so most lookups hit this cache.
  const dirs = new Map<string, MutableNode>([['', root]]);
  const dirFor = (path: string): MutableNode => {
    const cached = dirs.get(path);
    if (cached && cached.children) return cached;
    const slash = path.lastIndexOf('/');
    const parent = dirFor(slash < 0 ? '' : path.slice(0, slash));
    const name = slash < 0 ? path : path.slice(slash + 1);
    let child = parent.children!.get(name);
    if (!child || child.whiteout) {
      child = { name, children: new Map() };
      parent.children!.set(name, child);
    }
    child.children ??= new Map();
    dirs.set(path, child);
    return child;
  };
  for (const entry of entries) {
    const path = normalizeLayerPath(entry.path);
    if (path === '') continue;
    const slash = path.lastIndexOf('/');
    const parent = dirFor(slash < 0 ? '' : path.slice(0, slash));
    const name = slash < 0 ? path : path.slice(slash + 1);
    if (entry.kind === 'deleted') {
      parent.children!.set(name, { name, whiteout: true });
      dirs.delete(path);
      continue;
    }
    const existing = parent.children!.get(name);
    const node: MutableNode = { name, info: infoOf(entry, layer) };
    if (entry.type === 'dir') {
      node.children = existing?.children ?? new Map();
      if (entry.opaque) node.opaque = true;
      dirs.set(path, node);
    } else {
      dirs.delete(path);
    }
    parent.children!.set(name, node);
  }
  return root;
}

/** Applies one layer tree on top of a stacked tree, returning a new stacked tree. */
export function applyLayer(base: TreeNode, layer: TreeNode): TreeNode {
  return applyDir(base, layer);
}

function applyDir(base: TreeNode | undefined, layer: TreeNode): TreeNode {
  const children = new Map(layer.opaque || !base?.children ? undefined : base.children);
  for (const [name, change] of layer.children ?? []) {
    if (change.whiteout) {
      children.delete(name);
      continue;
    }
    const below = children.get(name);
    if (change.children) {
      // A directory merges with the directory below unless that was something else.
      children.set(name, applyDir(below?.children ? below : undefined, change));
    } else {
      children.set(name, change.info ? { name, info: change.info } : { name });
    }
  }
  const info = layer.info ?? base?.info;
  return info ? { name: layer.name, info, children } : { name: layer.name, children };
}

/** Stacks layer trees bottom first into the tree a container would see. */
export function stack(layers: readonly TreeNode[]): TreeNode {
  let tree = EMPTY_ROOT;
  for (const layer of layers) tree = applyLayer(tree, layer);
  return tree;
}

/** The node at a path, or undefined. */
export function findNode(root: TreeNode, path: string): TreeNode | undefined {
  const normal = normalizeLayerPath(path);
  if (normal === '') return root;
  let node: TreeNode | undefined = root;
  for (const part of normal.split('/')) {
    node = node.children?.get(part);
    if (!node) return undefined;
  }
  return node;
}

/** Every node below `root` in depth-first order, names sorted, with its path. */
export function* walkTree(root: TreeNode, prefix = ''): Generator<{ path: string; node: TreeNode }> {
  if (!root.children) return;
  const names = [...root.children.keys()].sort();
  for (const name of names) {
    const node = root.children.get(name)!;
    const path = prefix === '' ? name : `${prefix}/${name}`;
    yield { path, node };
    if (node.children) yield* walkTree(node, path);
  }
}

/**
 * Stacked trees of a list of layers, computed on demand and cached. Because
 * stacked trees share structure, caching all of them costs about as much as
 * the layers themselves.
 */
export class LayerStack {
  private readonly stacked: TreeNode[] = [];

  constructor(readonly layers: readonly TreeNode[]) {}

  get length(): number {
    return this.layers.length;
  }

  /** Everything up to and including layer `index`; index -1 is the empty tree. */
  upTo(index: number): TreeNode {
    if (index < 0) return EMPTY_ROOT;
    if (index >= this.layers.length) throw new RangeError(`no layer ${index} (have ${this.layers.length})`);
    while (this.stacked.length <= index) {
      const below = this.stacked.length === 0 ? EMPTY_ROOT : this.stacked[this.stacked.length - 1]!;
      this.stacked.push(applyLayer(below, this.layers[this.stacked.length]!));
    }
    return this.stacked[index]!;
  }
}
