/**
 * A bordered pane with its title in the top border. The focused pane gets a
 * heavy border, which shows focus without colour too.
 */
import { Box, Text } from 'ink';
import type { ReactNode } from 'react';
import { useTheme } from '../theme.js';

export interface PanelProps {
  title: string;
  /** Shown at the right end of the top border. */
  rightTitle?: string;
  width: number;
  height: number;
  focused: boolean;
  children: ReactNode;
}

export function panelTopLine(title: string, rightTitle: string, width: number, focused: boolean): string {
  const [corner, line, end] = focused ? ['┏', '━', '┓'] : ['┌', '─', '┐'];
  const inner = width - 2;
  const right = rightTitle ? ` ${rightTitle} ` : '';
  let left = title ? ` ${title} ` : '';
  // One line character on each side of the titles, the rest between them.
  const room = inner - 2 - right.length;
  if (left.length > room) left = room > 2 ? `${left.slice(0, room - 2)}… ` : '';
  const fill = Math.max(0, inner - 2 - left.length - right.length);
  return (corner + line + left + line.repeat(fill) + right + line).slice(0, width - 1) + end;
}

export function Panel({ title, rightTitle = '', width, height, focused, children }: PanelProps) {
  const theme = useTheme();
  const borderColor = focused ? theme.color('accent') : theme.color('dim');
  return (
    <Box flexDirection="column" width={width} height={height} flexShrink={0}>
      <Text color={borderColor} bold={focused} wrap="truncate-end">
        {panelTopLine(title, rightTitle, width, focused)}
      </Text>
      {/* Ink applies a changed borderStyle without the borderTop={false} beside it (a
          border appears on top and pushes the rows down), so focus remounts the box. */}
      <Box
        key={focused ? 'focused' : 'unfocused'}
        flexDirection="column"
        width={width}
        height={height - 1}
        borderStyle={focused ? 'bold' : 'single'}
        borderTop={false}
        borderColor={borderColor}
        paddingX={0}
        overflowY="hidden"
      >
        {children}
      </Box>
    </Box>
  );
}
