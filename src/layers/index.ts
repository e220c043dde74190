/** src/layers: change lists, layer tars, file trees, diffs and waste. Re-exports only. */
export * from './types.js';
export * from './errors.js';
export { normalizeLayerPath } from './layer-path.js';
export { changesFromUpperDir, type UpperDirChangeOptions } from './upper-dir-changes.js';
export { diffDirectories, type DirectoryDiffOptions } from './directory-diff.js';
export {
  commitLayer,
  writeLayerTar,
  sortForTar,
  type CommitLayerOptions,
  type CommittedLayer,
  type LayerTarOptions,
} from './layer-tar-writer.js';
export { ParallelGzipFile, PlainFile, type ChunkSink, type DigestedBlob } from './parallel-gzip.js';
export { readLayerTarEntries } from './layer-tar-reader.js';
export {
  layerTree,
  applyLayer,
  stack,
  findNode,
  walkTree,
  LayerStack,
  EMPTY_ROOT,
  type FileInfo,
  type TreeNode,
} from './file-tree.js';
export { diffTrees, RangeDiffCache, type DiffNode, type DiffType, type DiffCounts, type DiffOptions } from './tree-diff.js';
export { visibleRows, TreeRowList, type RowOptions, type RowSort } from './tree-rows.js';
export { diffFile, looksBinary, type FileDiff, type Hunk, type DiffLine, type TextDiffOptions } from './text-diff.js';
export { analyzeWaste, type WasteReport, type WastedPath, type LayerWaste, type HiddenVersion } from './waste.js';
