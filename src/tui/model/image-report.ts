/**
 * The image pane: total and per-layer sizes, and the bytes a later layer
 * hides, attributed to the step that wrote them and the step that hid them.
 */
import type { StackLayer, StepState } from '../../engine/session-types.js';
import type { TreeNode } from '../../layers/file-tree.js';
import { analyzeWaste } from '../../layers/waste.js';
import { formatBytes } from '../format.js';
import type { ViewLine } from './file-view.js';

export const WHY_RM_DOES_NOT_SHRINK =
  'Why a later rm does not shrink the image: layers are only ever added. A file a step wrote stays in that ' +
  'step\'s layer; a later rm only adds a whiteout on top that hides it. Delete in the same RUN that wrote the ' +
  'file, or copy only what you need into a fresh stage of a multi-stage build.';

function layerName(layers: readonly StackLayer[], steps: readonly StepState[], position: number): string {
  const layer = layers[position];
  if (!layer) return `layer ${position + 1}`;
  if (layer.stepIndex === undefined) return `base layer ${position + 1}`;
  const step = steps[layer.stepIndex];
  return step ? `step ${step.index + 1} (line ${step.startLine})` : `step ${layer.stepIndex + 1}`;
}

export function imageReportLines(
  layers: readonly StackLayer[],
  trees: readonly TreeNode[],
  steps: readonly StepState[],
  maxPaths = 20,
): ViewLine[] {
  const lines: ViewLine[] = [];
  const report = analyzeWaste(trees);
  const total = layers.reduce((sum, l) => sum + l.size, 0);
  lines.push({
    text: `Image: ${layers.length} layer${layers.length === 1 ? '' : 's'}, ${formatBytes(total)} compressed, ${formatBytes(report.totalSize)} of file content`,
    tone: 'heading',
  });
  layers.forEach((layer, position) => {
    const step = layer.stepIndex !== undefined ? steps[layer.stepIndex] : undefined;
    const what = step ? `${step.keyword} ${step.text.replace(/^\S+\s*/, '')}` : layer.createdBy || 'base image';
    lines.push({ text: `  ${String(position + 1).padStart(2)}  ${formatBytes(layer.size).padStart(8)}  ${layerName(layers, steps, position).padEnd(20)} ${what}`, tone: 'plain' });
  });
  lines.push({ text: '', tone: 'plain' });
  const efficiency = (report.efficiency * 100).toFixed(1);
  lines.push({
    text: `Wasted: ${formatBytes(report.wastedBytes)} in ${report.paths.length} path${report.paths.length === 1 ? '' : 's'} (efficiency ${efficiency}%)`,
    tone: report.wastedBytes > 0 ? 'warning' : 'heading',
  });
  // Each path once: its hidden versions are listed on its one line.
  for (const path of report.paths.slice(0, maxPaths)) {
    const versions = path.versions
      .map((v) => `written by ${layerName(layers, steps, v.writtenBy)}, hidden by ${layerName(layers, steps, v.hiddenBy)}`)
      .join('; ');
    lines.push({ text: `  ${formatBytes(path.wastedBytes).padStart(8)}  /${path.path}  ${versions}`, tone: 'plain' });
  }
  if (report.paths.length > maxPaths) lines.push({ text: `  … ${report.paths.length - maxPaths} more paths`, tone: 'note' });
  lines.push({ text: '', tone: 'plain' });
  lines.push({ text: WHY_RM_DOES_NOT_SHRINK, tone: 'note' });
  return lines;
}
