/** The bottom pane: the step's output, the selected file, the image or the context files. */
import { memo } from 'react';
import type { LineTone, ViewLine } from '../model/file-view.js';
import type { BottomView } from '../state/ui-state.js';
import type { Tone } from '../theme.js';
import { Panel } from './Panel.js';
import { Row, fitSegments } from './Segments.js';

const LINE_TONES: Record<LineTone, { tone?: Tone; bold?: boolean }> = {
  plain: {},
  added: { tone: 'added' },
  removed: { tone: 'removed' },
  hunk: { tone: 'hunk' },
  heading: { bold: true },
  note: { tone: 'dim' },
  warning: { tone: 'error', bold: true },
};

export interface BottomPaneProps {
  title: string;
  lines: readonly ViewLine[];
  /** undefined: show the end (a live log). */
  scroll: number | undefined;
  view: BottomView;
  width: number;
  height: number;
  focused: boolean;
}

function BottomPaneView(props: BottomPaneProps) {
  const height = props.height - 2;
  const maxScroll = Math.max(0, props.lines.length - height);
  const scroll = Math.min(props.scroll ?? maxScroll, maxScroll);
  const visible = props.lines.slice(scroll, scroll + height);
  const position = props.lines.length > height ? `${scroll + 1}-${scroll + visible.length}/${props.lines.length}` : '';
  const pinned = props.view === 'auto' ? '' : ` (${props.view}: o/i/x again to follow the selection)`;
  return (
    <Panel title={props.title + pinned} rightTitle={position} width={props.width} height={props.height} focused={props.focused}>
      {visible.map((line, i) => {
        const style = LINE_TONES[line.tone];
        return <Row key={scroll + i} segments={fitSegments([], { text: line.text.replace(/\t/g, '    '), ...style }, [], props.width - 2)} />;
      })}
    </Panel>
  );
}

/** Memoised: a key that moves another pane's cursor does not redraw this one. */
export const BottomPane = memo(BottomPaneView);
