/**
 * The output pane's lines for one step: a failure banner first when the step
 * failed, a note when the cache answered or missed, then the log.
 */
import type { StepState } from '../../engine/session-types.js';
import type { ViewLine } from './file-view.js';
import { configOnlyLines } from './layer-model.js';

/** The banner of a failed step: step, Dockerfile line, command, exit code, last lines. */
export function failureBanner(step: StepState, dockerfileName: string): ViewLine[] {
  const failure = step.failure;
  const exit =
    failure?.exitCode !== undefined ? `exit code ${failure.exitCode}` : failure?.signal ? `killed by ${failure.signal}` : 'failed';
  const lines: ViewLine[] = [
    { text: `✖ Step ${step.index + 1} failed at ${dockerfileName}:${step.startLine}: ${exit}`, tone: 'warning' },
    { text: `  ${step.keyword === 'RUN' && failure?.command ? `RUN ${failure.command}` : step.text}`, tone: 'warning' },
  ];
  if (failure?.message) lines.push({ text: `  ${failure.message}`, tone: 'warning' });
  if (failure && failure.tail.length > 0) {
    lines.push({ text: '  last output:', tone: 'note' });
    for (const line of failure.tail.slice(-8)) lines.push({ text: `  │ ${line}`, tone: 'plain' });
  }
  lines.push({ text: '  The layer pane (tab) shows what the step wrote before it failed. Fix the Dockerfile and save: the build re-plans.', tone: 'note' });
  return lines;
}

export function outputLines(step: StepState, log: readonly string[], dockerfileName: string): ViewLine[] {
  const lines: ViewLine[] = [];
  if (step.status === 'failed') lines.push(...failureBanner(step, dockerfileName), { text: '', tone: 'plain' });
  if (step.status === 'cached') {
    lines.push({ text: 'cached: the build cache had this step, so it did not run again (r re-runs it without cache).', tone: 'note' });
  }
  if (step.cacheMiss) lines.push({ text: `cache miss: ${step.cacheMiss}`, tone: 'note' });
  if (step.status === 'config-only') {
    for (const text of configOnlyLines(step)) lines.push({ text, tone: 'note' });
  }
  if (step.status === 'pending') lines.push({ text: 'Not run yet.', tone: 'note' });
  if (step.status === 'skipped') lines.push({ text: 'Skipped: the target stage does not need this stage.', tone: 'note' });
  for (const text of log) lines.push({ text, tone: 'plain' });
  if (step.status === 'running' && log.length === 0) lines.push({ text: 'running…', tone: 'note' });
  return lines;
}
