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
  let left = title ? ` ${title} ` : '';
  const right = rightTitle ? ` ${rightTitle} ` : '';
  if (left.length + right.length + 2 > inner) left = left.slice(0, Math.max(0, inner - right.length - 3)) + (left ? '… ' : '');
  const fill = Math.max(0, inner - left.length - right.length - 1);
  return (corner + line + left + line.repeat(fill) + right).slice(0, width - 1).padEnd(width - 1, line) + end;
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
        overflow="hidden"
      >
        {children}
      </Box>
    </Box>
  );
}
