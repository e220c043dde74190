/** The last line: the find prompt, a message, or the key hints. */
import { memo } from 'react';
import { Text } from 'ink';
import { bindingFor, displayKey, hintLine } from '../key-bindings.js';
import { findError, keyModeOf, type UiState } from '../state/ui-state.js';
import { useTheme } from '../theme.js';

function StatusBarView({ ui, width, busy }: { ui: UiState; width: number; busy: boolean }) {
  const theme = useTheme();
  if (ui.find.editing) {
    const error = findError(ui.find);
    return (
      <Text wrap="truncate-end">
        <Text color={theme.color('accent')} bold>
          {ui.find.regex ? 'find (regex): ' : 'find: '}
        </Text>
        {ui.find.text}
        <Text inverse> </Text>
        <Text color={theme.color(error ? 'error' : 'dim')}>{error ? `  ${error}` : '  enter keep · esc clear · ^r regex'}</Text>
      </Text>
    );
  }
  if (ui.shell?.phase === 'review' && ui.shell.editing) {
    return (
      <Text wrap="truncate-end">
        <Text color={theme.color('accent')} bold>
          {'RUN line: '}
        </Text>
        {ui.shell.line.length > width - 40 ? `…${ui.shell.line.slice(-(width - 41))}` : ui.shell.line}
        <Text inverse> </Text>
        <Text color={theme.color('dim')}>{'  enter done · esc stop editing'}</Text>
      </Text>
    );
  }
  if (ui.message) {
    return (
      <Text wrap="truncate-end" color={theme.color(ui.message.kind === 'error' ? 'error' : 'accent')} bold={ui.message.kind === 'error'}>
        {ui.message.text.slice(0, width)}
      </Text>
    );
  }
  return (
    <Text wrap="truncate-end" color={theme.color('dim')}>
      {(busy ? '● building  ' : '') + shellHints(ui) + hintLine(keyModeOf(ui))}
    </Text>
  );
}

/** While a shell runs without the keys: how to get back to it, to full screen, or close it. */
function shellHints(ui: UiState): string {
  if (ui.shell?.phase !== 'running' || keyModeOf(ui) !== 'main') return '';
  const key = (command: Parameters<typeof bindingFor>[0]): string => displayKey(bindingFor(command).keys[0]!);
  return `${key('shell.open')} back to the shell  ${key('shell.fullScreen')} full screen  ${key('shell.close')} close it  `;
}

/** Memoised: a key that moves another pane's cursor does not redraw this one. */
export const StatusBar = memo(StatusBarView);
