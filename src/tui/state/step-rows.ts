/**
 * The steps pane as rows: stage headers, one row per instruction (multi-line
 * instructions folded to their first line unless unfolded), and the image row
 * after the last step. Pure: the component only draws these rows.
 */
import type { StepState, StepStatus } from '../../engine/session-types.js';
import { formatBytes, formatDuration } from '../format.js';

export type StepRow =
  | { kind: 'stage'; stageIndex: number; title: string }
  | {
      kind: 'step';
      step: StepState;
      /** The Dockerfile line number shown. */
      line: number;
      text: string;
      /** The instruction spans more lines than shown. */
      folded: boolean;
      multiLine: boolean;
    }
  | { kind: 'continuation'; stepIndex: number; line: number; text: string }
  | { kind: 'image'; ready: boolean };

export const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

const STATUS_ICONS: Record<Exclude<StepStatus, 'running'>, string> = {
  pending: '○',
  done: '✔',
  cached: '✔',
  failed: '✖',
  'config-only': '◆',
  skipped: '·',
};

export function statusIcon(status: StepStatus, now: number): string {
  if (status === 'running') return SPINNER[Math.floor(now / 100) % SPINNER.length]!;
  return STATUS_ICONS[status];
}

/** The right-hand note of a step row: counts and size, elapsed time, exit code... */
export function stepNote(step: StepState, now: number): string {
  switch (step.status) {
    case 'running':
      return formatDuration(step.startedAt !== undefined ? now - step.startedAt : (step.durationMs ?? 0));
    case 'done': {
      if (step.keyword === 'FROM') return 'base image';
      const counts = step.counts ? `+${step.counts.added} ~${step.counts.modified} -${step.counts.deleted}` : '';
      const size = step.layer ? formatBytes(step.layer.uncompressedSize) : '';
      return [counts, size].filter(Boolean).join(' ');
    }
    case 'cached':
      return step.layer ? `cached ${formatBytes(step.layer.uncompressedSize)}` : 'cached';
    case 'failed':
      if (step.failure?.exitCode !== undefined) return `exit ${step.failure.exitCode}`;
      return step.failure?.signal ? `killed ${step.failure.signal}` : 'failed';
    case 'config-only':
      return 'config';
    case 'skipped':
      return 'skipped';
    case 'pending':
      return '';
  }
}

function stageTitle(step: StepState): string {
  return step.stageName ? `stage ${step.stageIndex} · ${step.stageName}` : `stage ${step.stageIndex}`;
}

export interface StepRowOptions {
  /** The Dockerfile's lines, to show multi-line instructions as written. */
  dockerfileLines?: readonly string[];
  unfolded: ReadonlySet<number>;
}

export function stepRows(steps: readonly StepState[], options: StepRowOptions): StepRow[] {
  const rows: StepRow[] = [];
  const stageCount = new Set(steps.map((s) => s.stageIndex)).size;
  const showStages = stageCount > 1 || steps.some((s) => s.stageName);
  let stage = -1;
  for (const step of steps) {
    if (showStages && step.stageIndex !== stage) {
      stage = step.stageIndex;
      rows.push({ kind: 'stage', stageIndex: stage, title: stageTitle(step) });
    }
    const multiLine = step.endLine > step.startLine;
    const unfolded = multiLine && options.unfolded.has(step.index);
    const lines = options.dockerfileLines;
    const written = lines?.[step.startLine - 1];
    const firstText = unfolded && written !== undefined ? written.trimEnd() : step.text;
    rows.push({ kind: 'step', step, line: step.startLine, text: firstText, folded: multiLine && !unfolded, multiLine });
    if (unfolded) {
      for (let line = step.startLine + 1; line <= step.endLine; line++) {
        const text = lines?.[line - 1];
        if (text !== undefined) rows.push({ kind: 'continuation', stepIndex: step.index, line, text: text.trimEnd() });
      }
    }
  }
  const ready = steps.length > 0 && steps.every((s) => s.status !== 'pending' && s.status !== 'running' && s.status !== 'failed');
  rows.push({ kind: 'image', ready });
  return rows;
}

/** The row the cursor sits on: its step's first row, or the image row after the last step. */
export function cursorRowIndex(rows: readonly StepRow[], cursor: number): number {
  const exact = rows.findIndex((row) => row.kind === 'step' && row.step.index === cursor);
  return exact >= 0 ? exact : rows.length - 1;
}
