/**
 * The selected step's layer as a file tree. Only the rows in view are
 * mounted, so a 100k-file layer draws as fast as a small one.
 */
import { memo } from 'react';
import type { DiffNode, DiffType } from '../../layers/tree-diff.js';
import { formatBytes, formatMode, formatOwner } from '../format.js';
import type { LayerView } from '../model/layer-model.js';
import type { UiState } from '../state/ui-state.js';
import type { Tone } from '../theme.js';
import { Panel } from './Panel.js';
import { Row, fitSegments, type Segment } from './Segments.js';

export interface LayerPaneProps {
  view: LayerView | undefined;
  rows: readonly DiffNode[];
  isCollapsed: (node: DiffNode) => boolean;
  ui: Pick<UiState, 'layerCursor' | 'layerScroll' | 'diffTypes' | 'sortBy' | 'find' | 'layerMode' | 'rangeStart'>;
  width: number;
  height: number;
  focused: boolean;
  /** Mark the cursor row even without focus (the bottom pane shows its file). */
  showCursor: boolean;
}

const MARKERS: Record<DiffType, { text: string; tone: Tone }> = {
  added: { text: '+', tone: 'added' },
  modified: { text: '~', tone: 'modified' },
  removed: { text: '-', tone: 'removed' },
  unmodified: { text: ' ', tone: 'unchanged' },
};

/** Metadata-only changes get their own marker and say which fields changed. */
export const METADATA_MARKER = '*';

function metadataFields(node: DiffNode): string | undefined {
  if (!node.metadataOnly) return undefined;
  const names = new Set(node.metadataOnly.map((f) => (f === 'uid' || f === 'gid' ? 'owner' : f)));
  return names.size === 0 ? 'rewritten' : [...names].join(',');
}

export function layerRowSegments(node: DiffNode, collapsed: boolean, width: number): Segment[] {
  const meta = node.diff === 'modified' ? metadataFields(node) : undefined;
  const marker = meta ? { text: METADATA_MARKER, tone: 'metadata' as const } : MARKERS[node.diff];
  const isDir = node.children !== undefined;
  const indent = '  '.repeat(Math.min(node.depth, 12));
  const twisty = isDir ? (node.children!.length === 0 ? '  ' : collapsed ? '▸ ' : '▾ ') : '  ';
  const info = node.info;
  let name = node.name + (isDir ? '/' : '');
  if (info?.type === 'symlink') name += ` → ${info.linkTarget ?? '?'}`;
  const nameTone: Tone | undefined = node.diff === 'unmodified' ? undefined : marker.tone;
  const right: Segment[] = [];
  if (meta) right.push({ text: ` [${meta}]`, tone: 'metadata' });
  if (isDir) {
    const c = node.counts;
    const rolled = [c.added ? `+${c.added}` : '', c.modified ? `~${c.modified}` : '', c.removed ? `-${c.removed}` : ''].filter(Boolean).join(' ');
    if (rolled) right.push({ text: ` ${rolled}`, tone: 'dim' });
  }
  const size = info?.type === 'file' || isDir ? formatBytes(node.totalSize) : '';
  right.push({ text: ' ' + size.padStart(8) });
  if (width >= 64 && info) right.push({ text: ` ${formatMode(info.type, info.mode)} ${formatOwner(info.uid, info.gid).padStart(9)}`, tone: 'dim' });
  else if (width >= 64) right.push({ text: ' '.repeat(21) });
  return fitSegments([{ text: marker.text + ' ', tone: marker.tone, bold: true }, { text: indent + twisty, tone: 'dim' }], { text: name, tone: nameTone }, right, width);
}

function filterLine(ui: LayerPaneProps['ui'], count: number): Segment[] {
  const on = (type: DiffType, label: string): Segment => ({ text: ui.diffTypes.has(type) ? label : '·', tone: ui.diffTypes.has(type) ? MARKERS[type].tone : 'dim' });
  const find = ui.find.text ? `  find ${ui.find.regex ? `/${ui.find.text}/` : `"${ui.find.text}"`}` : '';
  return [
    { text: 'show ', tone: 'dim' },
    on('added', '+'),
    on('modified', '~'),
    on('removed', '-'),
    on('unmodified', '='),
    { text: `  sort ${ui.sortBy}${find}  ${count} rows`, tone: 'dim' },
  ];
}

const MODE_LABELS = { layer: 'this layer', upto: 'up to here', range: 'range' } as const;

function LayerPaneView(props: LayerPaneProps) {
  const { view, rows, ui } = props;
  const contentWidth = props.width - 2;
  const height = props.height - 3;
  const title = view?.title ?? 'layer';
  const mode = ui.layerMode === 'range' && ui.rangeStart !== undefined ? `range from ${ui.rangeStart + 1}` : MODE_LABELS[ui.layerMode];
  let body;
  if (!view) {
    body = <Row segments={[{ text: 'loading…', tone: 'dim' }]} />;
  } else if (view.kind === 'note') {
    body = view.lines.slice(0, height).map((line, i) => <Row key={i} segments={fitSegments([], { text: line, tone: 'dim' }, [], contentWidth)} />);
  } else {
    const visible = rows.slice(ui.layerScroll, ui.layerScroll + height);
    body = visible.map((node, i) => {
      const index = ui.layerScroll + i;
      return (
        <Row key={node.path} segments={layerRowSegments(node, props.isCollapsed(node), contentWidth)} inverse={index === ui.layerCursor && (props.focused || props.showCursor)} />
      );
    });
    if (rows.length === 0) body = <Row segments={[{ text: 'No rows: the filters or the find text hide everything.', tone: 'dim' }]} />;
  }
  return (
    <Panel title={title} rightTitle={mode} width={props.width} height={props.height} focused={props.focused}>
      <Row segments={fitSegments(filterLine(ui, rows.length), { text: '' }, [], contentWidth)} />
      {body}
    </Panel>
  );
}

/** Memoised: a key that moves another pane's cursor does not redraw this one. */
export const LayerPane = memo(LayerPaneView);
