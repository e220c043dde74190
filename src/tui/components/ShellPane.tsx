/**
 * The shell pane: the pty's screen as @xterm/headless holds it, one
 * <Text wrap="truncate-end"> per row with nested runs for colours and
 * attributes, the cursor as an inverted cell (TUI-NOTES.md). It follows the
 * screen's own redraws (at most one a frame), not the workbench's.
 */
import { Text } from 'ink';
import { memo, useSyncExternalStore } from 'react';
import type { ScreenRow, ShellScreen } from '../shell/shell-screen.js';
import { useTheme } from '../theme.js';
import { Panel } from './Panel.js';

export interface ShellPaneProps {
  screen: ShellScreen | undefined;
  title: string;
  width: number;
  height: number;
  /** The shell has the keys. */
  focused: boolean;
  /** How to leave or come back, for the right of the title. */
  rightTitle: string;
}

const NO_SCREEN = { subscribe: () => () => undefined, version: () => 0 };

export function ShellRowView({ row, noColor }: { row: ScreenRow; noColor: boolean }) {
  return (
    <Text wrap="truncate-end">
      {row.length === 0
        ? ' '
        : row.map((run, i) => (
            <Text
              key={i}
              color={noColor ? undefined : run.fg}
              backgroundColor={noColor ? undefined : run.bg}
              bold={run.bold}
              dimColor={run.dim}
              italic={run.italic}
              underline={run.underline}
              strikethrough={run.strikethrough}
              inverse={run.inverse}
            >
              {run.text}
            </Text>
          ))}
    </Text>
  );
}

function ShellPaneView(props: ShellPaneProps) {
  const theme = useTheme();
  const source = props.screen ?? NO_SCREEN;
  useSyncExternalStore(source.subscribe, source.version);
  const height = props.height - 2;
  const rows = props.screen ? props.screen.screenRows({ cursor: props.focused }).slice(0, height) : [];
  return (
    <Panel title={props.title} rightTitle={props.rightTitle} width={props.width} height={props.height} focused={props.focused}>
      {props.screen ? (
        rows.map((row, i) => <ShellRowView key={i} row={row} noColor={theme.noColor} />)
      ) : (
        <Text color={theme.color('dim')}>starting the container…</Text>
      )}
    </Panel>
  );
}

/** Memoised: keys for other panes do not redraw the shell. */
export const ShellPane = memo(ShellPaneView);
