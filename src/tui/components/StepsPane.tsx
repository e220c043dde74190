/** The Dockerfile as steps: status icons, notes, the cursor, breakpoints and stage groups. */
import { memo } from 'react';
import type { StepState, StepStatus } from '../../engine/session-types.js';
import { statusIcon, stepNote, type StepRow } from '../state/step-rows.js';
import type { Tone } from '../theme.js';
import { Panel } from './Panel.js';
import { Row, fitSegments, type Segment } from './Segments.js';

const STATUS_TONES: Record<StepStatus, Tone> = {
  pending: 'dim',
  running: 'running',
  done: 'done',
  cached: 'cached',
  failed: 'error',
  'config-only': 'config',
  skipped: 'dim',
};

export interface StepsPaneProps {
  rows: readonly StepRow[];
  cursor: number;
  stepCount: number;
  scroll: number;
  breakpoints: ReadonlySet<number>;
  now: number;
  width: number;
  height: number;
  focused: boolean;
  title: string;
}

function stepSegments(row: Extract<StepRow, { kind: 'step' }>, props: StepsPaneProps, lineWidth: number): Segment[] {
  const step: StepState = row.step;
  const selected = step.index === props.cursor;
  const breakpoint = props.breakpoints.has(step.index);
  const left: Segment[] = [
    { text: selected ? '▶' : ' ', tone: 'accent', bold: true },
    { text: breakpoint ? '●' : ' ', tone: 'breakpoint' },
    { text: String(row.line).padStart(lineWidth) + ' ', tone: 'dim' },
    { text: statusIcon(step.status, props.now) + ' ', tone: STATUS_TONES[step.status] },
    { text: row.multiLine ? (row.folded ? '▸' : '▾') : ' ', tone: 'dim' },
  ];
  const note = stepNote(step, props.now);
  const right: Segment[] = note ? [{ text: ' ' + note, tone: step.status === 'failed' ? 'error' : step.status === 'done' ? undefined : 'dim' }] : [];
  const body: Segment = { text: row.text, tone: step.status === 'skipped' ? 'dim' : undefined, bold: selected };
  return fitSegments(left, body, right, props.width - 2);
}

function StepsPaneView(props: StepsPaneProps) {
  const visible = props.rows.slice(props.scroll, props.scroll + props.height - 2);
  const lineWidth = String(Math.max(1, ...props.rows.map((r) => (r.kind === 'step' || r.kind === 'continuation' ? r.line : 0)))).length;
  const contentWidth = props.width - 2;
  return (
    <Panel title={props.title} rightTitle={props.scroll > 0 ? '↑' : ''} width={props.width} height={props.height} focused={props.focused}>
      {visible.map((row) => {
        switch (row.kind) {
          case 'stage':
            return <Row key={`stage-${row.stageIndex}`} segments={fitSegments([{ text: '── ', tone: 'dim' }], { text: row.title + ' ', tone: 'accent', bold: true }, [], contentWidth)} />;
          case 'continuation':
            return (
              <Row
                key={`cont-${row.stepIndex}-${row.line}`}
                segments={fitSegments([{ text: '  ' + String(row.line).padStart(lineWidth) + '    ', tone: 'dim' }], { text: row.text, tone: 'dim' }, [], contentWidth)}
              />
            );
          case 'image': {
            const selected = props.cursor >= props.stepCount;
            return (
              <Row
                key="image"
                segments={fitSegments(
                  [{ text: selected ? '▶' : ' ', tone: 'accent', bold: true }, { text: ' '.repeat(lineWidth + 2) }, { text: row.ready ? '▣ ' : '□ ', tone: row.ready ? 'done' : 'dim' }],
                  { text: row.ready ? 'image: sizes and wasted bytes' : 'image (after the last step)', tone: row.ready ? undefined : 'dim', bold: selected },
                  [],
                  contentWidth,
                )}
              />
            );
          }
          case 'step': {
            const selected = row.step.index === props.cursor;
            return <Row key={`step-${row.step.index}`} segments={stepSegments(row, props, lineWidth)} inverse={selected && props.focused} />;
          }
        }
      })}
    </Panel>
  );
}

/** Memoised: a key that moves another pane's cursor does not redraw this one. */
export const StepsPane = memo(StepsPaneView);
