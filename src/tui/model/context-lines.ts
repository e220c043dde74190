/** The context view: which build-context files the COPY/ADD steps take, after .dockerignore. */
import type { ContextFile, StepState } from '../../engine/session-types.js';
import { formatBytes } from '../format.js';
import type { ViewLine } from './file-view.js';

export function contextLines(files: readonly ContextFile[] | undefined, steps: readonly StepState[], contextDir: string): ViewLine[] {
  if (files === undefined) {
    return [{ text: 'This engine cannot list the context files yet (SessionApi.contextFiles is missing).', tone: 'note' }];
  }
  const taken = files.filter((f) => f.steps.length > 0);
  const total = taken.reduce((sum, f) => sum + f.size, 0);
  const lines: ViewLine[] = [
    {
      text: `Context ${contextDir}: ${taken.length} file${taken.length === 1 ? '' : 's'} (${formatBytes(total)}) taken by COPY/ADD, after .dockerignore`,
      tone: 'heading',
    },
  ];
  for (const file of files) {
    const by = file.steps
      .map((index) => {
        const step = steps[index];
        return step ? `step ${index + 1} (line ${step.startLine} ${step.keyword})` : `step ${index + 1}`;
      })
      .join(', ');
    lines.push({
      text: `  ${formatBytes(file.size).padStart(8)}  ${file.path}  ${by ? `← ${by}` : '(no step takes it)'}`,
      tone: file.steps.length > 0 ? 'plain' : 'note',
    });
  }
  if (files.length === 0) lines.push({ text: '  No COPY or ADD step takes anything from the context.', tone: 'note' });
  return lines;
}
