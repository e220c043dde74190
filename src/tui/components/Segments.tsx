/**
 * One screen row as coloured runs in a single <Text wrap="truncate-end">, the
 * cheapest way to draw a row in Ink (TUI-NOTES.md). fitSegments cuts the
 * flexible run so the row is exactly as wide as its pane.
 */
import { Text } from 'ink';
import type { Tone } from '../theme.js';
import { useTheme } from '../theme.js';

export interface Segment {
  text: string;
  tone?: Tone;
  bold?: boolean;
  inverse?: boolean;
}

/** Fixed runs on the left, one flexible run, fixed runs on the right: exactly `width` columns. */
export function fitSegments(left: Segment[], body: Segment, right: Segment[], width: number): Segment[] {
  const fixed = (runs: Segment[]): number => runs.reduce((sum, s) => sum + s.text.length, 0);
  let rightRuns = right;
  let room = width - fixed(left) - fixed(rightRuns);
  if (room < 4 && rightRuns.length > 0) {
    // Too narrow: the right-hand notes give way before the text does.
    rightRuns = [];
    room = width - fixed(left);
  }
  let text = body.text;
  if (text.length > room) text = room <= 0 ? '' : room === 1 ? '…' : `${text.slice(0, room - 1)}…`;
  else text = text + ' '.repeat(room - text.length);
  const runs = [...left, { ...body, text }, ...rightRuns];
  // The left side alone may be too wide for a very narrow pane.
  let total = 0;
  const out: Segment[] = [];
  for (const run of runs) {
    if (total >= width) break;
    const cut = run.text.slice(0, width - total);
    total += cut.length;
    out.push({ ...run, text: cut });
  }
  return out;
}

export function Row({ segments, inverse = false }: { segments: Segment[]; inverse?: boolean }) {
  const theme = useTheme();
  return (
    <Text wrap="truncate-end" inverse={inverse}>
      {segments.map((segment, i) => (
        <Text key={i} color={segment.tone ? theme.color(segment.tone) : undefined} bold={segment.bold} inverse={segment.inverse}>
          {segment.text}
        </Text>
      ))}
    </Text>
  );
}
