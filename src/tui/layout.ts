/**
 * Pane sizes for a terminal size. Ink 6 clears and redraws the whole screen
 * on every frame when its output is as tall as the terminal (TUI-NOTES.md),
 * so the app draws `rows - 1` lines.
 */
import type { Viewport } from './state/ui-state.js';

export interface Layout {
  width: number;
  /** Lines drawn: the terminal's rows minus one. */
  height: number;
  topHeight: number;
  bottomHeight: number;
  stepsWidth: number;
  layerWidth: number;
  /** Content rows of each pane (borders and the layer pane's status line taken off). */
  viewport: Viewport;
}

export const MIN_COLUMNS = 40;
export const MIN_ROWS = 10;

export function computeLayout(columns: number, rows: number): Layout {
  const width = Math.max(MIN_COLUMNS, columns);
  const height = Math.max(MIN_ROWS, rows) - 1;
  const paneRows = height - 1; // the hint bar
  const topHeight = Math.max(5, Math.round(paneRows * 0.55));
  const bottomHeight = Math.max(3, paneRows - topHeight);
  const stepsWidth = Math.max(28, Math.min(Math.floor(width * 0.42), 60));
  const layerWidth = width - stepsWidth;
  return {
    width,
    height,
    topHeight,
    bottomHeight,
    stepsWidth,
    layerWidth,
    viewport: { steps: topHeight - 2, layer: Math.max(1, topHeight - 3), bottom: bottomHeight - 2 },
  };
}
