/** The last line: the find prompt, a message, or the key hints. */
import { memo } from 'react';
import { Text } from 'ink';
import { hintLine } from '../key-bindings.js';
import { findError, type UiState } from '../state/ui-state.js';
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
  if (ui.message) {
    return (
      <Text wrap="truncate-end" color={theme.color(ui.message.kind === 'error' ? 'error' : 'accent')} bold={ui.message.kind === 'error'}>
        {ui.message.text.slice(0, width)}
      </Text>
    );
  }
  return (
    <Text wrap="truncate-end" color={theme.color('dim')}>
      {(busy ? '● building  ' : '') + hintLine()}
    </Text>
  );
}

/** Memoised: a key that moves another pane's cursor does not redraw this one. */
export const StatusBar = memo(StatusBarView);
