/**
 * Renders a build session's events for `layerlab build`: `json` prints each
 * event as one JSON line (the contract other tools parse), `plain` prints
 * lines a person can follow in a CI log.
 */
import type { BuildEvent, StepInfo } from '../engine/session-types.js';
import { formatBytes } from '../image/registry/progress.js';

export type ProgressMode = 'auto' | 'plain' | 'json';

export function createProgressRenderer(mode: ProgressMode, out: NodeJS.WritableStream): (e: BuildEvent) => void {
  if (mode === 'json') return (e) => out.write(`${JSON.stringify(e)}\n`);
  return plainRenderer(out);
}

function plainRenderer(out: NodeJS.WritableStream): (e: BuildEvent) => void {
  let steps: StepInfo[] = [];
  const label = (i: number) => `[${i + 1}/${steps.length}]`;
  return (e) => {
    switch (e.type) {
      case 'plan':
        steps = e.steps;
        break;
      case 'step-start': {
        const s = steps[e.step];
        const stage = s?.stageName ? `${s.stageName} ` : '';
        out.write(`${label(e.step)} ${stage}${oneLine(e.instruction)}\n`);
        break;
      }
      case 'log':
        for (const line of e.text.replace(/\n$/, '').split('\n')) {
          out.write(`${' '.repeat(label(e.step).length)} ${e.stream === 'info' ? '·' : '|'} ${line}\n`);
        }
        break;
      case 'step-done': {
        const pad = ' '.repeat(label(e.step).length);
        const time = `${(e.durationMs / 1000).toFixed(2)}s`;
        if (steps[e.step]?.keyword === 'FROM') out.write(`${pad} base ready ${time}\n`);
        else if (e.configOnly) out.write(`${pad} config only, no layer\n`);
        else if (e.layer) {
          out.write(
            `${pad} ${e.cached ? 'CACHED ' : ''}layer ${e.layer.digest.slice(7, 19)} ${formatBytes(e.layer.size)} ` +
              `+${e.added} ~${e.modified} -${e.deleted} ${time}\n`,
          );
        } else out.write(`${pad} ${e.cached ? 'CACHED ' : ''}no change, no layer ${time}\n`);
        break;
      }
      case 'step-failed':
        out.write(`${' '.repeat(label(e.step).length)} FAILED: ${e.message}\n`);
        break;
      case 'done':
        out.write(`image ${e.imageId}${e.tags.length ? ` tagged ${e.tags.join(', ')}` : ''}\n`);
        break;
    }
  };
}

function oneLine(s: string): string {
  const flat = s.replace(/\s*\\?\n\s*/g, ' ');
  return flat.length > 120 ? `${flat.slice(0, 117)}...` : flat;
}
