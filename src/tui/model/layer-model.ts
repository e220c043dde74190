/**
 * The layer pane's model: which layers a step's view covers, their file trees
 * (built once per layer and kept), and the diff tree of the chosen range.
 * Business logic only; the controller asks it for a view and the pane draws
 * the rows of that view.
 */
import type { SessionApi, StackLayer, StepState } from '../../engine/session-types.js';
import { LayerStack, layerTree, type TreeNode } from '../../layers/file-tree.js';
import { RangeDiffCache, type DiffNode } from '../../layers/tree-diff.js';
import type { ChangeEntry } from '../../layers/types.js';
import type { LayerMode } from '../state/ui-state.js';

export interface LayerViewRequest {
  /** A step index, or steps.length for the whole image. */
  step: number;
  mode: LayerMode;
  rangeStart: number | undefined;
}

interface ViewBase {
  key: string;
  /** One line for the pane's title. */
  title: string;
}

export type LayerView =
  | (ViewBase & {
      kind: 'tree';
      root: DiffNode;
      layers: readonly StackLayer[];
      /** Read a path's new version after this step, and its old version before `beforeStep`. */
      afterStep: number;
      beforeStep: number | undefined;
      /** Layer trees bottom first (for waste analysis of the whole image). */
      trees: readonly TreeNode[];
    })
  /** No tree to show: a config-only step, a step not run yet, a step that made no layer. */
  | (ViewBase & { kind: 'note'; lines: string[] });

/** A partial layer of a failed step has no diff_id; it gets this stand-in. */
function partialLayerId(step: number): string {
  return `partial:${step}`;
}

function isFrom(step: StepState | undefined): boolean {
  return step?.keyword === 'FROM';
}

/** Keyword and text, cut to a title's length. */
export function stepLabel(step: StepState): string {
  return `${step.index + 1} ${step.text}`;
}

const STACKS_KEPT = 3;
const DIFFS_PER_STACK = 4;

const MODE_TITLES: Record<LayerMode, string> = {
  layer: 'this layer only',
  upto: 'everything up to this layer',
  range: 'range',
};

export class LayerModel {
  /** Trees by `${position}:${diffId}`: a tree stores its stack position in every FileInfo. */
  private readonly trees = new Map<string, TreeNode>();
  /**
   * Stacks by their diff_ids, most recently used last. Each keeps diff trees
   * of a whole range (100k nodes for a big base image), so only a few stay.
   */
  private readonly stacks = new Map<string, { stack: LayerStack; diffs: RangeDiffCache }>();

  constructor(private readonly session: SessionApi) {}

  /** Forgets everything built from a step's partial writes (they change on a re-run). */
  forgetPartial(): void {
    for (const key of [...this.trees.keys()]) if (key.includes(':partial:')) this.trees.delete(key);
    for (const key of [...this.stacks.keys()]) if (key.includes('partial:')) this.stacks.delete(key);
  }

  /** Forgets the trees of a shell's changes (the shell was kept or discarded). */
  forgetShells(): void {
    for (const key of [...this.trees.keys()]) if (key.includes(':shell:')) this.trees.delete(key);
    for (const key of [...this.stacks.keys()]) if (key.includes('shell:')) this.stacks.delete(key);
  }

  /**
   * What a shell changed, as a diff against the container it ran in: the
   * step's stack (before or after the step) with the shell's change list as
   * one more layer on top, shown like a step's own layer.
   */
  async shellView(request: { step: number; state: 'before' | 'after'; id: number; changes: readonly ChangeEntry[] }): Promise<LayerView> {
    const steps = this.session.steps;
    const step = steps[request.step]!;
    const key = `shell:${request.id}:${request.step}:${request.state}`;
    // What it is comes first: a narrow pane cuts the title's end.
    const title = `shell changes · ${request.state === 'before' ? 'before' : 'after'} step ${stepLabel(step)}`;
    if (request.changes.length === 0) return { kind: 'note', key, title, lines: ['The shell changed nothing in the filesystem.'] };
    const layers =
      request.state === 'after' ? await this.layersOf(request.step, step) : request.step > 0 ? [...this.session.layersAt(request.step - 1)] : [];
    const position = layers.length;
    const id = `shell:${request.id}`;
    if (!this.trees.has(`${position}:${id}`)) this.trees.set(`${position}:${id}`, layerTree(request.changes, position));
    layers.push({ stepIndex: undefined, diffId: id, createdBy: 'a layerlab shell', size: request.changes.reduce((sum, e) => sum + e.size, 0) });
    return this.treeView(key, title, layers, position, position, {
      afterStep: request.step,
      beforeStep: request.step,
      changedOnly: true,
    });
  }

  /** The last step the image is made of: the last step of the target's stage that ran. */
  finalStep(steps: readonly StepState[]): number | undefined {
    for (let i = steps.length - 1; i >= 0; i--) {
      const status = steps[i]!.status;
      if (status !== 'skipped' && status !== 'pending') return i;
    }
    return undefined;
  }

  async view(request: LayerViewRequest): Promise<LayerView> {
    const steps = this.session.steps;
    if (request.step >= steps.length) return this.imageView(steps);
    const step = steps[request.step]!;
    const key = `${request.step}:${request.mode}:${request.rangeStart ?? ''}:${step.status}:${step.layer?.diffId ?? ''}`;
    const title = `${stepLabel(step)}`;
    switch (step.status) {
      case 'pending':
        return { kind: 'note', key, title, lines: ['This step has not run yet.', 'n runs the next step, g runs to the selected one.'] };
      case 'running':
        return { kind: 'note', key, title, lines: ['This step is running. Its layer shows here when it finishes.'] };
      case 'skipped':
        return { kind: 'note', key, title, lines: ['The target stage does not need this stage, so this step does not run.'] };
      case 'config-only':
        return { kind: 'note', key, title, lines: configOnlyLines(step) };
      default:
        break;
    }
    const layers = await this.layersOf(request.step, step);
    let [first, last] = this.positionsOf(request.step, layers);
    if (request.mode === 'range' && request.rangeStart !== undefined) {
      const low = Math.min(request.rangeStart, request.step);
      const high = Math.max(request.rangeStart, request.step);
      const stackOfHigh = high === request.step ? layers : await this.layersOf(high, steps[high]!);
      const inRange = stackOfHigh
        .map((layer, position) => ({ layer, position }))
        .filter(({ layer }) =>
          layer.stepIndex === undefined ? isFrom(steps[low]) && steps[low]!.stageIndex === steps[high]!.stageIndex : layer.stepIndex >= low && layer.stepIndex <= high,
        );
      if (inRange.length === 0) {
        return { kind: 'note', key, title: `${low + 1}..${high + 1}`, lines: [`Steps ${low + 1}..${high + 1} made no layer of this image.`] };
      }
      return this.treeView(key, `steps ${low + 1}..${high + 1} · range`, stackOfHigh, inRange[0]!.position, inRange.at(-1)!.position, {
        afterStep: high,
        beforeStep: low,
        changedOnly: true,
      });
    }
    if (first === undefined || last === undefined) {
      const lines = [
        step.status === 'failed'
          ? 'The step failed before it wrote anything.'
          : 'This step added no layer (it changed nothing in the filesystem).',
      ];
      return { kind: 'note', key, title, lines };
    }
    const modeTitle = step.status === 'failed' ? 'partial writes of the failed step' : MODE_TITLES[request.mode];
    return this.treeView(key, `${title} · ${modeTitle}`, layers, first, last, {
      afterStep: request.step,
      beforeStep: isFrom(step) ? undefined : request.step,
      changedOnly: request.mode !== 'upto',
    });
  }

  private async imageView(steps: readonly StepState[]): Promise<LayerView> {
    const final = this.finalStep(steps);
    const key = `image:${final ?? ''}:${final !== undefined ? steps[final]!.layer?.diffId ?? steps[final]!.status : ''}`;
    if (final === undefined || steps[final]!.status === 'failed') {
      return { kind: 'note', key, title: 'image', lines: ['The image exists once every step has run.', 'c runs to the end.'] };
    }
    const layers = await this.layersOf(final, steps[final]!);
    if (layers.length === 0) return { kind: 'note', key, title: 'image', lines: ['The image has no layers.'] };
    const last = layers.length - 1;
    return this.treeView(key, 'image · the whole filesystem', layers, 0, last, {
      afterStep: final,
      beforeStep: undefined,
      changedOnly: false,
      unchanged: true,
    });
  }

  /** The step's stack, with a failed step's partial writes as an extra layer on top. */
  private async layersOf(index: number, step: StepState): Promise<StackLayer[]> {
    const layers = [...this.session.layersAt(index)];
    if (step.status === 'failed' && !layers.some((l) => l.stepIndex === index)) {
      const partial = await this.session.changes(index);
      if (partial && partial.length > 0) {
        const id = partialLayerId(index);
        const position = layers.length;
        if (!this.trees.has(`${position}:${id}`)) this.trees.set(`${position}:${id}`, layerTree(partial, position));
        layers.push({ stepIndex: index, diffId: id, createdBy: step.text, size: partial.reduce((sum, e) => sum + e.size, 0) });
      }
    }
    return layers;
  }

  /** Stack positions the step's own layer(s) take: its layer, or for FROM the base image's layers. */
  private positionsOf(index: number, layers: readonly StackLayer[]): [number | undefined, number | undefined] {
    const from = isFrom(this.session.steps[index]);
    let first: number | undefined;
    let last: number | undefined;
    layers.forEach((layer, position) => {
      if (layer.stepIndex === index || (from && layer.stepIndex === undefined)) {
        first ??= position;
        last = position;
      }
    });
    return [first, last];
  }

  private async treesOf(layers: readonly StackLayer[]): Promise<TreeNode[]> {
    const trees: TreeNode[] = [];
    for (const [position, layer] of layers.entries()) {
      const key = `${position}:${layer.diffId}`;
      let tree = this.trees.get(key);
      if (!tree) {
        const entries: ChangeEntry[] = await this.session.layerChanges(layer.diffId);
        tree = layerTree(entries, position);
        this.trees.set(key, tree);
      }
      trees.push(tree);
    }
    return trees;
  }

  private async treeView(
    key: string,
    title: string,
    layers: readonly StackLayer[],
    first: number,
    last: number,
    options: { afterStep: number; beforeStep: number | undefined; changedOnly: boolean; unchanged?: boolean },
  ): Promise<LayerView> {
    const trees = await this.treesOf(layers);
    const stackKey = layers.map((l) => l.diffId).join(',');
    let cached = this.stacks.get(stackKey);
    if (cached) this.stacks.delete(stackKey);
    else {
      const stack = new LayerStack(trees);
      cached = { stack, diffs: new RangeDiffCache(stack, DIFFS_PER_STACK) };
    }
    this.stacks.set(stackKey, cached);
    while (this.stacks.size > STACKS_KEPT) this.stacks.delete(this.stacks.keys().next().value!);
    // The whole image is shown as it is, without markers: compare the top with itself.
    const root = options.unchanged
      ? cached.diffs.range(last + 1, last)
      : cached.diffs.range(first, last, { changedOnly: options.changedOnly });
    return { kind: 'tree', key, title, root, layers, trees, afterStep: options.afterStep, beforeStep: options.beforeStep };
  }
}

/** What a config-only step shows instead of a tree. */
export function configOnlyLines(step: StepState): string[] {
  const lines = [`${step.keyword} changes only the image config: this step adds no layer.`];
  if (step.configChanges && step.configChanges.length > 0) {
    lines.push('', 'Config changes:');
    for (const change of step.configChanges) lines.push(`  ${change}`);
  }
  return lines;
}

/** The plan step that wrote stack position `position`, or undefined for the base image. */
export function stepOfPosition(layers: readonly StackLayer[], position: number): number | undefined {
  return layers[position]?.stepIndex;
}
