/**
 * Colours by meaning. With NO_COLOR set (https://no-color.org) every colour
 * is dropped; markers, icons, bold and inverse still tell things apart.
 */
import { createContext, useContext } from 'react';

export type Tone =
  | 'added'
  | 'modified'
  | 'removed'
  | 'metadata'
  | 'unchanged'
  | 'dim'
  | 'accent'
  | 'error'
  | 'running'
  | 'done'
  | 'cached'
  | 'config'
  | 'breakpoint'
  | 'hunk';

export interface Theme {
  color(tone: Tone): string | undefined;
  noColor: boolean;
}

const COLORS: Record<Tone, string> = {
  added: 'green',
  modified: 'yellow',
  removed: 'red',
  metadata: 'magenta',
  unchanged: 'gray',
  dim: 'gray',
  accent: 'cyan',
  error: 'red',
  running: 'cyan',
  done: 'green',
  cached: 'blue',
  config: 'blue',
  breakpoint: 'red',
  hunk: 'cyan',
};

export function createTheme(noColor: boolean): Theme {
  return { noColor, color: (tone) => (noColor ? undefined : COLORS[tone]) };
}

/** NO_COLOR counts when it is set to anything but the empty string. */
export function noColorRequested(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.NO_COLOR !== undefined && env.NO_COLOR !== '';
}

export const ThemeContext = createContext<Theme>(createTheme(false));

export function useTheme(): Theme {
  return useContext(ThemeContext);
}
