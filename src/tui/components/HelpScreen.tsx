/** The `?` screen, drawn from the key binding table: every key, by group. */
import { Box } from 'ink';
import { GROUP_TITLES, KEY_BINDINGS, displayKey, type BindingGroup } from '../key-bindings.js';
import { Panel } from './Panel.js';
import { Row, fitSegments, type Segment } from './Segments.js';

const GROUPS: BindingGroup[] = ['build', 'move', 'layer', 'views', 'shell', 'app'];

/** The help's lines, one group after the other: headings and "keys  description" rows. */
export function helpLines(): Array<{ heading: string } | { keys: string; description: string }> {
  const lines: Array<{ heading: string } | { keys: string; description: string }> = [];
  for (const group of GROUPS) {
    lines.push({ heading: GROUP_TITLES[group] });
    for (const binding of KEY_BINDINGS.filter((b) => b.group === group)) {
      lines.push({ keys: binding.keys.map(displayKey).join(' '), description: binding.description });
    }
  }
  return lines;
}

export function HelpScreen({ width, height }: { width: number; height: number }) {
  const lines = helpLines();
  const rowsPerColumn = height - 2;
  const columns = Math.max(1, Math.ceil(lines.length / rowsPerColumn));
  const columnWidth = Math.floor((width - 2) / columns);
  const keyWidth = Math.max(...lines.map((l) => ('keys' in l ? l.keys.length : 0))) + 2;
  const cells: Segment[][] = lines.map((line) =>
    'heading' in line
      ? fitSegments([], { text: line.heading, tone: 'accent', bold: true }, [], columnWidth)
      : fitSegments([{ text: ' ' + line.keys.padEnd(keyWidth), bold: true }], { text: line.description }, [], columnWidth),
  );
  const rows: Segment[][] = [];
  for (let r = 0; r < rowsPerColumn; r++) {
    const row: Segment[] = [];
    for (let c = 0; c < columns; c++) {
      const cell = cells[c * rowsPerColumn + r];
      row.push(...(cell ?? [{ text: ' '.repeat(columnWidth) }]));
    }
    rows.push(row);
  }
  return (
    <Panel title="keys (? or esc closes)" width={width} height={height} focused>
      <Box flexDirection="column">
        {rows.map((segments, i) => (
          <Row key={i} segments={segments} />
        ))}
      </Box>
    </Panel>
  );
}
