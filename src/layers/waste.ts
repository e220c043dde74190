/**
 * Waste analysis, as dive does it but with each hidden version counted once:
 * bytes a layer wrote that a later layer overwrote or deleted. They still
 * ship in the image (layers are only ever added), so a later `rm` never makes
 * an image smaller.
 */
import { applyLayer, EMPTY_ROOT, walkTree, type TreeNode } from './file-tree.js';

export interface HiddenVersion {
  /** The layer that wrote the bytes. */
  writtenBy: number;
  /** The layer that overwrote or deleted them. */
  hiddenBy: number;
  size: number;
}

export interface WastedPath {
  path: string;
  /** Sum of all hidden versions of this path. */
  wastedBytes: number;
  versions: HiddenVersion[];
}

export interface LayerWaste {
  layer: number;
  /** Bytes of file content the layer holds. */
  size: number;
  /** Of those, bytes a later layer hides. */
  wastedWritten: number;
  /** Bytes of earlier layers this layer hides. */
  wastedHidden: number;
}

export interface WasteReport {
  /** Bytes of file content in all layers together. */
  totalSize: number;
  wastedBytes: number;
  /** (total − wasted) / total, 1 for an empty image. */
  efficiency: number;
  /** Paths with hidden versions, most wasted first. */
  paths: WastedPath[];
  layers: LayerWaste[];
}

function layerContentSize(layer: TreeNode): number {
  let size = 0;
  for (const { node } of walkTree(layer)) if (node.info?.type === 'file' && !node.whiteout) size += node.info.size;
  return size;
}

/** Analyzes layer trees (bottom first, from layerTree) for hidden bytes. */
export function analyzeWaste(layers: readonly TreeNode[]): WasteReport {
  const byPath = new Map<string, WastedPath>();
  const perLayer: LayerWaste[] = layers.map((layer, index) => ({
    layer: index,
    size: layerContentSize(layer),
    wastedWritten: 0,
    wastedHidden: 0,
  }));

  const hide = (path: string, node: TreeNode, hiddenBy: number): void => {
    const info = node.info;
    if (!info || info.type !== 'file') return;
    let record = byPath.get(path);
    if (!record) byPath.set(path, (record = { path, wastedBytes: 0, versions: [] }));
    record.versions.push({ writtenBy: info.layer, hiddenBy, size: info.size });
    record.wastedBytes += info.size;
    perLayer[info.layer]!.wastedWritten += info.size;
    perLayer[hiddenBy]!.wastedHidden += info.size;
  };
  /** Everything visible at or below `node` (a stacked node) is hidden by `hiddenBy`. */
  const hideSubtree = (path: string, node: TreeNode, hiddenBy: number): void => {
    hide(path, node, hiddenBy);
    for (const { path: below, node: child } of walkTree(node, path)) hide(below, child, hiddenBy);
  };

  let stacked = EMPTY_ROOT;
  layers.forEach((layer, index) => {
    const visit = (changeDir: TreeNode, stackedDir: TreeNode | undefined, prefix: string): void => {
      const belowChildren = stackedDir?.children;
      if (changeDir.opaque && belowChildren) {
        for (const [name, child] of belowChildren) hideSubtree(prefix === '' ? name : `${prefix}/${name}`, child, index);
      }
      for (const [name, change] of changeDir.children ?? []) {
        const path = prefix === '' ? name : `${prefix}/${name}`;
        const below = changeDir.opaque ? undefined : belowChildren?.get(name);
        if (!below) continue;
        if (change.whiteout) hideSubtree(path, below, index);
        else if (change.children && below.children) visit(change, below, path);
        else hideSubtree(path, below, index);
      }
    };
    visit(layer, stacked, '');
    stacked = applyLayer(stacked, layer);
  });

  const totalSize = perLayer.reduce((sum, layer) => sum + layer.size, 0);
  const paths = [...byPath.values()].sort((a, b) => b.wastedBytes - a.wastedBytes || (a.path < b.path ? -1 : 1));
  const wastedBytes = paths.reduce((sum, path) => sum + path.wastedBytes, 0);
  return {
    totalSize,
    wastedBytes,
    efficiency: totalSize === 0 ? 1 : (totalSize - wastedBytes) / totalSize,
    paths,
    layers: perLayer,
  };
}
